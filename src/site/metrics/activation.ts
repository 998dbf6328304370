import type { DuckDBConnection } from "@duckdb/node-api";
import { lit, num, rows, str, ts } from "../db.ts";
import { rate, type Rate } from "../privacy.ts";

export interface ActivationSpec {
  event: string;
  count: number;
  windowMs: number;
}

export interface Cohort {
  /** Local start date of the cohort, `YYYY-MM-DD`. */
  cohort: string;
  /** activated ÷ registered, both counted within this signup cohort. */
  activation: Rate;
  /** Some users of the cohort are still inside their activation window. */
  incomplete: boolean;
}

export interface CohortOptions {
  conn: DuckDBConnection;
  activation: ActivationSpec;
  /** Calendar weeks and months are the settings time zone's. */
  timezone: string;
  asOf: Date;
  k: number;
}

/**
 * One row per user of the CTE `u` (user_id, created_at): whether they performed the
 * activation event the required number of times within the window after their own signup
 * (seen as of `asOf`). Both the cohort table and the period figures use it, so the two
 * can never disagree on what "activated" means.
 */
function activatedSql(opts: CohortOptions): string {
  const a = opts.activation;
  return `
      SELECT u.user_id, count(e.user_id) >= ${Math.max(1, Math.floor(a.count))} AS activated
      FROM u LEFT JOIN events e
        ON e.user_id = u.user_id AND e.event = ${lit(a.event)}
       AND e.ts >= u.created_at AND e.ts <= u.created_at + to_milliseconds(${Math.round(a.windowMs)}) AND e.ts <= ${ts(opts.asOf)}
      GROUP BY u.user_id`;
}

/**
 * Activation rate per signup cohort (week starting Monday, or calendar month): a user is
 * activated when they performed the activation event `count` times within `window` of
 * signing up. Numerator and denominator are the SAME cohort, so a busy week of old users
 * cannot inflate a week of new ones. A cohort is incomplete until its last possible
 * signup has had the whole window.
 */
export async function activationCohorts(opts: CohortOptions, unit: "week" | "month"): Promise<Cohort[]> {
  const { activation: a, timezone: tz } = opts;
  const windowMs = Math.round(a.windowMs);
  const found = await rows(
    opts.conn,
    `
    WITH u AS (
      SELECT user_id, created_at, date_trunc(${lit(unit)}, timezone(${lit(tz)}, created_at)) AS cohort
      FROM users WHERE created_at <= ${ts(opts.asOf)}
    ),
    act AS (${activatedSql(opts)})
    SELECT strftime(cohort, '%Y-%m-%d') AS cohort,
           count(*)::INTEGER AS registered,
           count(*) FILTER (WHERE activated)::INTEGER AS activated,
           timezone(${lit(tz)}, cohort + INTERVAL 1 ${unit}) + to_milliseconds(${windowMs}) > ${ts(opts.asOf)} AS incomplete
    FROM u JOIN act USING (user_id)
    GROUP BY cohort ORDER BY cohort`,
  );
  return found.map((r) => ({
    cohort: str(r.cohort),
    activation: rate(num(r.activated), num(r.activated), num(r.registered), num(r.registered), opts.k),
    incomplete: r.incomplete === true,
  }));
}

/**
 * Activation of the users who signed up in [from, to): the same-cohort rule applied to
 * an arbitrary period (the overview's 7/30/90 days).
 */
export async function activationInPeriod(opts: CohortOptions, from: Date, to: Date): Promise<Cohort> {
  const a = opts.activation;
  const windowMs = Math.round(a.windowMs);
  const [r] = await rows(
    opts.conn,
    `
    WITH u AS (SELECT user_id, created_at FROM users WHERE created_at >= ${ts(from)} AND created_at < ${ts(to)}),
    act AS (${activatedSql(opts)})
    SELECT count(*)::INTEGER AS registered, count(*) FILTER (WHERE activated)::INTEGER AS activated FROM act`,
  );
  return {
    cohort: from.toISOString().slice(0, 10),
    activation: rate(num(r?.activated), num(r?.activated), num(r?.registered), num(r?.registered), opts.k),
    incomplete: to.getTime() + windowMs > opts.asOf.getTime(),
  };
}
