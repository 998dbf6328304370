/**
 * A campaign's occurrences: entry → audience → re-entry policy, plus the facts every step
 * of the occurrence shares (goal reached since it began, exit condition holds now), so
 * that each step's query only joins small tables and never rescans the events.
 */
import type { Campaign, Entry, Settings } from "../config/types.ts";
import { DAY_MS } from "../duration.ts";
import { compileCondition, whereSql } from "../sql/conditions.ts";
import { entrySql, type EntryContext } from "../sql/entries.ts";
import { sqlInstant, sqlInterval, sqlString } from "../sql/literals.ts";
import { convertSql, userZoneSql } from "../sql/zones.ts";
import { windowShiftMs, windowedDueSql } from "./_send-window.ts";

/**
 * Entries whose occurrences the snapshot gives only as of now: each local day's `condition`
 * or level change, the current quiet spell, the tag's current assignment. Their earlier
 * occurrences survive only in the ledger: a key sent or skipped, or the `entered` record a
 * run writes for each new occurrence of these entries (so a first step that waits, or is
 * held back, does not vanish with the day).
 */
export const ONLY_NOW: ReadonlySet<Entry["on"]> = new Set(["condition", "engagement_changed", "inactive", "tag_assigned"]);

/**
 * `user_id, occurred_at, occurrence, recorded, counted, in_audience` after the audience filter and the
 * re-entry policy; `recorded` when the ledger holds the occurrence, `counted` when it holds
 * it as an entry (see `recordedSql`).
 *
 * The policy is applied to the occurrences the entry gives now together with those the
 * ledger records for the campaign (a key sent or skipped is an occurrence the user
 * entered), so a daily condition or a later quiet spell cannot start again under `never`,
 * a rolling snapshot that dropped old events does not lift it, and a sequence started by
 * yesterday's condition (or by an event the snapshot no longer holds, under `always` too)
 * goes on to its later steps. Under `never` the occurrence the ledger holds is the one
 * entry, even when an event dated earlier arrives late: the earliest is taken only among
 * occurrences not yet recorded, which would otherwise start the campaign a second time.
 * `cooldown` keeps an occurrence only when it began at least the cooldown after the last
 * occurrence kept (not merely the last one seen): a user who triggers every day under a
 * 3-day cooldown enters every third day.
 */
