/**
 * One set-based query per campaign step: every (user, occurrence) whose step moment has
 * come, with the facts the plan needs to decide (sent already? branch taken? goal reached?
 * exited? suppressed? no email?). Decisions that depend on the rows chosen together
 * (frequency caps) are made afterwards over this small result. The step queries join only
 * small per-evaluation tables (occurrences, sent keys, first opens and clicks per key), so
 * adding steps does not add scans of the events.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { BranchOn, Campaign, Settings, Step } from "../config/types.ts";
import { whereSql, type CompileContext } from "../sql/conditions.ts";
import { sqlInstant, sqlInterval, sqlString } from "../sql/literals.ts";
import { inWindowSql, windowedDueSql } from "./_send-window.ts";

/** SQL for the message key of four SQL expressions (user, campaign, step, occurrence); equals `messageKey()`. */
const keyOfSql = (user: string, campaign: string, step: string, occurrence: string): string =>
  `sha256(${user} || chr(0) || ${campaign} || chr(0) || ${step} || chr(0) || ${occurrence})[1:32]`;

/** SQL for the message key of a user and occurrence (SQL) in a named campaign and step; equals `messageKey()`. */
export const keySql = (user: string, campaign: string, step: string, occurrence: string): string =>
  keyOfSql(user, sqlString(campaign), sqlString(step), occurrence);

/**
 * Tables every step query joins instead of rescanning the ledger and the events; built
 * once per evaluation, as of `now`, after the derived tables (it reads email_activity).
 * The key tables name the campaign, step, user and occurrence of each key (from its
 * `intent` or `skipped` record), so a step query finds its
 * own step's rows by (user, occurrence) without hashing a key for every occurrence. A key
 * with no such record, or whose record does not hash to it (an "orphan": a hand-edited or
 * truncated ledger), has NULLs there; while any exists, step queries match by key instead
 * (see `hasOrphanKeys`):
 *   sent_keys(key, sent_at, campaign, step, user_id, occurrence)
 *                                             the done keys with a `sent` record, at its first
 *   done_keys(key, sent_at, campaign, step, user_id, occurrence)
 *                                             keys sent or skipped: never planned again
 *   entered_occurrences(campaign, user_id, occurrence)
 *                                             the ledger's `entered` records: occurrences
 *                                             new to the ledger (see `Plan.entered`)
 *   exited_occurrences(campaign, user_id, occurrence)
 *                                             occurrences a run skipped a step of by the
 *                                             campaign's exit (`exited: …`): they ended
 *   message_events(key, user_id, opened_at, clicked_at)
 *                                             first human open (see email_activity: not a
 *                                             machine open) and first click per key
 */
export async function buildStepTables(conn: DuckDBConnection, now: Date): Promise<void> {
  // Only keys sent or skipped by `now` matter here (a plan as of an earlier instant does
  // not know what later runs recorded); each one's record is checked against its key, so
  // a hand-edited record cannot make a step miss a key it sent (it becomes an orphan).
  await conn.run(`CREATE OR REPLACE TEMP TABLE done_keys AS
    SELECT key, sent_at, CASE WHEN ok THEN campaign END AS campaign, CASE WHEN ok THEN step END AS step,
      CASE WHEN ok THEN user_id END AS user_id, CASE WHEN ok THEN occurrence END AS occurrence
    FROM (SELECT *, coalesce(${keyOfSql("user_id", "campaign", "step", "occurrence")} = key, false) AS ok FROM (
      SELECT key, any_value(campaign) AS campaign, any_value(step) AS step, any_value(user_id) AS user_id, any_value(occurrence) AS occurrence,
        min("at") FILTER (WHERE kind = 'sent') AS sent_at
      FROM ledger WHERE kind IN ('intent', 'sent', 'skipped') AND "at" <= ${sqlInstant(now)} GROUP BY key HAVING bool_or(kind IN ('sent', 'skipped'))))`);
  await conn.run(`CREATE OR REPLACE TEMP TABLE entered_occurrences AS
    SELECT DISTINCT campaign, user_id, occurrence FROM ledger
    WHERE kind = 'entered' AND "at" <= ${sqlInstant(now)} AND campaign IS NOT NULL AND user_id IS NOT NULL AND occurrence IS NOT NULL`);
  await conn.run(`CREATE OR REPLACE TEMP TABLE exited_occurrences AS
    SELECT DISTINCT campaign, user_id, occurrence FROM ledger
    WHERE kind = 'skipped' AND starts_with(reason, 'exited:') AND "at" <= ${sqlInstant(now)}
      AND campaign IS NOT NULL AND user_id IS NOT NULL AND occurrence IS NOT NULL`);
  // A view, not a copy: at 1M users the copy was 8M rows the memory cap had to make room for.
  await conn.run("CREATE OR REPLACE TEMP VIEW sent_keys AS SELECT * FROM done_keys WHERE sent_at IS NOT NULL");
  // From email_activity (built with the derived tables, as of `now`), which already reads
  // each email event's key once and leaves out machine opens (within the window of the
  // delivery, or of the earliest known send, the ledger's included, when none is known):
  // branches, scores and levels read one rule.
  await conn.run(`CREATE OR REPLACE TEMP TABLE message_events AS
    SELECT s.key, e.user_id,
      min(e.ts) FILTER (WHERE e.event = 'email.opened') AS opened_at,
      min(e.ts) FILTER (WHERE e.event = 'email.clicked') AS clicked_at
    FROM email_activity e JOIN sent_keys s ON hash(s.key) = e.msg
    WHERE e.event IN ('email.opened', 'email.clicked')
    GROUP BY s.key, e.user_id`);
}

