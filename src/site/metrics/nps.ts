import type { DuckDBConnection } from "@duckdb/node-api";
import { FUNNEL_COLUMNS, MESSAGES } from "../messages.ts";
import { lit, num, rows, str, ts } from "../db.ts";
import { count, rate, type Figure, type Rate } from "../privacy.ts";
import { nps, type NpsResult } from "../stats.ts";
import { funnelFrom, type Funnel } from "./funnel.ts";

/** The event a click on a survey answer link produces, and its property. */
export const NPS_EVENT = "nps.answered";

/** NPS figures, hidden together when fewer than k people answered. */
export type NpsFigure = (NpsResult & { hidden: false }) | { hidden: true; n: number };

export interface NpsMonth {
  month: string;
  score: NpsFigure;
  /** Survey recipients of the month who answered ÷ survey recipients (delivered). */
  responseRate: Rate;
}

export interface NpsReport {
  overall: NpsFigure;
  months: NpsMonth[];
  /** Answers per score 0..10 (each user's latest answer). */
  distribution: { score: number; answers: Figure }[];
  followUp: { funnel: Funnel; detractors: Figure; improved: Rate } | null;
}

const protect = (r: NpsResult, k: number): NpsFigure => (r.n > 0 && r.n < k ? { hidden: true, n: r.n } : { ...r, hidden: false });

/** Answers as (user, score, ts), keeping scores 0..10 only. */
const ANSWERS = `
  SELECT user_id, ts, TRY_CAST(json_extract_string(properties, '$.score') AS INTEGER) AS score
  FROM events WHERE event = ${lit(NPS_EVENT)} AND TRY_CAST(json_extract_string(properties, '$.score') AS INTEGER) BETWEEN 0 AND 10`;

/** NPS over answers in [from, to): each user's latest answer in the period counts once. */
export async function npsInPeriod(conn: DuckDBConnection, k: number, from?: Date, to?: Date): Promise<NpsFigure> {
  const where = [from ? `ts >= ${ts(from)}` : "TRUE", to ? `ts < ${ts(to)}` : "TRUE"].join(" AND ");
  const [r] = await rows(
    conn,
    `WITH a AS (${ANSWERS}), latest AS (SELECT arg_max(score, ts) AS score FROM a WHERE ${where} GROUP BY user_id)
     SELECT count(*) FILTER (WHERE score >= 9)::INTEGER AS p, count(*) FILTER (WHERE score BETWEEN 7 AND 8)::INTEGER AS m,
            count(*) FILTER (WHERE score <= 6)::INTEGER AS d FROM latest`,
  );
  return protect(nps(num(r?.p), num(r?.m), num(r?.d)), k);
}

/**
 * The NPS page: monthly score with its margin of error, the 0–10 distribution, response
 * rate, and how detractor follow-ups went (`followUpCampaigns` are the campaigns started
 * by an answer, e.g. the detractor trigger).
 */
export async function npsReport(conn: DuckDBConnection, opts: { k: number; timezone: string; followUpCampaigns: string[] }): Promise<NpsReport> {
  const { k, timezone: tz } = opts;
  const monthly = await rows(
    conn,
    `WITH a AS (SELECT *, strftime(timezone(${lit(tz)}, ts), '%Y-%m') AS month FROM (${ANSWERS})),
     latest AS (SELECT month, user_id, arg_max(score, ts) AS score FROM a GROUP BY month, user_id),
     scores AS (
       SELECT month, count(*) FILTER (WHERE score >= 9)::INTEGER AS p, count(*) FILTER (WHERE score BETWEEN 7 AND 8)::INTEGER AS m,
              count(*) FILTER (WHERE score <= 6)::INTEGER AS d FROM latest GROUP BY month),
     surveyed AS (
       SELECT strftime(timezone(${lit(tz)}, s.sent_at), '%Y-%m') AS month,
              count(DISTINCT s.user_id)::INTEGER AS surveyed,
              count(DISTINCT s.user_id) FILTER (WHERE EXISTS (SELECT 1 FROM a WHERE a.user_id = s.user_id AND a.ts >= s.sent_at))::INTEGER AS answered
       FROM ${MESSAGES} s WHERE s.type = 'survey' AND s.delivered_at IS NOT NULL GROUP BY month)
     SELECT coalesce(scores.month, surveyed.month) AS month, p, m, d, surveyed, answered
     FROM scores FULL JOIN surveyed USING (month) ORDER BY month`,
  );
  const months = monthly.map((r) => ({
    month: str(r.month),
    score: protect(nps(num(r.p), num(r.m), num(r.d)), k),
    responseRate: rate(num(r.answered), num(r.answered), num(r.surveyed), num(r.surveyed), k),
  }));
  const dist = await rows(conn, `WITH a AS (${ANSWERS}) SELECT arg_max(score, ts) AS score FROM a GROUP BY user_id`);
  const distribution = Array.from({ length: 11 }, (_, score) => {
    const n = dist.filter((r) => num(r.score) === score).length;
    return { score, answers: count(n, n, k) };
  });
  return { overall: await npsInPeriod(conn, k), months, distribution, followUp: await followUp(conn, k, opts.followUpCampaigns) };
}

/** Detractor follow-ups: the funnel of their emails, and how many later answered 7 or more. */
async function followUp(conn: DuckDBConnection, k: number, campaigns: string[]): Promise<NpsReport["followUp"]> {
  if (campaigns.length === 0) return null;
  const inList = campaigns.map(lit).join(", ");
  const [f] = await rows(conn, `SELECT ${FUNNEL_COLUMNS} FROM ${MESSAGES} WHERE campaign IN (${inList})`);
  const [r] = await rows(
    conn,
    `WITH a AS (${ANSWERS}),
     followed AS (SELECT user_id, min(sent_at) AS sent_at FROM ${MESSAGES} WHERE campaign IN (${inList}) GROUP BY user_id)
     SELECT count(*)::INTEGER AS followed,
            count(*) FILTER (WHERE EXISTS (SELECT 1 FROM a WHERE a.user_id = f.user_id AND a.ts > f.sent_at AND a.score >= 7))::INTEGER AS improved
     FROM followed f`,
  );
  const [d] = await rows(conn, `WITH a AS (${ANSWERS}) SELECT count(DISTINCT user_id)::INTEGER AS n FROM a WHERE score <= 6`);
  return {
    funnel: funnelFrom(f ?? {}, k),
    detractors: count(num(d?.n), num(d?.n), k),
    improved: rate(num(r?.improved), num(r?.improved), num(r?.followed), num(r?.followed), k),
  };
}
