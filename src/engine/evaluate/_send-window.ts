/**
 * The settings' local send window as SQL: when a moment is due once the window is applied
 * (a step's due, and whether an occurrence's first steps are past saving), and whether the
 * window is open now.
 *
 * The window is open while the local clock shows a minute in it. On the day a clock springs
 * forward over the window's opening or closing, those local times do not exist, and are read
 * that long after the change (as calendars and `Temporal` place them): the window is also
 * open between those two instants. Sydney's 02:00–02:45 on 2026-10-04, when 02:00 becomes
 * 03:00, is open 03:00–03:45; without that, a due moment moved to its opening (03:00) was
 * outside the window and waited 23 hours.
 *
 * A moment is due at the first instant, from the moment on, that the window is open: besides
 * the opening, that can be a clock change, when the clock jumps or turns back into the window.
 */
import type { Settings } from "../config/types.ts";
import type { CompileContext } from "../sql/conditions.ts";
import { DAY_MS, HOUR_MS } from "../duration.ts";
import { sqlInstant, sqlString } from "../sql/literals.ts";
import { convertSql, offsetSql, type Zones } from "../sql/zones.ts";
import { MAX_CLOCK_CHANGE_MINUTES } from "../sql/clock-changes.ts";

/** SQL: the minute of the day that the local time `local` shows. */
const minuteSql = (local: string): string => `(hour(${local}) * 60 + minute(${local}))`;

/**
 * Moves `local`, the local time of `instant` in zone `tz`, forward to the next opening of the
 * send window (still local time). A time the clock shows after the window's close is not
 * always past that day's window: a clock that sprang forward over the close puts the time
 * inside it, and one that sprang forward over the opening, or turns back over it, opens the
 * window later that day (the second 01:00 on the night New York turns back, for a window from
 * 01:00 to 01:45 and a moment at the first 01:50). The zone is read per row only for the times
 * up to two hours after the close (the most a clock jumps).
 */
function windowedLocal(local: string, instant: string, tz: string, settings: Settings): string {
  const { startMinute: start, endMinute: end } = settings.sendWindow;
  const minute = minuteSql(local);
  const day = `date_trunc('day', ${local})`;
  const open = (days: number): string => `${day} + INTERVAL ${days} DAY + INTERVAL ${start} MINUTE`;
  const nearClose = `${minute} < ${end + MAX_CLOCK_CHANGE_MINUTES}`;
  return `CASE WHEN ${minute} < ${start} THEN ${open(0)}
    WHEN ${minute} < ${end} OR (${nearClose} AND ${shiftedWindowSql(tz, day, instant, settings)}) THEN ${local}
    WHEN ${nearClose} AND ${instant} < timezone(${tz}, ${open(0)}) THEN ${open(0)}
    ELSE ${open(1)} END`;
}

/**
 * Whether `instant` is inside the window of the local day `day` (a TIMESTAMP at local
 * midnight in zone `tz`) only because the clock springs forward over the window's opening or
 * closing that day: it lies between the instants those local times are read as, and one of
 * them does not exist (converting it back gives another local time). False on other days.
 */
function shiftedWindowSql(tz: string, day: string, instant: string, settings: Settings): string {
  const { startMinute: start, endMinute: end } = settings.sendWindow;
  const local = (minute: number): string => `(${day} + INTERVAL ${minute} MINUTE)`;
  const at = (minute: number): string => `timezone(${tz}, ${local(minute)})`;
  return `(${instant} >= ${at(start)} AND ${instant} < ${at(end)}
    AND (timezone(${tz}, ${at(start)}) <> ${local(start)} OR timezone(${tz}, ${at(end)}) <> ${local(end)}))`;
}

/**
 * The most the window can move a moment later, in milliseconds: from its close to the next
 * day's opening, plus what a clock turning back adds to that night (an hour almost
 * everywhere, two at Antarctica's Troll station).
 */
export function windowShiftMs(settings: Settings): number {
  const { startMinute: start, endMinute: end } = settings.sendWindow;
  return DAY_MS - (end - start) * 60_000 + (MAX_CLOCK_CHANGE_MINUTES / 60) * HOUR_MS;
}