export function occurrencesSql(campaign: Campaign, settings: Settings, ctx: EntryContext, keys?: string): string {
  const members = campaign.audience ? `user_id IN (SELECT u.user_id FROM users u WHERE ${compileCondition(campaign.audience, ctx)})` : undefined;
  // A step that waits for a conversion follows the user out of the audience, as it does
  // past the goal: the audience of a nurture for trials that did not buy leaves out the
  // buyers its "converted" step is for. So such a campaign keeps the occurrences the ledger
  // counts (an email of them went out) for users outside it, marked, and only that step
  // reads them (`stepSql`); a new occurrence still needs the audience.
  const follows = members !== undefined && campaign.steps.some((s) => s.when === "converted");
  const audience = members === undefined ? "" : follows ? ` WHERE ${members} OR counted` : ` WHERE ${members}`;
  const inAudience = follows ? `${members} AS in_audience` : "true AS in_audience";
  const entered = `SELECT user_id, occurred_at, occurrence, false AS recorded, false AS counted, false AS keyed FROM (${entrySql(campaign.entry, ctx)})`;
  const r = campaign.reentry;
  // An attribute's date is the one entry whose occurrence moves: a trial extended before
  // its "trial ended" email went out has a new date, and the old one, which the ledger holds
  // only by its `entered` record (no key sent or skipped), is gone, not owed.
  const moved = campaign.entry.on === "attribute_date" ? " HAVING bool_or(NOT recorded) OR bool_or(keyed)" : "";
  // One row per occurrence: the entry may give an occurrence twice (two events at one
  // instant, or one instant written with two offsets), and both would carry one key.
  const once = (rows: string): string => `SELECT user_id, min(occurred_at) AS occurred_at, occurrence, bool_or(recorded) AS recorded,
      bool_or(counted) AS counted, ${inAudience} FROM (${rows})${audience}
    GROUP BY user_id, occurrence${moved}`;
  const all = once(`${entered} UNION ALL ${recordedSql(campaign, ctx, keys)}`);
  if (r.policy === "always") return all;
  const order = "PARTITION BY user_id ORDER BY occurred_at, occurrence";
  // An occurrence no run has counted whose first steps were all due, in the send window,
  // more than the lateness ago can only be skipped: no run saw it while it was on time
  // (each run records the new occurrences it keeps under these policies, before it sends),
  // because the user was outside the audience then, the campaign did not exist yet, the
  // event arrived late or the runs stopped. It gives way to a later occurrence that can
  // still be sent, rather than use up `never` or a cooldown on an email never sent; so does
  // one a run first saw past saving and recorded only as skipped (not `counted`). One a
  // run saw on time and held back (its goal reached, no email, capped) is counted: it stays.
  const rows = withPastSql(all, campaign, settings, ctx);
  if (r.policy === "never") return `SELECT * EXCLUDE (past) FROM (${rows}) QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY counted DESC, past, occurred_at, occurrence) = 1`;
  // Greedy, in time order. An occurrence at least the cooldown after the one before it is
  // always kept, so each run of closer occurrences (a "cluster") is resolved on its own,
  // from its first: the recursion is as deep as the most occurrences kept in one cluster.
  // What the ledger counts happened, so it is always kept and starts a cluster of its
  // own; an occurrence not counted is left out when it lies within the cooldown before a
  // counted one (an event dated earlier that arrived late), which the spacing from that
  // one would otherwise have ruled out. An uncounted occurrence past saving is left out
  // when one that is not (and is not recorded) lies within the cooldown after it.
  // Measured in milliseconds on a clock where a local day (a `condition` or level-change
  // occurrence) is always 24 hours, so a daily trigger under a 3-day cooldown enters every
  // third day even when a clock change makes those days 71 or 73 hours long.
  const cooldown = Math.round(r.cooldownMs);
  const later = `${order} ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING`;
  const clock = `CASE WHEN length(occurrence) = 10 THEN (TRY_CAST(occurrence AS DATE) - DATE '1970-01-01')::BIGINT * ${DAY_MS} ELSE epoch_ms(occurred_at) END`;
  return `WITH RECURSIVE o AS MATERIALIZED (
      SELECT *, sum(start::INTEGER) OVER (${order}) AS cluster FROM (
        SELECT *, row_number() OVER (${order}) AS n, counted OR coalesce(t - lag(t) OVER (${order}) >= ${cooldown}, true) AS start
        FROM (SELECT * FROM (
            SELECT *, min(CASE WHEN counted THEN t END) OVER (${later}) AS next_counted,
              min(CASE WHEN NOT recorded AND NOT past THEN t END) OVER (${later}) AS next_live
            FROM (SELECT *, ${clock} AS t FROM (${rows})))
          WHERE counted OR ((next_counted IS NULL OR next_counted - t >= ${cooldown})
            AND (NOT past OR next_live IS NULL OR next_live - t >= ${cooldown}))))),
    kept(user_id, cluster, n, t) AS (
      SELECT user_id, cluster, n, t FROM o WHERE start
      UNION ALL
      SELECT k.user_id, k.cluster, min(o.n), arg_min(o.t, o.n) FROM kept k
      JOIN o ON o.user_id = k.user_id AND o.cluster = k.cluster AND o.n > k.n AND o.t >= k.t + ${cooldown}
      GROUP BY k.user_id, k.cluster)
    SELECT o.user_id, o.occurred_at, o.occurrence, o.recorded, o.counted, o.in_audience FROM o JOIN kept k ON k.user_id = o.user_id AND k.n = o.n`;
}

/** The longest wait of the campaign's first steps (those that follow the entry, not another step). */
function firstWaitMs(campaign: Campaign): number {
  return Math.max(0, ...campaign.steps.filter((s) => s.after === undefined).map((s) => s.waitMs));
}

/**
 * Where "past saving" begins: an occurrence is past saving when every first step was due,
 * once the send window applies, more than the lateness ago. One that began at or after
 * `cutoff` is not (the window only moves a moment later); one that began before `sure` is
 * (the window moves a moment by at most `windowShiftMs`). Between them the user's zone decides.
 */
function pastBounds(campaign: Campaign, settings: Settings, now: Date): { cutoff: Date; sure: Date } {
  const cutoff = now.getTime() - campaign.latenessMs - firstWaitMs(campaign);
  return { cutoff: new Date(cutoff), sure: new Date(cutoff - windowShiftMs(settings)) };
}

/**
 * `user_id, occurrence, late` for `rows` (with `occurred_at` and the effective zone `tz`):
 * whether every first step was due, in the send window, more than the lateness ago.
 */
