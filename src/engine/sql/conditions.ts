/**
 * Compiles the condition language into one SQL boolean expression over a user row `u` of
 * the `users` table, so a segment or audience is evaluated for every user in one
 * set-based query (DuckDB decorrelates the subqueries into joins).
 *
 * Everything is evaluated "as of" `now`: events after it are invisible, which is what
 * makes `--now`, replays and backtests reproducible.
 *
 * Derived per-user facts come from tables the evaluator builds before compiling:
 * `user_tags(user_id, tag, assigned_at)`, `user_scores(user_id, score, band)` and
 * `user_levels(user_id, level)`.
 */
import type { Anchor, Condition, PropertyMatch, Segment } from "../config/types.ts";
import { sqlIdent as ident, sqlInstant, sqlInterval, sqlJsonKey, sqlString } from "./literals.ts";
import { attributeInstantSql, type Zones } from "./zones.ts";

export interface CompileContext {
  /** The evaluation instant. */
  now: Date;
  /** Columns of the users table: an attribute that is not one of them is NULL. */
  columns: ReadonlySet<string>;
  /** Segments by id, for `{ segment }` references (checked for cycles by validate). */
  segments: ReadonlyMap<string, Segment>;
  /** The users' time zones, when read (see zones.ts): makes local-time arithmetic fast and safe. */
  zones?: Zones;
  /** Settings' default time zone, for users without one (UTC when not given). */
  timezone?: string;
  /** Settings' `passive_events`: events that happen to a user, not done by them (see `activitySql`). */
  passiveEvents?: readonly string[];
  /**
   * Whether some user's zone changes its clock near the send window's hours (see
   * `zonesChangingNear`): only then does the window's SQL handle clock changes. Unknown
   * (undefined) counts as yes.
   */
  windowClockChanges?: boolean;
}

/**
 * SQL: whether the event `e` is the user's own product activity, as `inactive` counts it:
 * not an email event, an unsubscribe or a survey answer, nor one of the settings'
 * `passive_events` (a teammate's assignment, an automatic renewal).
 */
export function activitySql(ctx: CompileContext): string {
  const passive = ["unsubscribed", "nps.answered", ...(ctx.passiveEvents ?? [])].map(sqlString).join(", ");
  return `NOT (e.event LIKE 'email.%' OR e.event IN (${passive}))`;
}


/** The condition as a SQL boolean over `u` (never NULL: unknown counts as false). */
export function compileCondition(condition: Condition, ctx: CompileContext): string {
  return `coalesce(${compile(condition, ctx)}, false)`;
}

function compile(c: Condition, ctx: CompileContext): string {
  const now = sqlInstant(ctx.now);
  switch (c.kind) {
    case "all":
      return c.of.length ? `(${c.of.map((x) => compileCondition(x, ctx)).join(" AND ")})` : "true";
    case "any":
      return c.of.length ? `(${c.of.map((x) => compileCondition(x, ctx)).join(" OR ")})` : "false";
    case "not":
      return `(NOT ${compileCondition(c.of, ctx)})`;
    case "event": {
      const window = c.withinMs === undefined ? "" : ` AND e.ts > ${now} - ${sqlInterval(c.withinMs)}`;
      const count = `(SELECT count(*) FROM events e WHERE e.user_id = u.user_id AND e.event = ${sqlString(c.event)}
        AND e.ts <= ${now}${window}${whereSql(c.where, "e")})`;
      return c.max === undefined ? `(${count} >= ${c.min})` : `(${count} BETWEEN ${c.min} AND ${c.max})`;
    }
    case "no_event":
      return noEventSql(c.event, c.withinMs, c.after, c.where, ctx);
    case "attribute":
      return attributeSql(c, ctx);
    case "inactive":
      return `(coalesce((SELECT max(e.ts) FROM events e WHERE e.user_id = u.user_id AND e.ts <= ${now} AND ${activitySql(ctx)}),
        u.created_at) <= ${now} - ${sqlInterval(c.forMs)})`;
    case "tag":
      return `EXISTS (SELECT 1 FROM user_tags t WHERE t.user_id = u.user_id AND t.tag = ${sqlString(c.tag)} AND t.assigned_at <= ${now})`;
    case "score": {
      const tests = [
        c.band === undefined ? "" : ` AND s.band = ${sqlString(c.band)}`,
        c.gte === undefined ? "" : ` AND s.score >= ${c.gte}`,
        c.lt === undefined ? "" : ` AND s.score < ${c.lt}`,
      ].join("");
      return `EXISTS (SELECT 1 FROM user_scores s WHERE s.user_id = u.user_id${tests})`;
    }
    case "engagement":
      return `EXISTS (SELECT 1 FROM user_levels l WHERE l.user_id = u.user_id AND l.level IN (${c.levels.map(sqlString).join(", ")}))`;
    case "segment": {
      const segment = ctx.segments.get(c.segment);
      // validate rejects unknown segments; an unknown one here matches nobody rather than everybody
      return segment ? compileCondition(segment.condition, ctx) : "false";
    }
  }
}

