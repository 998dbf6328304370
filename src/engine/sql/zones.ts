/**
 * Users' time zones, compiled for speed and safety.
 *
 * DuckDB's `timezone(zone, ts)` is about ten times slower when `zone` comes from a column
 * (the zone is looked up for every row) than when it is a constant. A snapshot holds few
 * distinct zones, so the evaluator reads them once and compiles conversions as a CASE over
 * constant zones. A zone DuckDB does not know (a typo in the data) falls back to the
 * settings' default zone instead of failing the whole run. Facts about `now` in each zone
 * (local date, start and length of the local day, minute of the day) are computed once, not per row.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { NurtureError } from "../errors.ts";
import { sqlInstant, sqlIsoText, sqlString } from "./literals.ts";
import { instantSql } from "./instants.ts";

export interface Zones {
  /** The settings' default zone: for users without a zone or with an unknown one. */
  fallback: string;
  /**
   * `now` in each zone that occurs in the users table and that DuckDB knows, plus the
   * fallback, by the zone database's spelling.
   */
  now: ReadonlyMap<string, ZoneFacts>;
  /**
   * Every spelling of a known zone in the users table, and each known zone's own name,
   * mapped to the zone: exports often write `america/new_york`, which the renderer's
   * `Intl` accepts too, so the evaluator must not treat it as unknown.
   */
  spellings: ReadonlyMap<string, string>;
  /** Zones in the users table that no zone database knows, with how many users have each. */
  unknown: readonly { zone: string; users: number }[];
}

export interface ZoneFacts {
  date: string;
  dayStart: string;
  /** How long the local day (`date`) lasts: 1440 minutes, fewer when the clock springs forward that day, more when it turns back. */
  dayMinutes: number;
  minute: number;
}

/**
 * Reads the users' distinct zones and the local facts of `now` in each. A zone is matched
 * to DuckDB's zone database by name, ignoring case and surrounding blanks. The fallback
 * must be known (settings validation checks it with the runtime's zone database, which
 * may differ): if DuckDB does not know it, this throws an error naming settings.json.
 *
 * @example
 * const zones = await loadZones(conn, "Europe/Berlin", new Date());
 * zones.now.get("Asia/Tokyo")?.date; // "2026-11-20"
 */
export async function loadZones(conn: DuckDBConnection, fallback: string, now: Date): Promise<Zones> {
  const at = sqlInstant(now);
  const reader = await conn.runAndReadAll(`WITH spelt AS (
      SELECT timezone AS spelling, count(*) AS users FROM users WHERE nullif(trim(timezone), '') IS NOT NULL GROUP BY timezone
      UNION ALL SELECT ${sqlString(fallback)}, 0),
    named AS (SELECT s.spelling, s.users, min(z.name) AS zone FROM spelt s LEFT JOIN pg_timezone_names() z ON lower(z.name) = lower(trim(s.spelling))
      GROUP BY s.spelling, s.users)
    SELECT spelling, users, zone, strftime(timezone(zone, ${at}), '%Y-%m-%d') AS date,
      ${dayStartSql("zone", `date_trunc('day', timezone(zone, ${at}))`)} AS day_start,
      ${dayMinutesSql("zone", `date_trunc('day', timezone(zone, ${at}))`)} AS day_minutes,
      hour(timezone(zone, ${at})) * 60 + minute(timezone(zone, ${at})) AS minute
    FROM named ORDER BY spelling, users`);
  const facts = new Map<string, ZoneFacts>();
  const spellings = new Map<string, string>();
  const unknown: { zone: string; users: number }[] = [];
  let fallbackZone: string | undefined;
  for (const r of reader.getRowObjects()) {
    const spelling = String(r.spelling);
    const users = Number(r.users);
    if (r.zone === null) {
      if (users > 0) unknown.push({ zone: spelling, users });
      continue;
    }
    const zone = String(r.zone);
    if (users === 0 && spelling === fallback) fallbackZone = zone;
    spellings.set(spelling, zone).set(zone, zone);
    facts.set(zone, { date: String(r.date), dayStart: String(r.day_start), dayMinutes: Number(r.day_minutes), minute: Number(r.minute) });
  }
  if (!fallbackZone) {
    throw new NurtureError("bad-timezone", `the settings' time zone "${fallback}" is not in DuckDB's zone database`, {
      problems: [{
        code: "bad-timezone", severity: "error", file: "settings.json", pointer: "/timezone",
        message: `"${fallback}" is not a time zone DuckDB knows`,
        hint: "write a zone name like Europe/Berlin, America/New_York or UTC (the list: SELECT name FROM pg_timezone_names())",
      }],
    });
  }
  return { fallback: fallbackZone, now: facts, spellings, unknown };
}