function lateSql(rows: string, campaign: Campaign, settings: Settings, ctx: EntryContext): string {
  const raw = `occurred_at + ${sqlInterval(firstWaitMs(campaign))}`;
  const limit = sqlInstant(new Date(ctx.now.getTime() - campaign.latenessMs));
  // The plain conversion on the zone column, not a CASE over the known zones: these rows are
  // few, and compiling that CASE would cost each campaign more than running it saves.
  return `SELECT user_id, occurrence, due < ${limit} AS late FROM (${windowedDueSql(rows, raw, "tz", settings, { ...ctx, zones: undefined })})`;
}

/**
 * Occurrence `rows` (user_id, occurred_at, occurrence, recorded, counted, …) with `past`: not
 * counted, and recorded (first seen past saving: only skipped keys) or past saving (see
 * `pastBounds`), judged as the step's due is: a condition day that begins at midnight is on
 * time until the lateness after the window's opening, not after midnight.
 */
function withPastSql(rows: string, campaign: Campaign, settings: Settings, ctx: EntryContext): string {
  const { cutoff, sure } = pastBounds(campaign, settings, ctx.now);
  // Only the few occurrences between the bounds read their user's zone.
  const between = `SELECT a.user_id, a.occurrence, a.occurred_at, ${userZoneSql("u.timezone", ctx.zones, ctx.timezone)} AS tz
    FROM a JOIN users u ON u.user_id = a.user_id
    WHERE NOT a.recorded AND a.occurred_at >= ${sqlInstant(sure)} AND a.occurred_at < ${sqlInstant(cutoff)}`;
  return `WITH a AS MATERIALIZED (${rows})
    SELECT a.*, NOT a.counted AND (a.recorded OR a.occurred_at < ${sqlInstant(sure)} OR coalesce(b.late, false)) AS past
    FROM a LEFT JOIN (${lateSql(between, campaign, settings, ctx)}) b ON b.user_id = a.user_id AND b.occurrence = a.occurrence`;
}

/**
 * The campaign's occurrences the ledger records (keys of it sent or skipped, and `entered`
 * records), with the instant each began: an ISO occurrence is that instant, a local date
 * (a `condition` or `engagement_changed` day) the start of that day in the user's zone.
 * `keyed` when a key of it was sent or skipped;
 * `counted` when the ledger holds it as an entry: a key of it sent, or an `entered` record
 * (a run saw it while it was on time). One recorded only by skipped keys was first seen
 * past saving (or, in a ledger from before runs recorded every such occurrence, held back
 * until then): no email of it went out, so it does not use up `never` or a cooldown.
 * Reads `done_keys`, or `keys` when given (the campaign's keys by occurrence, a table
 * `campaignKeysSql` made), and `entered_occurrences`.
 */
function recordedSql(campaign: Campaign, ctx: EntryContext, keys?: string): string {
  const zone = ctx.zones ? "u.timezone" : userZoneSql("u.timezone", ctx.zones, ctx.timezone);
  const dayStart = convertSql(zone, "TRY_CAST(d.occurrence AS TIMESTAMP)", ctx.zones);
  return `SELECT user_id, occurred_at, occurrence, true AS recorded, counted, keyed FROM (
      SELECT d.user_id, d.occurrence, d.counted, d.keyed, CASE WHEN length(d.occurrence) = 10 THEN ${dayStart} ELSE TRY_CAST(d.occurrence AS TIMESTAMPTZ) END AS occurred_at
      FROM (SELECT user_id, occurrence, bool_or(counted) AS counted, bool_or(keyed) AS keyed FROM (
          ${keys ? `SELECT user_id, occurrence, counted, true AS keyed FROM ${keys}`
            : `SELECT user_id, occurrence, sent_at IS NOT NULL AS counted, true AS keyed FROM done_keys WHERE campaign = ${sqlString(campaign.id)}`}
          UNION ALL SELECT user_id, occurrence, true, false FROM entered_occurrences WHERE campaign = ${sqlString(campaign.id)})
        GROUP BY user_id, occurrence) d JOIN users u ON u.user_id = d.user_id)
    WHERE occurred_at IS NOT NULL`;
}

/**
 * The occurrences in the occurrence table `occ` that the ledger does not hold yet (no key of
 * them sent or skipped, no `entered` record), which a run records: those of an entry the
 * snapshot gives only as of now (`ONLY_NOW`), and every new one under `never` or a
 * cooldown, where the policy needs to know that a run saw it while it was on time (an
 * occurrence no run saw then gives way to a later one: see `occurrencesSql`). Undefined
 * for an `always` campaign on any other entry: its occurrences stay in the events. One
 * already past saving is left out: its first steps can only be skipped, and their
 * `skipped` records keep it out of later plans without making it an entry.
 */