/** Whether the ledger holds a sent or skipped key with no intent or skipped record naming its step. */
export async function hasOrphanKeys(conn: DuckDBConnection): Promise<boolean> {
  const reader = await conn.runAndReadAll("SELECT EXISTS (SELECT 1 FROM done_keys WHERE campaign IS NULL OR user_id IS NULL OR occurrence IS NULL) AS y");
  return reader.getRowObjects()[0]!.y === true;
}

/** The rows of a key table (above) of `step` of `campaign`, and with `orphans` those of no known step. */
function keysOf(table: string, campaign: string, step: string, orphans: boolean): string {
  const mine = `campaign = ${sqlString(campaign)} AND step = ${sqlString(step)}`;
  return `(SELECT * FROM ${table} WHERE ${orphans ? `campaign IS NULL OR user_id IS NULL OR occurrence IS NULL OR (${mine})` : mine})`;
}

/**
 * Whether the `after` step's email (row `m` of message_events, sent at `sentAt`) shows the
 * behaviour by `by` (`holds`), and whether what it already shows means it never can
 * (`closed`: an open, a click or a conversion is not undone, so `not_opened` is closed by
 * the first open; the positive forms may still come until the step's moment).
 */
function branchSql(when: BranchOn, sentAt: string, by: string, campaign: Campaign): { holds: string; closed: string } {
  const seen = (at: string): string => `coalesce(${at} <= ${by}, false)`;
  // Privacy-proxy (machine) opens land within seconds of delivery: message_events leaves them out.
  const opened = `(${seen("m.opened_at")} OR ${seen("m.clicked_at")})`;
  const clicked = seen("m.clicked_at");
  const goal = campaign.goal;
  const converted = goal
    ? `EXISTS (SELECT 1 FROM events g WHERE g.user_id = c.user_id AND g.event = ${sqlString(goal.event)} AND g.ts > ${sentAt}
        AND g.ts <= ${sentAt} + ${sqlInterval(goal.attributionMs)} AND g.ts <= ${by}${whereSql(goal.where, "g")})`
    : "false";
  switch (when) {
    case "opened": return { holds: opened, closed: "false" };
    case "clicked": return { holds: clicked, closed: "false" };
    case "not_opened": return { holds: `NOT ${opened}`, closed: opened };
    case "not_clicked": return { holds: `NOT ${clicked}`, closed: clicked };
    case "opened_not_clicked": return { holds: `(${opened} AND NOT ${clicked})`, closed: clicked };
    case "clicked_not_converted": return { holds: `(${clicked} AND NOT ${converted})`, closed: converted };
    case "converted": return { holds: converted, closed: "false" };
  }
}

/**
 * The campaign's done keys (`done_keys`) by occurrence, in one pass over them, for the
 * occurrence table (`occurrenceTableSql`'s `keys`) and the step queries to share:
 *   (user_id, occurrence, counted, done_mask, sent_i …)
 * `counted` when a key of it was sent; `done_mask` has bit i set when step i's key was sent
 * or skipped (NULL for a campaign of more than 64 steps); `sent_i` is when step i was sent,
 * for each step another step follows. At 1M users the ten steps of a weekly sequence had
 * read the 8M keys twenty times, and the occurrence table once more.
 */
