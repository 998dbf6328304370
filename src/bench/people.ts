/**
 * The benchmark population as one set-based DuckDB statement: the Taskly demo's model
 * (src/demo/taskly.ts) — signups growing over the period in local business hours,
 * ~40% activation, ~10% trial→paid, monthly and yearly renewals with churn, fading
 * activity — drawn per user from hashes instead of a JavaScript loop, so a million users
 * take seconds. `bench_people` keeps each user's timeline (epoch microseconds); the
 * users snapshot is derived from it as of `now`, like the demo's `usersAsOfSql`.
 */
import { ADDONS, COMPANY_SIZES, FIRST_NAMES, REGIONS, SURNAME_INITIALS } from "../demo/_people.ts";
import { PRICES } from "../demo/taskly.ts";
import { DAY_US, MINUTE_US, SECOND_US, below, chance, exponential, listOf, tsFromUs, uniform, weightedPick } from "./_sql-random.ts";

export interface PopulationOptions {
  users: number;
  /** End of the period (nothing happens after it), epoch microseconds. */
  nowUs: number;
  days: number;
  seed: number;
}

/** Local signup hour and weight (the demo's: busy mornings and afternoons, quiet nights). */
const LOCAL_HOURS: readonly (readonly [number, number])[] = [
  [7, 3], [8, 6], [9, 10], [10, 11], [11, 10], [12, 7], [13, 8], [14, 9], [15, 9], [16, 8], [17, 6],
  [18, 4], [19, 3], [20, 3], [21, 3], [22, 2],
];

/** Width of the numeric part of user ids, e.g. u0000001 for a million users. */
export const idWidth = (users: number): number => String(users).length;