export function newOccurrencesSql(campaign: Campaign, occ: string, settings: Settings, ctx: EntryContext): string | undefined {
  const recorded = ONLY_NOW.has(campaign.entry.on) || campaign.reentry.policy !== "always";
  if (!recorded) return undefined;
  // One that began at or after the cutoff is never late (see `pastBounds`); the query's cost
  // is in compiling the window's arithmetic, not in running it over those few rows too.
  const recent = `SELECT user_id, occurrence, occurred_at, tz FROM ${occ} WHERE NOT recorded AND occurred_at >= ${sqlInstant(pastBounds(campaign, settings, ctx.now).sure)}`;
  return `SELECT user_id, occurrence FROM (${lateSql(recent, campaign, settings, ctx)}) WHERE NOT late`;
}

/**
 * SQL: why the address `email` cannot be sent to, `'none'` or `'invalid'`, or NULL when it
 * can. Invalid is what no mail server takes: no `@`, nothing before or after it, no dot in
 * the domain, or a space, angle bracket, comma or semicolon (two addresses in one field). A
 * send to it would fail at the provider in every run until it is too late.
 */
const noEmailSql = (email: string): string => `CASE WHEN nullif(trim(${email}), '') IS NULL THEN 'none'
  WHEN NOT regexp_full_match(trim(${email}), '[^\\s@<>(),;:"]+@[^\\s@<>(),;:"]+\\.[^\\s@<>(),;:".]+') THEN 'invalid' END`;

/**
 * The occurrence table a campaign's steps read: occurrences with `recorded` (the ledger
 * holds it), `in_audience` (false only for an occurrence kept for a `converted` step of
 * a user who has left the audience: see `occurrencesSql`), `goal_reached` (the goal event happened at or after the occurrence began, up
 * to now), `exited` (the exit condition holds for the user now), `exit_ended` (a run skipped
 * a step of it by the exit, which ended it; reads `exited_occurrences`), and the facts about
 * the user every step reads: the effective time zone `tz`, `no_email` (`'none'`, `'invalid'`
 * or NULL: see `noEmailSql`), and `suppressed` (every suppression reason, in alphabetical
 * order and comma-separated, or NULL; needs the `suppressed` table of the derived tables).
 * They are read here, once per campaign, rather than by each step. `keys` names the
 * campaign's keys by occurrence (`campaignKeysSql`), when a table of them was made.
 */
export function occurrenceTableSql(campaign: Campaign, settings: Settings, ctx: EntryContext, keys?: string): string {
  const now = sqlInstant(ctx.now);
  const goal = campaign.goal
    ? `EXISTS (SELECT 1 FROM events g WHERE g.user_id = o.user_id AND g.event = ${sqlString(campaign.goal.event)}
        AND g.ts >= o.occurred_at AND g.ts <= ${now}${whereSql(campaign.goal.where, "g")})`
    : "false";
  const exited = campaign.exit ? `o.user_id IN (SELECT u.user_id FROM users u WHERE ${compileCondition(campaign.exit, ctx)})` : "false";
  // `exit_ended`: a step the exit held, which a run recorded as skipped, ended the occurrence:
  // its other steps (a sibling branch after the same email) stay unsent once the exit stops
  // holding. A join, not a correlated EXISTS, which cost a small evaluation 5 ms a campaign.
  return `SELECT o.user_id, o.occurred_at, o.occurrence, o.recorded, o.in_audience, ${goal} AS goal_reached, ${exited} AS exited, x.user_id IS NOT NULL AS exit_ended,
      ${userZoneSql("u.timezone", ctx.zones, ctx.timezone)} AS tz, ${noEmailSql("u.email")} AS no_email, p.reason AS suppressed
    FROM (${occurrencesSql(campaign, settings, ctx, keys)}) o JOIN users u ON u.user_id = o.user_id
    LEFT JOIN (SELECT user_id, string_agg(DISTINCT reason, ',' ORDER BY reason) AS reason FROM suppressed GROUP BY user_id) p ON p.user_id = o.user_id
    LEFT JOIN (SELECT user_id, occurrence FROM exited_occurrences WHERE campaign = ${sqlString(campaign.id)}) x ON x.user_id = o.user_id AND x.occurrence = o.occurrence`;
}