/**
 * "Did not perform `event` within `withinMs` after the anchor, and that window is over."
 * Both ends of the window count, as for the `no_event` entry.
 * For an event anchor: some anchor event (as of now) whose window has elapsed was not
 * followed by the event.
 */
function noEventSql(event: string, withinMs: number, after: Anchor, where: PropertyMatch | undefined, ctx: CompileContext): string {
  const now = sqlInstant(ctx.now);
  const within = sqlInterval(withinMs);
  const missing = (anchor: string): string => `NOT EXISTS (SELECT 1 FROM events e WHERE e.user_id = u.user_id
    AND e.event = ${sqlString(event)} AND e.ts >= ${anchor} AND e.ts <= ${anchor} + ${within} AND e.ts <= ${now}${whereSql(where, "e")})`;
  switch (after.kind) {
    case "signup":
      return `(u.created_at + ${within} <= ${now} AND ${missing("u.created_at")})`;
    case "attribute": {
      const anchor = attributeTimeSql(after.attribute, ctx);
      return `(${anchor} + ${within} <= ${now} AND ${missing(anchor)})`;
    }
    case "event":
      return `EXISTS (SELECT 1 FROM events a WHERE a.user_id = u.user_id AND a.event = ${sqlString(after.event)}
        AND a.ts + ${within} <= ${now}${whereSql(after.where, "a")} AND ${missing("a.ts")})`;
  }
}

/** The attribute `name` of user `u` as stored, or NULL when the users table has no such column. */
export function attribute(name: string, ctx: CompileContext): string {
  return hasColumn(ctx, name) ? `u.${ident(name)}` : "NULL";
}

/** Whether the users table has the column: SQL names ignore case, so `plan` is a column `Plan`. */
export function hasColumn(ctx: CompileContext, name: string): boolean {
  if (ctx.columns.has(name)) return true;
  const lower = name.toLowerCase();
  return [...ctx.columns].some((c) => c.toLowerCase() === lower);
}

/**
 * `expr` as a number, or NULL when it is not one: NaN (a Parquet DOUBLE, or Spark's text
 * "NaN") and the infinities compare with nothing, as an empty or unreadable value does
 * (DuckDB sorts NaN above every number, so `gt 0` would hold for it).
 */
const numberSql = (expr: string): string => `CASE WHEN isfinite(TRY_CAST(${expr} AS DOUBLE)) THEN TRY_CAST(${expr} AS DOUBLE) END`;

/** A date ("2026-12-01") or date-time ("2026-12-01T09:00:00Z", with or without an offset) written as a value. */
const TIME_VALUE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * The attribute `name` of user `u` as an instant: a date alone is the start of that day in
 * the user's zone (`trial_ends_at: "2026-11-26"` ends the trial at local midnight, not UTC's).
 */
export function attributeTimeSql(name: string, ctx: CompileContext): string {
  if (!hasColumn(ctx, name)) return "CAST(NULL AS TIMESTAMPTZ)";
  return attributeInstantSql(`u.${ident(name)}`, "u.timezone", ctx.zones, ctx.timezone ?? "UTC");
}

