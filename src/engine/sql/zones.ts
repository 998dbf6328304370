/**
 * Users' time zones, compiled for speed and safety.
 *
 * DuckDB's `timezone(zone, ts)` is about ten times slower when `zone` comes from a column
 * (the zone is looked up for every row) than when it is a constant. A snapshot holds few
 * distinct zones, so the evaluator reads them once and compiles conversions as a CASE over
 * constant zones. A zone DuckDB does not know (a typo in the data) falls back to the
 * settings' default zone instead of failing the whole run. Facts about `now` in each zone
 * (local date, start of the local day, minute of the day) are computed once, not per row.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { sqlInstant, sqlString } from "./literals.ts";

export interface Zones {
  /** Zones that occur in the users table and that DuckDB knows, plus the fallback. */
  known: readonly string[];
  /** The settings' default zone: for users without a zone or with an unknown one. */
  fallback: string;
  /** `now` in each known zone. */
  now: ReadonlyMap<string, { date: string; dayStart: string; minute: number }>;
}

/**
 * Reads the users' distinct zones and the local facts of `now` in each.
 *
 * @example
 * const zones = await loadZones(conn, "Europe/Berlin", new Date());
 * zones.now.get("Asia/Tokyo")?.date; // "2026-11-20"
 */
export async function loadZones(conn: DuckDBConnection, fallback: string, now: Date): Promise<Zones> {
  const at = sqlInstant(now);
  const reader = await conn.runAndReadAll(`SELECT z.name AS zone, strftime(timezone(z.name, ${at}), '%Y-%m-%d') AS date,
      strftime(timezone('UTC', timezone(z.name, date_trunc('day', timezone(z.name, ${at})))), '%Y-%m-%dT%H:%M:%S') || 'Z' AS day_start,
      hour(timezone(z.name, ${at})) * 60 + minute(timezone(z.name, ${at})) AS minute
    FROM pg_timezone_names() z
    WHERE z.name = ${sqlString(fallback)} OR z.name IN (SELECT DISTINCT timezone FROM users WHERE timezone IS NOT NULL)
    ORDER BY z.name`);
  const facts = new Map<string, { date: string; dayStart: string; minute: number }>();
  for (const r of reader.getRowObjects()) {
    facts.set(String(r.zone), { date: String(r.date), dayStart: String(r.day_start), minute: Number(r.minute) });
  }
  return { known: [...facts.keys()], fallback, now: facts };
}

/**
 * The user's effective zone: their own when known, else the fallback. A CASE rather than
 * `IN (…)`: DuckDB plans an IN list of more than a few constants as a join, one join for
 * every place the expression appears in a query.
 */
export function userZoneSql(column: string, zones: Zones | undefined, fallback: string): string {
  if (!zones) return `coalesce(nullif(${column}, ''), ${sqlString(fallback)})`;
  const arms = zones.known.map((z) => `WHEN ${sqlString(z)} THEN ${sqlString(z)}`).join(" ");
  return `CASE ${column} ${arms} ELSE ${sqlString(zones.fallback)} END`;
}

/** `timezone(zone, value)` with constant zones: instant → local time, or local time → instant. */
export function convertSql(zone: string, value: string, zones: Zones | undefined): string {
  if (!zones) return `timezone(${zone}, ${value})`;
  const arms = zones.known.map((z) => `WHEN ${sqlString(z)} THEN timezone(${sqlString(z)}, ${value})`).join(" ");
  return `CASE ${zone} ${arms} ELSE timezone(${sqlString(zones.fallback)}, ${value}) END`;
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
  return `CASE WHEN length(${text}) = 10 THEN ${convertSql(zone, midnight, zones)} ELSE TRY_CAST(${value} AS TIMESTAMPTZ) END`;
}

/**
 * A per-zone constant about `now`, e.g. the local date, as one CASE over the user's own zone
 * `column` (raw: a zone that is missing or unknown gets the fallback's fact, as
 * `userZoneSql` would give). One CASE, not one over `userZoneSql`'s: nested, they gave the
 * optimizer several times the work on a small query.
 */
export function nowFactSql(column: string, zones: Zones, fact: (f: { date: string; dayStart: string; minute: number }) => string): string {
  const arms = [...zones.now].map(([z, f]) => `WHEN ${sqlString(z)} THEN ${fact(f)}`).join(" ");
  const fallback = zones.now.get(zones.fallback);
  return `CASE ${column} ${arms} ELSE ${fallback ? fact(fallback) : "NULL"} END`;
}