/** `CREATE TABLE bench_people AS …`: one row per user with the timeline the events are drawn from. */
export function peopleTableSql(o: PopulationOptions): string {
  const { seed } = o;
  const r = (salt: number): string => uniform(seed, "i", salt);
  const startDate = new Date(o.nowUs / 1000 - o.days * 86_400_000).toISOString().slice(0, 10);
  const regionIndex = weightedPick(seed, "i", 1, REGIONS.map(([, w], k) => [k + 1, w] as const));
  const price = (plan: "pro" | "team", term: 30 | 365): number => PRICES[plan][term];
  return `CREATE OR REPLACE TABLE bench_people AS
  WITH base AS (
    SELECT i, 'u' || lpad((i + 1)::VARCHAR, ${idWidth(o.users)}, '0') AS user_id,
      ${listOf(FIRST_NAMES)}[1 + ${below(seed, "i", 2, FIRST_NAMES.length)}] AS first_name,
      ${listOf([...SURNAME_INITIALS])}[1 + ${below(seed, "i", 3, SURNAME_INITIALS.length)}] AS initial,
      ${regionIndex} AS region,
      ${weightedPick(seed, "i", 4, COMPANY_SIZES)} AS company_size,
      -- Signups grow by 40% over the period: inverse CDF of a linear density.
      floor((-1 + sqrt(1 + 0.96 * ${r(5)})) / 0.4 * ${o.days})::INTEGER AS signup_day,
      ${weightedPick(seed, "i", 6, LOCAL_HOURS)} * 60 + ${below(seed, "i", 7, 60)} AS signup_minute
    FROM range(${o.users}) t(i)
  ), placed AS (
    SELECT *, ${listOf(REGIONS.map(([x]) => x.timezone))}[region] AS timezone, ${listOf(REGIONS.map(([x]) => x.country))}[region] AS country,
      least(${o.nowUs - SECOND_US}, epoch_us(timezone(${listOf(REGIONS.map(([x]) => x.timezone))}[region],
        DATE '${startDate}' + signup_day + to_minutes(signup_minute::BIGINT)))) AS created_us,
      CASE company_size WHEN '1' THEN 0.85 WHEN '2-10' THEN 1.0 ELSE 1.12 END AS size_factor
    FROM base
  ), traits AS (
    SELECT *, ${chance(seed, "i", 10, "0.4 * size_factor")} AS activated FROM placed
  ), drawn AS (
    SELECT *,
      CASE WHEN activated THEN 5 + ${below(seed, "i", 11, 11)} ELSE ${weightedPick(seed, "i", 11, [[0, 35], [1, 20], [2, 18], [3, 15], [4, 12]])} END AS first_week_tasks,
      ${chance(seed, "i", 12, "CASE WHEN activated THEN 0.8 ELSE 0.3 END")} AS first_project,
      CASE WHEN ${chance(seed, "i", 13, "CASE WHEN activated THEN 0.4 ELSE 0.08 END")} THEN 1 + ${below(seed, "i", 14, 3)} ELSE 0 END AS invites,
      CASE WHEN ${chance(seed, "i", 15, "CASE WHEN activated THEN 0.35 ELSE 0.08 END")} THEN created_us + ${exponential(seed, "i", 16, 3 * DAY_US)}::BIGINT END AS mobile_us,
      CASE WHEN ${chance(seed, "i", 17, "CASE WHEN activated THEN 0.45 ELSE 0.2 END")} THEN created_us + ${DAY_US} + (${r(18)} * ${7 * DAY_US})::BIGINT END AS pricing_us,
      CASE WHEN ${chance(seed, "i", 19, 0.5)} THEN CASE WHEN hash(i) % 2 = 0 THEN '/pricing-a' ELSE '/pricing-b' END END AS pricing_ab,
      CASE WHEN ${chance(seed, "i", 20, 0.07)} THEN created_us + (${r(21)} * ${30 * DAY_US})::BIGINT END AS webinar_us,
      ${chance(seed, "i", 22, "CASE WHEN activated THEN 0.19 ELSE 0.025 END")} AS buys,
      ${chance(seed, "i", 25, 0.25)} AS early_checkout,
      ${chance(seed, "i", 27, 0.3)} AS yearly,
      (2 + ${below(seed, "i", 28, 14)}) * ${MINUTE_US} + ${SECOND_US} AS pay_delay_us,
      CASE WHEN activated THEN 5 + ${below(seed, "i", 29, 21)} ELSE ${below(seed, "i", 29, 9)} END AS overdue_pct
    FROM traits
  ), bought AS (
    SELECT *,
      CASE WHEN buys THEN CASE WHEN ${chance(seed, "i", 23, 0.7)} THEN created_us + ${2 * DAY_US} + (${r(24)} * ${5 * DAY_US})::BIGINT
        ELSE created_us + ${7 * DAY_US} + ${exponential(seed, "i", 24, 10 * DAY_US)}::BIGINT END END AS checkout_us,
      CASE WHEN NOT buys AND ${chance(seed, "i", 30, 0.06)} THEN created_us + ${2 * DAY_US} + (${r(31)} * ${8 * DAY_US})::BIGINT END AS abandoned_us,
      CASE WHEN ${chance(seed, "i", 26, "CASE WHEN invites > 0 THEN 0.35 ELSE 0.08 END")} THEN 'team' ELSE 'pro' END AS paid_plan,
      CASE WHEN yearly THEN 365 ELSE 30 END AS term_days
    FROM drawn
  ), paid AS (
    SELECT *, CASE WHEN checkout_us + pay_delay_us <= ${o.nowUs} THEN checkout_us + pay_delay_us END AS paid_us FROM bought
  ), renewing AS (
    SELECT *, floor((${o.nowUs} - paid_us) / (term_days * ${DAY_US}))::INTEGER AS terms_elapsed,
      -- Renewals survived before churning: geometric with the demo's churn per term.
      floor(ln(1 - ${r(32)}) / ln(1 - CASE WHEN yearly THEN 0.2 ELSE 0.06 END))::INTEGER AS churn_after
    FROM paid
  ), licensed AS (
    SELECT *, least(terms_elapsed, churn_after) AS renewals,
      CASE WHEN churn_after < terms_elapsed THEN paid_us + (churn_after + 1) * term_days * ${DAY_US} END AS license_end_us
    FROM renewing
  ), spans AS (
    SELECT *,
      CASE paid_plan WHEN 'team' THEN CASE WHEN yearly THEN ${price("team", 365)} ELSE ${price("team", 30)} END
        ELSE CASE WHEN yearly THEN ${price("pro", 365)} ELSE ${price("pro", 30)} END END AS amount,
      CASE WHEN paid_us IS NOT NULL THEN coalesce(license_end_us, paid_us + (terms_elapsed + 1) * term_days * ${DAY_US}) END AS license_expires_us,
      activated OR paid_us IS NOT NULL AS engaged,
      created_us + ${7 * DAY_US} AS span1_from_us,
      least(${o.nowUs}, CASE WHEN paid_us IS NOT NULL THEN coalesce(license_end_us, ${o.nowUs})
        ELSE created_us + ${7 * DAY_US} + ${exponential(seed, "i", 33, `CASE WHEN activated THEN ${35 * DAY_US} ELSE ${3 * DAY_US} END`)}::BIGINT END) AS span1_until_us,
      CASE WHEN NOT activated AND paid_us IS NULL AND ${chance(seed, "i", 34, 0.2)} THEN created_us + ${14 * DAY_US} + ${exponential(seed, "i", 35, 25 * DAY_US)}::BIGINT END AS span2_from_us,
      ${exponential(seed, "i", 36, 6 * DAY_US)}::BIGINT AS span2_length_us,
      CASE WHEN ${chance(seed, "i", 37, 0.15)} THEN ${listOf(ADDONS)}[1 + ${below(seed, "i", 38, ADDONS.length)}] END AS addon,
      ${exponential(seed, "i", 39, 20 * DAY_US)}::BIGINT AS addon_delay_us,
      CASE WHEN ${chance(seed, "i", 40, 0.06)} THEN ${exponential(seed, "i", 41, 15 * DAY_US)}::BIGINT END AS referral_delay_us
    FROM licensed
  )
  SELECT *, greatest(0, span1_until_us - span1_from_us)
      + coalesce(greatest(0, least(${o.nowUs}, span2_from_us + span2_length_us) - span2_from_us), 0) AS active_us,
    CASE WHEN paid_us IS NOT NULL AND (license_end_us IS NULL OR license_end_us > ${o.nowUs}) THEN paid_plan
      WHEN paid_us IS NULL AND created_us + ${7 * DAY_US} > ${o.nowUs} THEN 'trial' ELSE 'expired' END AS plan
  FROM spans`;
}

/** The users snapshot as of `now` (the columns the demo exports). */
export function usersSnapshotSql(o: PopulationOptions, where: string): string {
  const day = new Date(o.nowUs / 1000).toISOString().slice(0, 10);
  return `SELECT user_id,
      lower(strip_accents(first_name)) || '.' || initial || (i + 1) || '@example.' || CASE WHEN ${chance(o.seed, "i", 50, 0.7)} THEN 'com' ELSE 'org' END AS email,
      first_name, ${tsFromUs("created_us")} AS created_at, timezone, plan,
      ${tsFromUs(`created_us + ${7 * DAY_US}`)} AS trial_ends_at,
      CASE WHEN license_expires_us IS NOT NULL THEN ${tsFromUs("license_expires_us")} END AS license_expires_at,
      CASE WHEN plan <> 'expired' AND hash(user_id, '${day}') % 100 < overdue_pct THEN (1 + hash('${day}', user_id) % 7)::INTEGER ELSE 0 END AS overdue_tasks,
      company_size, country
    FROM bench_people WHERE ${where} ORDER BY i`;
}

