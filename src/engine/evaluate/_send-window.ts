/**
 * The settings' local send window as SQL: when a moment is due once the window is applied
 * (a step's due, and whether an occurrence's first steps are past saving), and whether the
 * window is open now.
 */
import type { Settings } from "../config/types.ts";
import type { CompileContext } from "../sql/conditions.ts";
import { DAY_MS, HOUR_MS } from "../duration.ts";
import { sqlInstant, sqlString } from "../sql/literals.ts";
import { convertSql, type Zones } from "../sql/zones.ts";

/** Moves a local time forward to the next opening of the send window (still local time). */
function windowedLocal(local: string, settings: Settings): string {
  const { startMinute: start, endMinute: end } = settings.sendWindow;
  const minute = `(hour(${local}) * 60 + minute(${local}))`;
  const open = (days: number): string => `date_trunc('day', ${local}) + INTERVAL ${days} DAY + INTERVAL ${start} MINUTE`;
  return `CASE WHEN ${minute} < ${start} THEN ${open(0)} WHEN ${minute} >= ${end} THEN ${open(1)} ELSE ${local} END`;
}

/**
 * The most the window can move a moment later, in milliseconds: from its close to the next
 * day's opening, plus what a clock turning back adds to that night (an hour almost
 * everywhere, two at Antarctica's Troll station).
 */
export function windowShiftMs(settings: Settings): number {
  const { startMinute: start, endMinute: end } = settings.sendWindow;
  return DAY_MS - (end - start) * 60_000 + 2 * HOUR_MS;
}

/**
 * `SELECT *, local_raw, local_due, due FROM (rows)`: the instant `raw` (SQL over the rows'
 * columns; NULL gives NULL) moved forward to the next opening of the send window in the
 * zone of column `tz`, an effective zone (see `userZoneSql`: a name the zone database knows).
 *
 * A moment the window leaves alone keeps its instant: converting a local time back is
 * ambiguous in the hour a clock turns back. A moment it moves goes to the window's opening,
 * and when that local time comes twice (an opening at 01:30 on the night New York turns
 * back) the window opens at the first of them, where DuckDB takes the second: the instant
 * an hour, or half an hour (Lord Howe turns back 30 minutes), before DuckDB's is taken when
 * it shows the same local time.
 */
export function windowedDueSql(rows: string, raw: string, tz: string, settings: Settings, zones: Zones | undefined): string {
  // Windowed once, then converted (inside each zone's arm the window would be compiled once
  // per zone). The first of a repeated local time is checked with the plain conversion on
  // the zone column, only for the moved rows: two more CASEs over the zones would double the
  // statement, whose compiling is most of a small evaluation's time.
  const earlier = (minutes: number): string => {
    const instant = `later - INTERVAL ${minutes} MINUTE`;
    return `CASE WHEN timezone(${tz}, ${instant}) = local_due THEN ${instant} END`;
  };
  return `SELECT * EXCLUDE (later), CASE WHEN local_due = local_raw THEN ${raw} ELSE least(later, ${earlier(60)}, ${earlier(30)}) END AS due
    FROM (
      SELECT *, CASE WHEN local_due <> local_raw THEN ${convertSql(tz, "local_due", zones)} END AS later FROM (
        SELECT *, ${windowedLocal("local_raw", settings)} AS local_due FROM (
          SELECT *, ${convertSql(tz, raw, zones)} AS local_raw FROM (${rows}))))`;
}

/** Whether `now` is inside the send window in zone `tz`: a constant list when the zones are known. */
export function inWindowSql(tz: string, settings: Settings, ctx: CompileContext): string {
  const { startMinute: start, endMinute: end } = settings.sendWindow;
  if (ctx.zones) {
    const open = [...ctx.zones.now].filter(([, f]) => f.minute >= start && f.minute < end).map(([z]) => sqlString(z));
    return open.length ? `${tz} IN (${open.join(", ")})` : "false";
  }
  const local = `timezone(${tz}, ${sqlInstant(ctx.now)})`;
  return `(hour(${local}) * 60 + minute(${local})) BETWEEN ${start} AND ${end - 1}`;
}
