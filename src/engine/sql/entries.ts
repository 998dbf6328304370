/**
 * Compiles an entry (what starts a sequence or trigger, or assigns a tag) into one SQL
 * query returning every occurrence as of `now`:
 *
 *   user_id VARCHAR, occurred_at TIMESTAMPTZ, occurrence VARCHAR
 *
 * `occurrence` is the id the message key is derived from: the UTC instant in ISO form, or
 * the user's local date for daily `condition` entries. The same data and `now` always give
 * the same occurrences, which is what makes sends exactly-once across reruns.
 */
import type { Entry, TagRule } from "../config/types.ts";
import { activitySql, attributeTimeSql, compileCondition, whereSql, type CompileContext } from "./conditions.ts";
import { sqlInstant, sqlInterval, sqlIsoText, sqlString } from "./literals.ts";
import { scoreReachedSql } from "./scoring.ts";
import { convertSql, nowFactSql, userZoneSql } from "./zones.ts";
import { DAY_MS } from "../duration.ts";

export interface EntryContext extends CompileContext {
  /** Settings' default time zone, for users without one. */
  timezone: string;
  /**
   * Whether some user signed up after `now` (a past --now): entries from events, tags and
   * scores then leave out users who do not exist yet. Unknown (undefined) counts as yes.
   */
  laterSignups?: boolean;
}

/**
 * `SELECT user_id, occurred_at, occurrence` for one entry. `score_reached` reads the table
 * `score_history` and `engagement_changed` the tables named by `dayLevelsTable`, which the
 * evaluator builds first.
 */
export function entrySql(entry: Entry, ctx: EntryContext): string {
  const now = sqlInstant(ctx.now);
  // A user who signs up after `now` does not exist yet: a past `--now` must plan what a run then would have.
  const signedUp = `u.created_at <= ${now}`;
  const select = (user: string, at: string, from: string): string =>
    `SELECT ${user} AS user_id, ${at} AS occurred_at, ${sqlIsoText(at)} AS occurrence ${from}`;
  // An event, tag or score of a user whose signup is still to come (an account's earlier
  // anonymous browsing, seen from a past --now) starts nothing: the user does not exist yet.
  const existing = (user: string): string => (ctx.laterSignups === false ? "" : ` AND ${user} IN (SELECT u.user_id FROM users u WHERE ${signedUp})`);
  switch (entry.on) {
    case "signup":
      return select("u.user_id", "u.created_at", `FROM users u WHERE u.created_at <= ${now}`);
    case "event":
      return select("e.user_id", "e.ts", `FROM events e WHERE e.event = ${sqlString(entry.event)} AND e.ts <= ${now}${whereSql(entry.where, "e")}${existing("e.user_id")}`);
    case "no_event": {
      const within = sqlInterval(entry.withinMs);
      // Both ends count: a purchase at exactly anchor + within is within, and a run at that
      // instant already sees it.
      const missing = (anchor: string): string => `NOT EXISTS (SELECT 1 FROM events e WHERE e.user_id = u.user_id
        AND e.event = ${sqlString(entry.event)} AND e.ts >= ${anchor} AND e.ts <= ${anchor} + ${within}${whereSql(entry.where, "e")})`;
      const after = entry.after;
      if (after.kind === "signup") {
        return select("u.user_id", `u.created_at + ${within}`, `FROM users u WHERE u.created_at + ${within} <= ${now} AND ${missing("u.created_at")}`);
      }
      if (after.kind === "attribute") {
        const anchor = attributeTimeSql(after.attribute, ctx);
        return select("u.user_id", `${anchor} + ${within}`, `FROM users u WHERE ${signedUp} AND ${anchor} + ${within} <= ${now} AND ${missing(anchor)}`);
      }
      return select("u.user_id", `a.ts + ${within}`, `FROM events a JOIN users u ON u.user_id = a.user_id
        WHERE ${signedUp} AND a.event = ${sqlString(after.event)} AND a.ts + ${within} <= ${now}${whereSql(after.where, "a")} AND ${missing("a.ts")}`);
    }
    case "attribute_date": {
      const at = `${attributeTimeSql(entry.attribute, ctx)} + ${sqlInterval(entry.offsetMs)}`;
      return select("u.user_id", at, `FROM users u WHERE ${signedUp} AND ${at} <= ${now}`);
    }
    case "inactive": {
      // The quiet spell that began with the last activity (or signup) and has lasted long enough.
      const last = `coalesce((SELECT max(e.ts) FROM events e WHERE e.user_id = u.user_id AND e.ts <= ${now} AND ${activitySql(ctx)}), u.created_at)`;
      return `SELECT user_id, occurred_at, ${sqlIsoText("occurred_at")} AS occurrence FROM (
        SELECT u.user_id, ${last} + ${sqlInterval(entry.forMs)} AS occurred_at FROM users u WHERE ${signedUp}) q WHERE occurred_at <= ${now}`;
    }
    case "tag_assigned":
      return select("t.user_id", "t.assigned_at", `FROM user_tags t WHERE t.tag = ${sqlString(entry.tag)} AND t.assigned_at <= ${now}${existing("t.user_id")}`);
    case "condition": {
      // One occurrence per local calendar day on which the condition holds; re-entry spaces them.
      const { day, start } = localTodaySql(ctx);
      return `SELECT u.user_id, ${start} AS occurred_at, ${day} AS occurrence
        FROM users u WHERE ${signedUp} AND ${compileCondition(entry.condition, ctx)}`;
    }
    case "score_reached":
      // score_history: the running total at each award, decayed as the score is (see scoring.ts).
      return `SELECT s.user_id, s.occurred_at, ${sqlIsoText("s.occurred_at")} AS occurrence FROM (${scoreReachedSql(entry.threshold, ctx.now)}) s
        WHERE true${existing("s.user_id")}`;
    case "engagement_changed":
      return engagementChangedSql(entry, ctx, signedUp);
  }
}