/**
 * `SELECT *, local_raw, local_due, due FROM (rows)`: the instant `raw` (SQL over the rows'
 * columns; NULL gives NULL) moved forward to the next opening of the send window in the
 * zone of column `tz`, an effective zone (see `userZoneSql`: a name the zone database knows).
 *
 * A moment the window leaves alone keeps its instant: converting a local time back is
 * ambiguous in the hour a clock turns back. A moment it moves goes to the window's opening,
 * and when that local time comes twice (an opening at 01:30 on the night New York turns
 * back) the window opens at the first of them that is not before the moment, where DuckDB
 * takes the last: the instant two hours, an hour or half an hour (Troll, most zones, Lord
 * Howe) before DuckDB's is taken when it shows the same local time. A moment after the close
 * by the clock whose window still opens later that day (see `windowedLocal`) goes to that
 * later opening.
 *
 * An opening the clock skips opens when the clock jumps into the window (03:00 for New York's
 * 02:30–04:00); when it jumps past the window, at the opening read that long after the change,
 * unless that is not before the close read the same way, or falls on the next day: then the
 * window never opens that day (Lord Howe's 02:00–02:30 on the day 02:00 becomes 02:30; Nuuk's
 * 23:00–23:59 on the day 23:00 becomes 00:00), and the moment goes to the next day's opening.
 * A moment past the close within two hours of the clock turning back into the window
 * (00:30–01:15, the night New York's 02:00 becomes 01:00) is due at that turn.
 * So a due moment is the first instant, from the moment on, that `inWindowSql` calls open.
 *
 * All that is left out when `ctx.windowClockChanges` is false: no zone changes its clock
 * near the window's hours (see `zonesChangingNear`), so an opening exists once and a moment
 * after the close waits for the next day's.
 */
export function windowedDueSql(rows: string, raw: string, tz: string, settings: Settings, ctx: CompileContext): string {
  const zones = ctx.zones;
  if (ctx.windowClockChanges === false) return plainWindowedDueSql(rows, raw, tz, settings, zones);
  const { startMinute: start, endMinute: end } = settings.sendWindow;
  // Windowed once, then converted (inside each zone's arm the window would be compiled once
  // per zone). The first of a repeated local time, and whether the opening exists, are
  // checked with the plain conversion on the zone column, only for the moved rows: more
  // CASEs over the zones would multiply the statement, whose compiling is most of a small
  // evaluation's time.
  const earlier = (minutes: number): string => {
    const instant = `later - INTERVAL ${minutes} MINUTE`;
    return `CASE WHEN ${instant} >= ${raw} AND timezone(${tz}, ${instant}) = local_due THEN ${instant} END`;
  };
  const day = "date_trunc('day', local_due)";
  const clockOpen = (instant: string): string => `${minuteSql(`timezone(${tz}, ${instant})`)} BETWEEN ${start} AND ${end - 1}`;
  // The user's UTC offset at an instant, and the whole minutes up to two hours before or after
  // an instant: where to look for a clock change. Most changes fall on a quarter hour, but
  // not all (St John's changed at 00:01 local until 2011, Goose Bay and Moncton too).
  const offset = (instant: string): string => offsetSql(tz, instant);
  const minutes = (instant: string, sign: "-" | "+"): string =>
    `list_transform(range(0, ${MAX_CLOCK_CHANGE_MINUTES + 1}), lambda q_k: to_timestamp(${sign === "-" ? "floor" : "ceil"}(epoch(${instant}) / 60) * 60 ${sign} 60 * q_k))`;
  // The instant the clock sprang forward over an opening it skips (the first minute at the
  // offset of `moved`, the opening read after the change): from there the clock may show
  // a minute in the window (03:00 for 02:30–04:00), before the opening read that way (03:30).
  const jumpBefore = `list_min(list_filter(${minutes("moved", "-")}, lambda q_at: ${offset("q_at")} = ${offset("moved")}))`;
  // The instant the clock changes within two hours after a moment past the close: turning
  // back, it may show a minute in the window again (01:00 for 00:30–01:15, the night New York
  // turns back), with no repeated opening.
  const jumpAfter = `list_min(list_filter(${minutes(raw, "+")}, lambda q_at: ${offset("q_at")} <> ${offset(raw)}))`;
  const afterClose = `local_due > local_raw AND ${minuteSql("local_raw")} BETWEEN ${end} AND ${end + MAX_CLOCK_CHANGE_MINUTES - 1}
    AND ${offset(`${raw} + INTERVAL ${MAX_CLOCK_CHANGE_MINUTES + 15} MINUTE`)} <> ${offset(raw)}`;
  // A moment moved back by the clock (local_due before local_raw: an opening later that day
  // that the clock shows as earlier) takes DuckDB's conversion, the later instant.
  return `SELECT * EXCLUDE (moved, skipped, jump), CASE WHEN local_due = local_raw THEN ${raw}
      WHEN jump IS NOT NULL AND NOT skipped AND jump < moved AND ${clockOpen("jump")} THEN jump
      WHEN NOT skipped THEN moved
      WHEN jump >= ${raw} AND ${clockOpen("jump")} THEN jump
      WHEN moved < timezone(${tz}, ${day} + INTERVAL ${end} MINUTE) AND date_trunc('day', timezone(${tz}, moved)) = ${day} THEN moved
      ELSE timezone(${tz}, ${day} + INTERVAL 1 DAY + INTERVAL ${start} MINUTE) END AS due
    FROM (
      SELECT *, CASE WHEN skipped THEN ${jumpBefore} WHEN ${afterClose} THEN ${jumpAfter} END AS jump FROM (
        SELECT *, timezone(${tz}, moved) <> local_due AS skipped FROM (
          SELECT * EXCLUDE (later), CASE WHEN local_due < local_raw THEN later ELSE least(later, ${earlier(120)}, ${earlier(60)}, ${earlier(30)}) END AS moved FROM (
            SELECT *, CASE WHEN local_due <> local_raw THEN ${convertSql(tz, "local_due", zones)} END AS later FROM (
              SELECT *, ${windowedLocal("local_raw", raw, tz, settings)} AS local_due FROM (
                SELECT *, ${convertSql(tz, raw, zones)} AS local_raw FROM (${rows})))))))`;
}

