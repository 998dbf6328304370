/**
 * A campaign's occurrences: entry → audience → re-entry policy, plus the facts every step
 * of the occurrence shares (goal reached since it began, exit condition holds now), so
 * that each step's query only joins small tables and never rescans the events.
 */
import type { Campaign } from "../config/types.ts";
import { compileCondition, whereSql } from "../sql/conditions.ts";
import { entrySql, type EntryContext } from "../sql/entries.ts";
import { sqlInstant, sqlInterval, sqlString } from "../sql/literals.ts";
import { userZoneSql } from "../sql/zones.ts";

/** `user_id, occurred_at, occurrence` after the audience filter and the re-entry policy. */
export function occurrencesSql(campaign: Campaign, ctx: EntryContext): string {
  const audience = campaign.audience ? ` WHERE user_id IN (SELECT u.user_id FROM users u WHERE ${compileCondition(campaign.audience, ctx)})` : "";
  const raw = `SELECT * FROM (${entrySql(campaign.entry, ctx)})${audience}`;
  const r = campaign.reentry;
  if (r.policy === "always") return raw;
  if (r.policy === "never") return `SELECT * FROM (${raw}) QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY occurred_at, occurrence) = 1`;
  return `SELECT * FROM (${raw}) QUALIFY coalesce(occurred_at - lag(occurred_at) OVER (PARTITION BY user_id ORDER BY occurred_at, occurrence)
    >= ${sqlInterval(r.cooldownMs)}, true)`;
}

/**
 * The occurrence table a campaign's steps read: occurrences with `goal_reached` (the goal
 * event happened at or after the occurrence began, up to now), `exited` (the exit
 * condition holds for the user now), and the facts about the user every step reads: the
 * effective time zone `tz`, `no_email`, and `suppressed` (the first suppression reason in
 * alphabetical order, or NULL; needs the `suppressed` table of the derived tables). They
 * are read here, once per campaign, rather than by each step.
 */
export function occurrenceTableSql(campaign: Campaign, ctx: EntryContext): string {
  const now = sqlInstant(ctx.now);
  const goal = campaign.goal
    ? `EXISTS (SELECT 1 FROM events g WHERE g.user_id = o.user_id AND g.event = ${sqlString(campaign.goal.event)}
        AND g.ts >= o.occurred_at AND g.ts <= ${now}${whereSql(campaign.goal.where, "g")})`
    : "false";
  const exited = campaign.exit ? `o.user_id IN (SELECT u.user_id FROM users u WHERE ${compileCondition(campaign.exit, ctx)})` : "false";
  return `SELECT o.user_id, o.occurred_at, o.occurrence, ${goal} AS goal_reached, ${exited} AS exited,
      ${userZoneSql("u.timezone", ctx.zones, ctx.timezone)} AS tz, nullif(trim(u.email), '') IS NULL AS no_email, p.reason AS suppressed
    FROM (${occurrencesSql(campaign, ctx)}) o JOIN users u ON u.user_id = o.user_id
    LEFT JOIN (SELECT user_id, min(reason) AS reason FROM suppressed GROUP BY user_id) p ON p.user_id = o.user_id`;
}
