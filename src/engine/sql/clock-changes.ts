/**
 * Which time zones change their clock near some hours of the local day: whether the send
 * window's SQL must handle clock changes at all (see `windowedDueSql`). For most zones and
 * windows it need not (Berlin's clock changes at 02:00 and 03:00, never inside 09:00–18:00),
 * and leaving that SQL out makes each campaign's statements much smaller to compile (a
 * quarter of a small evaluation's time).
 *
 * The zone database is read through DuckDB, whose answer is the one the evaluator's SQL
 * will see, over `CLOCK_CHANGES_FROM` to ten years after `now`. Answers are kept for the
 * process: the zone database does not change while it runs.
 */
import type { DuckDBConnection, DuckDBListValue } from "@duckdb/node-api";
import { sqlInstant, sqlList } from "./literals.ts";
import { offsetSql } from "./zones.ts";

/** The first instant whose clock changes are looked at: moments before it are not expected in snapshots. */
const CLOCK_CHANGES_FROM = new Date("1970-01-01T00:00:00Z");

/** How many years after `now` clock changes are looked at. */
const CLOCK_CHANGES_YEARS_AHEAD = 10;

/** The most a clock changes at once, in minutes: two hours (Antarctica's Troll station). */
export const MAX_CLOCK_CHANGE_MINUTES = 120;

/**
 * Days between the samples of a zone's offset. Two clock changes that restore the offset
 * between two samples go unseen: in the zone database from 1900 to 2100 such pairs are at
 * least seven days apart (Brazil in October 2000, Gaza from 2040), so three days is safe.
 */
const SAMPLE_DAYS = 3;

/**
 * Per zone and last year looked at: the samples (epoch seconds) each just after a change of
 * the zone's offset, and whether some change was larger than two hours.
 */
const changesRead = new Map<string, { samples: number[]; large: boolean }>();
/** Per zone, hours and last year: whether the zone changes its clock near those hours. */
const answers = new Map<string, boolean>();

/**
 * The zones among `zones` (names DuckDB's zone database knows) whose clock changes, on some
 * day from 1970 to ten years after `now`, while it reads a time after two hours before
 * `startMinute` and up to two hours after `endMinute` (minutes of the local day): every zone
 * some of whose skipped or repeated times fall within the hours, and maybe some whose
 * changes only come near them. A zone that ever changed by more than two hours (Samoa's
 * skipped 2011-12-30, Kiritimati's day in 1995, Rothera's three hours in 1976) is always
 * named: the window's rules assume two hours at most, and it keeps them whatever the hours.
 *
 * @example
 * await zonesChangingNear(conn, ["Europe/Berlin", "America/Nuuk"], 20 * 60, 23 * 60, now);
 * // ["America/Nuuk"]: its clock springs from 23:00 to 00:00 and turns from 00:00 back to 23:00
 */
export async function zonesChangingNear(
  conn: DuckDBConnection, zones: Iterable<string>, startMinute: number, endMinute: number, now: Date,
): Promise<string[]> {
  const lastYear = now.getUTCFullYear() + CLOCK_CHANGES_YEARS_AHEAD;
  const unique = [...new Set(zones)];
  const answerKey = (zone: string): string => `${zone} ${startMinute} ${endMinute} ${lastYear}`;
  const unanswered = unique.filter((z) => !answers.has(answerKey(z)));
  if (unanswered.length) {
    const changes = await readChanges(conn, unanswered, lastYear);
    const near = new Set(await readChangingNear(conn, changes, startMinute, endMinute));
    for (const zone of unanswered) answers.set(answerKey(zone), near.has(zone) || changes.get(zone)!.large);
  }
  return unique.filter((z) => answers.get(answerKey(z)));
}

/**
 * Each zone's samples just after a change of its offset, from 1970 to the end of
 * `lastYear`, and whether a change was larger than two hours (read once per process).
 */
async function readChanges(conn: DuckDBConnection, zones: string[], lastYear: number): Promise<Map<string, { samples: number[]; large: boolean }>> {
  const key = (zone: string): string => `${zone} ${lastYear}`;
  const unread = zones.filter((z) => !changesRead.has(key(z)));
  if (unread.length) {
    const to = new Date(Date.UTC(lastYear + 1, 0, 1));
    const reader = await conn.runAndReadAll(`SELECT zone, list(epoch(sample_at)::BIGINT ORDER BY sample_at) FILTER (WHERE off <> off_before) AS changes,
        coalesce(bool_or(abs(off - off_before) > ${MAX_CLOCK_CHANGE_MINUTES * 60}), false) AS large FROM (
        SELECT zone, sample_at, off, lag(off) OVER (PARTITION BY zone ORDER BY sample_at) AS off_before FROM (
          SELECT zone, sample_at, ${offsetSql("zone", "sample_at")} AS off FROM (SELECT unnest(${sqlList(unread)}) AS zone),
            (SELECT unnest(range(${sqlInstant(CLOCK_CHANGES_FROM)}, ${sqlInstant(to)}, INTERVAL ${SAMPLE_DAYS} DAY)) AS sample_at)))
      GROUP BY zone`);
    for (const zone of unread) changesRead.set(key(zone), { samples: [], large: false });
    for (const r of reader.getRowObjects()) {
      const samples = r.changes === null ? [] : (r.changes as DuckDBListValue).items.map(Number);
      changesRead.set(key(String(r.zone)), { samples, large: r.large === true });
    }
  }
  return new Map(zones.map((z) => [z, changesRead.get(key(z))!]));
}

/**
 * Of the zones with `changes`, those that change their clock near the hours: on a local day
 * around one of the changes, from the instant the clock shows two hours before `startMinute`,
 * the zone's offset changes before the clock would show two hours after `endMinute`.
 */
async function readChangingNear(
  conn: DuckDBConnection, changes: Map<string, { samples: number[] }>, startMinute: number, endMinute: number,
): Promise<string[]> {
  const pairs = [...changes].flatMap(([zone, { samples }]) => samples.map((s) => [zone, s] as const));
  if (!pairs.length) return [];
  const span = `INTERVAL ${endMinute - startMinute + 2 * MAX_CLOCK_CHANGE_MINUTES} MINUTE`;
  const reader = await conn.runAndReadAll(`WITH days AS (
      SELECT DISTINCT zone, unnest(range(date_trunc('day', timezone(zone, to_timestamp(sample) - INTERVAL ${SAMPLE_DAYS} DAY)) - INTERVAL 2 DAY,
        date_trunc('day', timezone(zone, to_timestamp(sample))) + INTERVAL 2 DAY, INTERVAL 1 DAY)) AS day
      FROM (SELECT unnest(${sqlList(pairs.map(([z]) => z))}) AS zone, unnest([${pairs.map(([, s]) => s).join(", ")}]) AS sample)),
    spans AS (SELECT zone, timezone(zone, day + INTERVAL (${startMinute - MAX_CLOCK_CHANGE_MINUTES}) MINUTE) AS span_from FROM days)
    SELECT DISTINCT zone FROM spans WHERE ${offsetSql("zone", "span_from")} <> ${offsetSql("zone", `(span_from + ${span})`)}`);
  return reader.getRowObjects().map((r) => String(r.zone));
}
