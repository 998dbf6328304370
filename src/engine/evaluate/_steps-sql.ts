/**
 * One set-based query per campaign step: every (user, occurrence) whose step moment has
 * come, with the facts the plan needs to decide (sent already? branch taken? goal reached?
 * exited? suppressed? no email?). Decisions that depend on the rows chosen together
 * (frequency caps) are made afterwards over this small result.
 */
import type { BranchOn, Campaign, Settings, Step } from "../config/types.ts";
import { compileCondition, whereSql, type CompileContext } from "../sql/conditions.ts";
import { sqlInstant, sqlInterval, sqlString } from "../sql/literals.ts";

/** SQL for the message key of (user, campaign, step, occurrence); equals `messageKey()`. */
export const keySql = (user: string, campaign: string, step: string, occurrence: string): string =>
  `sha256(${user} || chr(0) || ${sqlString(campaign)} || chr(0) || ${sqlString(step)} || chr(0) || ${occurrence})[1:32]`;

/** Moves a moment forward to the next opening of the user's local send window. */
function windowed(moment: string, tz: string, settings: Settings): string {
  const { startMinute: start, endMinute: end } = settings.sendWindow;
  const local = `timezone(${tz}, ${moment})`;
  const minute = `(hour(${local}) * 60 + minute(${local}))`;
  const open = (days: number): string => `date_trunc('day', ${local}) + INTERVAL ${days} DAY + INTERVAL ${start} MINUTE`;
  return `timezone(${tz}, CASE WHEN ${minute} < ${start} THEN ${open(0)} WHEN ${minute} >= ${end} THEN ${open(1)} ELSE ${local} END)`;
}

/** Whether the `after` step's email (key `prev`, sent at `sentAt`) shows the behaviour by `by`. */
function branchSql(when: BranchOn, prev: string, sentAt: string, by: string, campaign: Campaign, settings: Settings): string {
  const saw = (event: string, extra = ""): string => `EXISTS (SELECT 1 FROM events x WHERE x.user_id = c.user_id AND x.event = ${sqlString(event)}
    AND json_extract_string(x.properties, '$.key') = ${prev} AND x.ts <= ${by}${extra})`;
  // Privacy-proxy (machine) opens land within seconds of delivery: they do not count as opens.
  const opened = `(${saw("email.opened", ` AND x.ts > ${sentAt} + ${sqlInterval(settings.machineOpenMs)}`)} OR ${saw("email.clicked")})`;
  const clicked = saw("email.clicked");
  const goal = campaign.goal;
  const converted = goal
    ? `EXISTS (SELECT 1 FROM events g WHERE g.user_id = c.user_id AND g.event = ${sqlString(goal.event)} AND g.ts > ${sentAt}
        AND g.ts <= ${sentAt} + ${sqlInterval(goal.attributionMs)} AND g.ts <= ${by}${whereSql(goal.where, "g")})`
    : "false";
  switch (when) {
    case "opened": return opened;
    case "clicked": return clicked;
    case "not_opened": return `NOT ${opened}`;
    case "not_clicked": return `NOT ${clicked}`;
    case "opened_not_clicked": return `(${opened} AND NOT ${clicked})`;
    case "clicked_not_converted": return `(${clicked} AND NOT ${converted})`;
    case "converted": return converted;
  }
}

/**
 * Candidate rows of one step: user_id, occurrence, key, due, and flags. `occurrences` is the
 * table holding the campaign's occurrences (after audience and re-entry). With `upcoming`,
 * rows whose moment is still to come are included too (explain shows when they will be due).
 */
export function stepSql(
  campaign: Campaign, step: Step, occurrences: string, settings: Settings, ctx: CompileContext, options: { upcoming?: boolean } = {},
): string {
  const now = sqlInstant(ctx.now);
  const tz = `coalesce(nullif(u.timezone, ''), ${sqlString(settings.timezone)})`;
  const sentOf = (k: string): string => `(SELECT min(l."at") FROM ledger l WHERE l.kind = 'sent' AND l.key = ${k})`;
  const prevKey = step.after ? keySql("o.user_id", campaign.id, step.after, "o.occurrence") : "NULL";
  const base = step.after ? sentOf(prevKey) : "o.occurred_at";
  // The branch is judged on what the user had done with the previous email by this step's due moment.
  const branch = step.when && step.after ? branchSql(step.when, "c.prev_key", "c.base", "c.due", campaign, settings) : "true";
  const goal = campaign.goal && step.when !== "converted"
    ? `EXISTS (SELECT 1 FROM events g WHERE g.user_id = c.user_id AND g.event = ${sqlString(campaign.goal.event)}
        AND g.ts >= c.occurred_at AND g.ts <= ${now}${whereSql(campaign.goal.where, "g")})`
    : "false";
  const exited = campaign.exit ? `c.user_id IN (SELECT u.user_id FROM users u WHERE ${compileCondition(campaign.exit, ctx)})` : "false";
  const local = `timezone(c.tz, ${now})`;
  const inWindow = `(hour(${local}) * 60 + minute(${local})) BETWEEN ${settings.sendWindow.startMinute} AND ${settings.sendWindow.endMinute - 1}`;
  return `SELECT c.user_id, c.occurrence, c.occurred_at, c.key, c.due,
      ${branch} AS branch_taken, ${goal} AS goal_reached, ${exited} AS exited, ${inWindow} AS in_window, c.no_email
    FROM (
      SELECT o.user_id, o.occurrence, o.occurred_at, ${keySql("o.user_id", campaign.id, step.id, "o.occurrence")} AS key,
        ${prevKey} AS prev_key, ${base} AS base, ${windowed(`${base} + ${sqlInterval(step.waitMs)}`, tz, settings)} AS due, ${tz} AS tz,
        nullif(trim(u.email), '') IS NULL AS no_email
      FROM ${occurrences} o JOIN users u ON u.user_id = o.user_id
    ) c
    WHERE c.base IS NOT NULL${options.upcoming ? "" : ` AND c.due <= ${now}`}
      AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.key = c.key AND l.kind IN ('sent', 'skipped'))`;
}
