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
import { DAY_MS } from "../duration.ts";
import { sqlInterval, sqlString } from "./literals.ts";

/**
 * `SELECT user_id, level_0, level_1, …` for the users of `users`, a query with `user_id` and
 * one instant per level wanted, `at_0`, `at_1`, … (`count` of them): each user's level at
 * each instant, read in one pass over email_activity.
 *
 * @example
 * levelsSql(engagement, `SELECT user_id, TIMESTAMPTZ '2026-11-20T00:00:00Z' AS at_0 FROM users`, 1)
 */
export function levelsSql(engagement: Engagement, users: string, count: number): string {
  const fallback = engagement.rules.at(-1)?.level ?? "not_engaged";
  const at = Array.from({ length: count }, (_, i) => `p.at_${i}`);
  // Each window's start once per user, not once per email event joined to the user: the
  // levels at 1M users took 3.6–3.9 s against 6.3–7.0 s (README, Benchmarks).
  const starts = at.map((_, i) => `at_${i} - ${sqlInterval(engagement.windowMs)} AS from_${i}`);
  const metrics = at.flatMap((t, i) => {
    const inWindow = `a.ts <= ${t} AND a.ts > p.from_${i}`;
    const daysSince = (events: string): string => `floor((epoch_ms(${t}) - epoch_ms(max(a.ts) FILTER (WHERE a.event IN ${events} AND a.ts <= ${t}))) / ${DAY_MS})`;
    return [
      `count(DISTINCT a.msg) FILTER (WHERE a.event IN ('email.sent', 'email.delivered') AND ${inWindow}) AS sent_${i}`,
      `count(DISTINCT a.msg) FILTER (WHERE a.event IN ('email.opened', 'email.clicked') AND ${inWindow}) AS opened_${i}`,
      `count(DISTINCT a.msg) FILTER (WHERE a.event = 'email.clicked' AND ${inWindow}) AS clicked_${i}`,
      `${daysSince("('email.opened', 'email.clicked')")} AS days_since_open_${i}`,
      `${daysSince("('email.clicked')")} AS days_since_click_${i}`,
    ];
  });
  const levels = at.map((_, i) => {
    const cases = engagement.rules.map((rule) => `WHEN ${ruleSql(rule.when, `_${i}`)} THEN ${sqlString(rule.level)}`).join(" ");
    return `CASE ${cases} ELSE ${sqlString(fallback)} END AS level_${i}`;
  });
  const latest = at.length > 1 ? `greatest(${at.join(", ")})` : at[0];
  return `SELECT user_id, ${levels.join(", ")} FROM (
    SELECT p.user_id, ${metrics.join(",\n      ")}
    FROM (SELECT *, ${starts.join(", ")} FROM (${users})) p
    LEFT JOIN email_activity a ON a.user_id = p.user_id AND a.ts <= ${latest}
    GROUP BY p.user_id, ${at.join(", ")})`;
}

/** The test of one rule on the metrics named with `suffix` (`sent_0`, …). */
function ruleSql(when: Partial<Record<EngagementMetric, { gte?: number; lte?: number }>>, suffix: string): string {
  const tests: string[] = [];
  for (const [metric, range] of Object.entries(when) as [EngagementMetric, { gte?: number; lte?: number }][]) {
    // Days since an open that never happened: infinitely many.
    const never = metric.startsWith("days_since") ? "true" : "false";
    if (range.gte !== undefined) tests.push(`coalesce(${metric}${suffix} >= ${Number(range.gte)}, ${never})`);
    if (range.lte !== undefined) tests.push(`coalesce(${metric}${suffix} <= ${Number(range.lte)}, false)`);
  }
  return tests.length ? `(${tests.join(" AND ")})` : "true";
}