function attributeSql(c: Extract<Condition, { kind: "attribute" }>, ctx: CompileContext): string {
  const col = attribute(c.attribute, ctx);
  const text = `${col}::VARCHAR`;
  const now = sqlInstant(ctx.now);
  const when = attributeTimeSql(c.attribute, ctx);
  const value = c.value;
  // Numbers, booleans and times are compared by value, whatever the column's type: a
  // Parquet DOUBLE 5.0, CSV text "5" and NDJSON 5 are all 5; "2026-11-30T23:00:00-05:00"
  // is after "2026-12-01T00:00:00Z" has begun. A date written alone is the start of that
  // day in the user's zone, as a date attribute is.
  const instant = (v: string): string => attributeInstantSql(sqlString(v), "u.timezone", ctx.zones, ctx.timezone ?? "UTC");
  const scalar = (v: string | number | boolean): string =>
    typeof v === "number" ? `${numberSql(col)} = ${v}`
    : typeof v === "boolean" ? `TRY_CAST(${col} AS BOOLEAN) = ${v}`
    : TIME_VALUE.test(v) ? `coalesce(${when} = ${instant(v)}, ${text} = ${sqlString(v)})`
    : `${text} = ${sqlString(v)}`;
  const anyOf = (values: (string | number)[]): string => `(${values.map((v) => `coalesce(${scalar(v)}, false)`).join(" OR ") || "false"})`;
  switch (c.op) {
    case "eq":
      return `(${scalar(value as string | number | boolean)})`;
    case "neq":
      return `(${col} IS NULL OR NOT coalesce(${scalar(value as string | number | boolean)}, false))`;
    case "gt":
    case "gte":
    case "lt":
    case "lte": {
      const op = { gt: ">", gte: ">=", lt: "<", lte: "<=" }[c.op];
      if (typeof value === "number") return `(${numberSql(col)} ${op} ${value})`;
      if (TIME_VALUE.test(String(value))) return `(${when} ${op} ${instant(String(value))})`;
      return `(${text} ${op} ${sqlString(String(value))})`;
    }
    case "in":
      return anyOf(value as (string | number)[]);
    case "not_in":
      return `(${col} IS NULL OR NOT ${anyOf(value as (string | number)[])})`;
    case "exists":
      return `(${col} IS NOT NULL AND ${text} <> '')`;
    case "not_exists":
      return `(${col} IS NULL OR ${text} = '')`;
    case "contains":
      return `(contains(${text}, ${sqlString(String(value))}))`;
    case "within_next":
      return `(${when} BETWEEN ${now} AND ${now} + ${sqlInterval(c.durationMs ?? 0)})`;
    case "within_last":
      return `(${when} BETWEEN ${now} - ${sqlInterval(c.durationMs ?? 0)} AND ${now})`;
    case "more_than_ago":
      return `(${when} < ${now} - ${sqlInterval(c.durationMs ?? 0)})`;
  }
}

/** ` AND …` clauses matching event properties on alias `e` (empty for no match). */
export function whereSql(where: PropertyMatch | undefined, alias: string): string {
  if (!where) return "";
  return Object.entries(where)
    .map(([key, want]) => {
      const raw = `json_extract_string(${alias}.properties, ${sqlJsonKey(key)})`;
      const num = numberSql(raw);
      if (typeof want === "string") return ` AND ${raw} = ${sqlString(want)}`;
      if (typeof want === "number") return ` AND ${num} = ${want}`;
      if (typeof want === "boolean") return ` AND ${raw} = '${want}'`;
      const parts: string[] = [];
      if (want.contains !== undefined) parts.push(`contains(${raw}, ${sqlString(want.contains)})`);
      if (want.in !== undefined) {
        parts.push(`(${want.in.map((v) => (typeof v === "number" ? `coalesce(${num} = ${v}, false)` : `coalesce(${raw} = ${sqlString(String(v))}, false)`)).join(" OR ") || "false"})`);
      }
      if (want.gte !== undefined) parts.push(`${num} >= ${want.gte}`);
      if (want.lte !== undefined) parts.push(`${num} <= ${want.lte}`);
      return parts.map((p) => ` AND ${p}`).join("");
    })
    .join("");
}