/**
 * Levels are taken at the start of the user's local day, so every run of a day agrees; the
 * day the level became `to` is the one occurrence of that change. A lookback of N whole
 * days (N > 1) looks for that day among the last N: the latest day whose level is `to`
 * when the day before's was not, with `to` every day since. So each run of those N days
 * finds the same day (one occurrence, one email under any re-entry), and a run that missed
 * the day of the change still finds it. Any other lookback compares two moments: the
 * level today and that long before (`dayLevelLookbacks` gives it one table, so the change
 * is today or not at all).
 */
function engagementChangedSql(entry: Extract<Entry, { on: "engagement_changed" }>, ctx: EntryContext, signedUp: string): string {
  const { day } = localTodaySql(ctx);
  const to = sqlString(entry.to);
  const lookbacks = dayLevelLookbacks(entry.lookbackMs);
  // back = how many days before today the change was: the first earlier day that was not `to`, less one.
  const joins = lookbacks.map((ms, i) => `LEFT JOIN ${dayLevelsTable(ms)} p${i + 1} ON p${i + 1}.user_id = u.user_id`).join("\n      ");
  const back = `CASE ${lookbacks.map((_, i) => `WHEN p${i + 1}.level IS DISTINCT FROM ${to} THEN ${i}`).join(" ")} END`;
  const changed = "(CAST(u.today AS DATE) - u.back)";
  const zone = userZoneSql("u.timezone", ctx.zones, ctx.timezone);
  return `SELECT u.user_id, ${convertSql(zone, `${changed}::TIMESTAMP`, ctx.zones)} AS occurred_at, strftime(${changed}, '%Y-%m-%d') AS occurrence
    FROM (SELECT u.user_id, u.timezone, ${day} AS today, ${back} AS back FROM users u
      JOIN ${dayLevelsTable(0)} t ON t.user_id = u.user_id AND t.level = ${to}
      ${joins}
      WHERE ${signedUp}) u
    WHERE u.back IS NOT NULL`;
}

/**
 * The lookbacks whose `dayLevelsTable` an `engagement_changed` entry with `lookbackMs`
 * reads: each whole day back to it for a whole number of days, else just it.
 */
export function dayLevelLookbacks(lookbackMs: number): number[] {
  const days = lookbackMs / DAY_MS;
  return Number.isInteger(days) && days > 1 ? Array.from({ length: days }, (_, i) => (i + 1) * DAY_MS) : [lookbackMs];
}

/**
 * The table of users' engagement levels at the start of their local day, `lookbackMs`
 * earlier: built by the evaluator for each lookback an `engagement_changed` entry uses. A
 * whole number of days is counted on the calendar (the start of the local day that many days
 * before), so `1d` reads the previous day's start even across a 23- or 25-hour day.
 */
export const dayLevelsTable = (lookbackMs: number): string => `day_levels_${Math.round(lookbackMs)}`;

/** The user's (`u`) local date today, as text, and the instant their local day began. */
export function localTodaySql(ctx: EntryContext): { day: string; start: string } {
  const tz = userZoneSql("u.timezone", ctx.zones, ctx.timezone);
  const zones = ctx.zones;
  const now = sqlInstant(ctx.now);
  return {
    day: zones ? nowFactSql("u.timezone", zones, (f) => sqlString(f.date)) : `strftime(timezone(${tz}, ${now}), '%Y-%m-%d')`,
    start: zones ? nowFactSql("u.timezone", zones, (f) => `TIMESTAMPTZ '${f.dayStart}'`) : `timezone(${tz}, date_trunc('day', timezone(${tz}, ${now})))`,
  };
}

/**
 * `SELECT user_id, tag, assigned_at` for every tag rule: a tag is assigned at its entry's
 * first occurrence, when the rule's condition (if any) holds. Rules are compiled in the
 * order given; a rule chained on another tag needs that tag's rows to exist first.
 */
export function tagRuleSql(rule: TagRule, ctx: EntryContext): string {
  const gate = rule.condition ? ` WHERE o.user_id IN (SELECT u.user_id FROM users u WHERE ${compileCondition(rule.condition, ctx)})` : "";
  return `SELECT o.user_id, ${sqlString(rule.id)} AS tag, min(o.occurred_at) AS assigned_at
    FROM (${entrySql(rule.entry, ctx)}) o${gate} GROUP BY o.user_id`;
}
