/**
 * The five engagement levels as set-based SQL over `email_activity` (see email-activity.ts).
 *
 * Metrics of a user at an instant `at`, over the window (at − window, at]:
 *   sent     emails sent or delivered in the window
 *   opened   emails opened by a person (machine opens excluded) or clicked in the window
 *   clicked  emails clicked in the window
 * and, over all history up to `at`:
 *   days_since_open   whole days since the last human open or click
 *   days_since_click  whole days since the last click
 * Counts are of emails, not events: three clicks on one email are one email clicked.
 * A user who never opened (never clicked) is infinitely long ago: `lte` fails and `gte`
 * holds. Rules are checked in order and the first that holds gives the level.
 */
import type { Engagement, EngagementMetric } from "../config/types.ts";
import { sqlInterval, sqlString } from "./literals.ts";

const DAY_MS = 86_400_000;

/**
 * `SELECT user_id, level` for the users of `users` (a query with `user_id` and `at`,
 * the instant each user's level is taken at).
 *
 * @example
 * levelsSql(engagement, `SELECT user_id, TIMESTAMPTZ '2026-11-20T00:00:00Z' AS at FROM users`)
 */
export function levelsSql(engagement: Engagement, users: string): string {
  const window = `p.at - ${sqlInterval(engagement.windowMs)}`;
  const inWindow = `a.ts > ${window}`;
  const cases = engagement.rules.map((rule) => `WHEN ${ruleSql(rule.when)} THEN ${sqlString(rule.level)}`).join(" ");
  const fallback = engagement.rules.at(-1)?.level ?? "not_engaged";
  return `SELECT user_id, CASE ${cases} ELSE ${sqlString(fallback)} END AS level FROM (
    SELECT p.user_id,
      count(DISTINCT a.msg) FILTER (WHERE a.event IN ('email.sent', 'email.delivered') AND ${inWindow}) AS sent,
      count(DISTINCT a.msg) FILTER (WHERE a.event IN ('email.opened', 'email.clicked') AND ${inWindow}) AS opened,
      count(DISTINCT a.msg) FILTER (WHERE a.event = 'email.clicked' AND ${inWindow}) AS clicked,
      floor((epoch_ms(p.at) - epoch_ms(max(a.ts) FILTER (WHERE a.event IN ('email.opened', 'email.clicked')))) / ${DAY_MS}) AS days_since_open,
      floor((epoch_ms(p.at) - epoch_ms(max(a.ts) FILTER (WHERE a.event = 'email.clicked'))) / ${DAY_MS}) AS days_since_click
    FROM (${users}) p LEFT JOIN email_activity a ON a.user_id = p.user_id AND a.ts <= p.at
    GROUP BY p.user_id, p.at)`;
}

function ruleSql(when: Partial<Record<EngagementMetric, { gte?: number; lte?: number }>>): string {
  const tests: string[] = [];
  for (const [metric, range] of Object.entries(when) as [EngagementMetric, { gte?: number; lte?: number }][]) {
    // Days since an open that never happened: infinitely many.
    const never = metric.startsWith("days_since") ? "true" : "false";
    if (range.gte !== undefined) tests.push(`coalesce(${metric} >= ${Number(range.gte)}, ${never})`);
    if (range.lte !== undefined) tests.push(`coalesce(${metric} <= ${Number(range.lte)}, false)`);
  }
  return tests.length ? `(${tests.join(" AND ")})` : "true";
}