export function campaignKeysSql(campaign: Campaign): string {
  const index = `CASE step ${campaign.steps.map((s, i) => `WHEN ${sqlString(s.id)} THEN ${i}`).join(" ")} END`;
  const mask = campaign.steps.length <= 64 ? "bit_or(1::UBIGINT << i)" : "NULL::UBIGINT";
  const sent = followedSteps(campaign).map((i) => `, min(sent_at) FILTER (WHERE i = ${i}) AS sent_${i}`).join("");
  return `SELECT user_id, occurrence, bool_or(sent_at IS NOT NULL) AS counted, ${mask} AS done_mask${sent}
    FROM (SELECT user_id, occurrence, sent_at, ${index} AS i FROM done_keys WHERE campaign = ${sqlString(campaign.id)})
    GROUP BY user_id, occurrence`;
}

/**
 * The campaign's occurrences (a table `occurrenceTableSql` made) beside their steps' keys
 * from `keys` (a table `campaignKeysSql` made), which a step query reads with `stepSql`'s
 * `keyed` instead of joining the done keys twice. Only for a ledger without orphan keys
 * (`hasOrphanKeys`), whose keys are found by (user, occurrence), and a campaign
 * `keyedSteps` accepts.
 */
export function keyedOccurrencesSql(campaign: Campaign, occurrences: string, keys: string): string {
  const sent = followedSteps(campaign).map((i) => `, k.sent_${i}`).join("");
  return `SELECT o.*, k.done_mask${sent} FROM ${occurrences} o LEFT JOIN ${keys} k ON k.user_id = o.user_id AND k.occurrence = o.occurrence`;
}

/** Whether `keyedOccurrencesSql` serves the campaign: more than one step (for one, its own join is as quick), and at most 64. */
export const keyedSteps = (campaign: Campaign): boolean => campaign.steps.length > 1 && campaign.steps.length <= 64;

/** The index of step `id` in the campaign: the bit of `done_mask` and the `sent_i` column that are its. */
const stepIndex = (campaign: Campaign, id: string): number => campaign.steps.findIndex((s) => s.id === id);

/** The indexes of the steps another step follows (`after`). */
const followedSteps = (campaign: Campaign): number[] =>
  [...new Set(campaign.steps.flatMap((s) => (s.after ? [stepIndex(campaign, s.after)] : [])))].sort((a, b) => a - b);

/**
 * Candidate rows of one step: user_id, occurrence, key, due, and flags. `occurrences` is a
 * table made by `occurrenceTableSql` (occurrences with goal_reached, exited, exit_ended, tz, no_email, suppressed). Reads the
 * tables of `buildStepTables`; `orphans` is what `hasOrphanKeys` said of them. With
 * `upcoming`, rows whose moment is still to come are included too (explain shows when they
 * will be due), with `branch_closed`: the branch can no longer be taken. With `keyed`,
 * `occurrences` is a table `keyedOccurrencesSql` made, which already holds each step's key
 * (and `orphans` is false).
 */