/** SQL: the instant (ISO text, UTC) at which `localMidnight`, a local time in `zone`, falls. */
const dayStartSql = (zone: string, localMidnight: string): string => sqlIsoText(`timezone(${zone}, ${localMidnight})`);

/** SQL: how many minutes the local day beginning at `localMidnight` in `zone` lasts. */
const dayMinutesSql = (zone: string, localMidnight: string): string =>
  `CAST(epoch(timezone(${zone}, ${localMidnight} + INTERVAL 1 DAY) - timezone(${zone}, ${localMidnight})) / 60 AS INTEGER)`;

/**
 * `zones` with `now` moved `days` calendar days back in each zone: the local date then, the
 * instant that day began and its length, read once per zone so that users' rows compare with
 * constants.
 */
export async function zonesDaysEarlier(conn: DuckDBConnection, zones: Zones, days: number): Promise<Zones> {
  const rows = [...zones.now].map(([zone, f]) => `(${sqlString(zone)}, DATE ${sqlString(f.date)} - ${days})`);
  const reader = await conn.runAndReadAll(`SELECT zone, strftime(d, '%Y-%m-%d') AS date, ${dayStartSql("zone", "d::TIMESTAMP")} AS day_start,
      ${dayMinutesSql("zone", "d::TIMESTAMP")} AS day_minutes
    FROM (VALUES ${rows.join(", ")}) t(zone, d)`);
  const now = new Map(zones.now);
  for (const r of reader.getRowObjects()) {
    const zone = String(r.zone);
    now.set(zone, { ...zones.now.get(zone)!, date: String(r.date), dayStart: String(r.day_start), dayMinutes: Number(r.day_minutes) });
  }
  return { ...zones, now };
}

/** SQL: the UTC offset, in seconds, of zone `zone` (a zone name, or a column holding one) at `instant`. */
export const offsetSql = (zone: string, instant: string): string => `(epoch(timezone(${zone}, ${instant})) - epoch(${instant}))`;

/** `WHEN spelling THEN …` for every spelling of every known zone. */
function armsSql(zones: Zones, then: (zone: string) => string): string {
  return [...zones.spellings].map(([spelling, zone]) => `WHEN ${sqlString(spelling)} THEN ${then(zone)}`).join(" ");
}

/**
 * The user's effective zone: their own when known, else the fallback. A CASE rather than
 * `IN (…)`: DuckDB plans an IN list of more than a few constants as a join, one join for
 * every place the expression appears in a query.
 */
export function userZoneSql(column: string, zones: Zones | undefined, fallback: string): string {
  if (!zones) return `coalesce(nullif(${column}, ''), ${sqlString(fallback)})`;
  return `CASE ${column} ${armsSql(zones, sqlString)} ELSE ${sqlString(zones.fallback)} END`;
}

/** `timezone(zone, value)` with constant zones: instant → local time, or local time → instant. */
export function convertSql(zone: string, value: string, zones: Zones | undefined): string {
  if (!zones) return `timezone(${zone}, ${value})`;
  return `CASE ${zone} ${armsSql(zones, (z) => `timezone(${sqlString(z)}, ${value})`)} ELSE timezone(${sqlString(zones.fallback)}, ${value}) END`;
}

/**
 * A user's attribute (`value`, any type) as an instant. A date without a time of day
 * ("2026-11-26", or a DATE column) names a calendar day, which begins at midnight in the
 * user's zone (`zoneColumn`, raw: a missing or unknown zone gets the fallback, as
 * `userZoneSql` would give); anything else is cast as an instant, a date-time without an
 * offset being UTC as everywhere in the snapshots. NULL when it is not a time.
 */
export function attributeInstantSql(value: string, zoneColumn: string, zones: Zones | undefined, fallback: string): string {
  const text = `trim(${value}::VARCHAR)`;
  const midnight = `TRY_CAST(${text} AS DATE)::TIMESTAMP`;
  const zone = zones ? zoneColumn : userZoneSql(zoneColumn, undefined, fallback);
  return `CASE WHEN length(${text}) <= 10 THEN ${convertSql(zone, midnight, zones)} ELSE ${instantSql(value)} END`;
}

/**
 * A per-zone constant about `now`, e.g. the local date, as one CASE over the user's own zone
 * `column` (raw: a zone that is missing or unknown gets the fallback's fact, as
 * `userZoneSql` would give). One CASE, not one over `userZoneSql`'s: nested, they gave the
 * optimizer several times the work on a small query.
 */
export function nowFactSql(column: string, zones: Zones, fact: (f: ZoneFacts) => string): string {
  const fallback = zones.now.get(zones.fallback);
  return `CASE ${column} ${armsSql(zones, (z) => fact(zones.now.get(z)!))} ELSE ${fallback ? fact(fallback) : "NULL"} END`;
}
