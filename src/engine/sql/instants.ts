/**
 * Reading an instant from text: ISO 8601, as the data contract says, and nothing DuckDB
 * would read differently.
 *
 * * DuckDB's cast reads ISO 8601 with seconds ("2026-12-01T09:00:00Z", "2026-12-01
 *   09:00:00+01:00") and without an offset ("2026-12-01T09:00", UTC), but gives NULL for
 *   minutes followed by an offset ("2026-12-01T09:00Z", "2026-12-01T09:00+01:00"), which
 *   ISO 8601 allows too: those are read again with ":00" seconds added. Only rows the
 *   first cast could not read are rewritten, so a column of well-formed times pays nothing.
 * * A time followed by a zone name ("2026-11-19 14:00:00 Europe/Berlin") is no ISO 8601,
 *   and DuckDB 1.5 reads it by switching zones for the rows after it in the same batch too,
 *   so a later "2026-11-19T15:00:00" became 14:00 UTC: text with a letter other than the
 *   `T` and `Z` of ISO 8601 is not read (the row is set aside as a bad time), but for a
 *   trailing " UTC", which BigQuery's exports write and which moves nothing.
 */

/** The ISO 8601 date-time with minutes and an offset but no seconds: `\1` up to the minutes, `\2` the offset. */
const NO_SECONDS = String.raw`^(\d{4}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{2})(Z|z|[+-]\d{2}(?::?\d{2})?)$`;

/** SQL for `expr` (any type) read as a TIMESTAMPTZ, or NULL when it names no instant. */
export function instantSql(expr: string): string {
  const text = `trim(${expr}::VARCHAR)`;
  return `CASE WHEN regexp_matches(${expr}::VARCHAR, '[A-SU-Ya-su-y]') AND NOT suffix(upper(${text}), ' UTC') THEN NULL
    ELSE coalesce(TRY_CAST(${expr} AS TIMESTAMPTZ), TRY_CAST(regexp_replace(${text}, '${NO_SECONDS}', '\\1:00\\2') AS TIMESTAMPTZ)) END`;
}