export function stepSql(
  campaign: Campaign, step: Step, occurrences: string, settings: Settings, ctx: CompileContext,
  options: { upcoming?: boolean; orphans?: boolean; keyed?: boolean } = {},
): string {
  const now = sqlInstant(ctx.now);
  const orphans = options.orphans ?? true;
  if (options.keyed && orphans) throw new Error("stepSql: keyed occurrences find keys by (user, occurrence), which orphan keys do not allow");
  // The branch is judged on what the user had done with the previous email by this step's
  // due moment; for a moment still to come (explain), on what they have done so far.
  const branch = step.when && step.after
    ? branchSql(step.when, "c.base", options.upcoming ? `least(c.due, ${now})` : "c.due", campaign)
    : { holds: "true", closed: "false" };
  // A step that waits for the conversion is not stopped by it, nor by the user leaving the
  // audience (see `occurrencesSql`); every other step reads only the audience's occurrences.
  const goal = campaign.goal && step.when !== "converted" ? "c.goal_reached" : "false";
  const audienceOnly = step.when !== "converted";
  const members = audienceOnly ? " WHERE o.in_audience" : "";
  const inWindow = inWindowSql("c.tz", settings, ctx);
  const raw = `base + ${sqlInterval(step.waitMs)}`;
  const sent = step.after ? keysOf("sent_keys", campaign.id, step.after, orphans) : "";
  const done = keysOf("done_keys", campaign.id, step.id, orphans);
  // Keys already sent or skipped leave first, so the costly time-zone arithmetic only runs
  // for the few rows still open. Without orphan keys, the ledger's rows are found by
  // (user, occurrence) and a key is hashed only for the rows that are left.
  const self = stepIndex(campaign, step.id);
  const after = step.after ? stepIndex(campaign, step.after) : -1;
  // Keyed, the previous step's key is derived (it hashes to the ledger's: no orphans) for the rows still open only.
  const k = options.keyed
    ? `SELECT o.user_id, o.occurrence, o.occurred_at, o.goal_reached, o.exited, o.exit_ended, o.tz, o.no_email, o.suppressed,
        ${step.after ? `CASE WHEN o.sent_${after} IS NOT NULL THEN ${keySql("o.user_id", campaign.id, step.after, "o.occurrence")} END` : "NULL::VARCHAR"} AS prev_key,
        ${step.after ? `o.sent_${after}` : "NULL::TIMESTAMPTZ"} AS prev_sent_at
      FROM ${occurrences} o WHERE ${audienceOnly ? "o.in_audience AND " : ""}coalesce((o.done_mask >> ${self}) & 1, 0) = 0`
    : orphans
    ? `SELECT o.*, ${step.after ? "p.sent_at" : "NULL::TIMESTAMPTZ"} AS prev_sent_at FROM (
        SELECT o.user_id, o.occurrence, o.occurred_at, o.goal_reached, o.exited, o.exit_ended, o.tz, o.no_email, o.suppressed,
          ${keySql("o.user_id", campaign.id, step.id, "o.occurrence")} AS key,
          ${step.after ? keySql("o.user_id", campaign.id, step.after, "o.occurrence") : "NULL::VARCHAR"} AS prev_key
        FROM ${occurrences} o${members}) o${step.after ? ` LEFT JOIN ${sent} p ON p.key = o.prev_key` : ""}
      WHERE NOT EXISTS (SELECT 1 FROM ${done} d WHERE d.key = o.key)`
    : `SELECT o.user_id, o.occurrence, o.occurred_at, o.goal_reached, o.exited, o.exit_ended, o.tz, o.no_email, o.suppressed,
        ${step.after ? "p.key" : "NULL::VARCHAR"} AS prev_key, ${step.after ? "p.sent_at" : "NULL::TIMESTAMPTZ"} AS prev_sent_at
      FROM (SELECT * FROM ${occurrences} o${members}) o${step.after ? ` LEFT JOIN ${sent} p ON p.user_id = o.user_id AND p.occurrence = o.occurrence` : ""}
      WHERE NOT EXISTS (SELECT 1 FROM ${done} d WHERE d.user_id = o.user_id AND d.occurrence = o.occurrence)`;
  return `WITH k AS (${k}
    ), todo AS (
      SELECT k.*, ${step.after ? "k.prev_sent_at" : "k.occurred_at"} AS base FROM k
    ), c AS (
      -- The window only ever moves a moment later, so a raw moment after now cannot be due.
      ${windowedDueSql(`SELECT * FROM todo WHERE base IS NOT NULL${options.upcoming ? "" : ` AND ${raw} <= ${now}`}`, raw, "tz", settings, ctx)}
    )
    SELECT c.user_id, c.occurrence, c.occurred_at, ${orphans ? "c.key" : keySql("c.user_id", campaign.id, step.id, "c.occurrence")} AS key, c.due,
      ${branch.holds} AS branch_taken,${options.upcoming ? ` ${branch.closed} AS branch_closed,` : ""} ${goal} AS goal_reached, c.exited, c.exit_ended, ${inWindow} AS in_window, c.no_email, c.suppressed
    FROM c${step.after ? " LEFT JOIN message_events m ON m.key = c.prev_key AND m.user_id = c.user_id" : ""}
    ${options.upcoming ? "" : `WHERE c.due <= ${now}`}`;
}