/**
 * `windowedDueSql` where no zone changes its clock near the window's hours: every opening
 * exists once, and a moment after the close waits for the next day's opening.
 */
function plainWindowedDueSql(rows: string, raw: string, tz: string, settings: Settings, zones: Zones | undefined): string {
  const { startMinute: start, endMinute: end } = settings.sendWindow;
  const minute = minuteSql("local_raw");
  const open = (days: number): string => `date_trunc('day', local_raw) + INTERVAL ${days} DAY + INTERVAL ${start} MINUTE`;
  return `SELECT *, CASE WHEN local_due = local_raw THEN ${raw} ELSE ${convertSql(tz, "local_due", zones)} END AS due FROM (
      SELECT *, CASE WHEN ${minute} < ${start} THEN ${open(0)} WHEN ${minute} < ${end} THEN local_raw ELSE ${open(1)} END AS local_due FROM (
        SELECT *, ${convertSql(tz, raw, zones)} AS local_raw FROM (${rows})))`;
}

/**
 * Whether `now` is inside the send window in zone `tz`. When the zones are known, a constant
 * list, plus a check of constants for a zone whose clock springs forward today and shows a
 * time up to two hours after the close.
 */
export function inWindowSql(tz: string, settings: Settings, ctx: CompileContext): string {
  const { startMinute: start, endMinute: end } = settings.sendWindow;
  const now = sqlInstant(ctx.now);
  if (ctx.zones) {
    const zones = [...ctx.zones.now];
    const open = zones.filter(([, f]) => f.minute >= start && f.minute < end).map(([z]) => sqlString(z));
    const shifted = zones.filter(([, f]) => f.dayMinutes < 24 * 60 && f.minute >= end && f.minute < end + MAX_CLOCK_CHANGE_MINUTES)
      .map(([z, f]) => `(${tz} = ${sqlString(z)} AND ${shiftedWindowSql(sqlString(z), `TIMESTAMP '${f.date}'`, now, settings)})`);
    return [...(open.length ? [`${tz} IN (${open.join(", ")})`] : []), ...shifted].join(" OR ") || "false";
  }
  const local = `timezone(${tz}, ${now})`;
  return `(${minuteSql(local)} BETWEEN ${start} AND ${end - 1} OR ${shiftedWindowSql(tz, `date_trunc('day', ${local})`, now, settings)})`;
}
