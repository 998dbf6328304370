/**
 * backtest(): replays a config over the last N days of a snapshot without side effects.
 * At each run instant the evaluator sees only the users signed up and the events that
 * happened by then, plus the ledger as it was before the window and the replay's own
 * sends so far (written to the in-memory ledger table, never to disk), so branches,
 * re-entry, dedup and caps of later runs behave as they would have.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Config, MessageType } from "../config/types.ts";
import { MESSAGE_TYPES, isMarketing } from "../config/types.ts";
import type { Snapshot } from "../data/snapshot.ts";
import { DAY_MS, HOUR_MS, formatDuration } from "../duration.ts";
import { evaluate } from "../evaluate/evaluate.ts";
import type { BadRowCount, HeldStatus } from "../evaluate/types.ts";
import { sqlInstant } from "../sql/literals.ts";
import { recordSyntheticRun } from "./_synthetic-ledger.ts";
import { perUserMax } from "./_windows.ts";

export interface BacktestOptions {
  /** The end of the window (the last run is at or before it). */
  now: Date;
  /** Days to replay, counting the day of `now`. */
  days: number;
  /** UTC hours of the runs on each day, e.g. [8, 15]. */
  runHours: number[];
  /** Called after the last run of each day, e.g. for a progress line. */
  onDay?: (day: BacktestDay) => void;
}

/** One UTC day of the replay. */
export interface BacktestDay {
  day: string;
  runs: number;
  sends: number;
  byType: Partial<Record<MessageType, number>>;
}

/** How the replay's sends measure up against one configured frequency cap. */
export interface CapCheck {
  types: MessageType[];
  max: number;
  /** The cap's window as a duration string, e.g. `1d`. */
  per: string;
  /** Users who received more than `max` of these types in some window of `per`. */
  usersOver: number;
  /** The most any user received in one such window. */
  maxPerUser: number;
}

export interface BacktestReport {
  /** Start of the first replayed day (UTC) and the window's end. */
  from: string;
  to: string;
  days: number;
  runHours: number[];
  runs: number;
  /** Size of the whole snapshot. */
  users: number;
  events: number;
  sends: number;
  usersReached: number;
  perDay: BacktestDay[];
  perStep: { campaign: string; step: string; sends: number }[];
  perType: { type: MessageType; sends: number }[];
  /** Distinct messages held back at least once, by the status they were held with. */
  held: { status: HeldStatus; messages: number }[];
  /** The most emails one user received in any 24 hours, any 7 days, and marketing emails in any 7 days. */
  maxPerUser: { day: number; week: number; marketingWeek: number };
  caps: CapCheck[];
  badRows: BadRowCount[];
  warnings: string[];
  /** What the replay does not simulate, in plain words. */
  notes: string[];
}

export const BACKTEST_NOTES = [
  "opens and clicks are not simulated: branches on opened/clicked take the \"not opened\" path unless the snapshot has real email events for the same message",
  "user attributes (plan, dates, …) are as of the snapshot, not as they were on each replayed day",
  "ledger records inside the window are replaced by the replay's own sends; cap checks count the replay's sends only",
];

/** The run instants: `runHours` on each of the last `days` UTC days, none after `now`, oldest first. */
export function runInstants(now: Date, days: number, runHours: number[]): Date[] {
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  const hours = [...new Set(runHours)].sort((a, b) => a - b);
  const out: Date[] = [];
  for (let d = days - 1; d >= 0; d--) {
    for (const h of hours) {
      const at = today - d * DAY_MS + h * HOUR_MS;
      if (at <= now.getTime()) out.push(new Date(at));
    }
  }
  return out;
}

interface SentRow {
  userId: string;
  at: number;
  campaign: string;
  step: string;
  type: MessageType;
}

/**
 * Replays `config` over the last `days` days of the snapshot. The snapshot's tables are
 * swapped for as-of views of themselves during the replay and put back afterwards; the
 * files on disk are never touched.
 *
 * @example
 * const report = await backtest(config, await openSnapshot("data"), { now: new Date(), days: 14, runHours: [8, 15] });
 * report.caps.filter((c) => c.usersOver > 0);
 */
export async function backtest(config: Config, snapshot: Snapshot, options: BacktestOptions): Promise<BacktestReport> {
  const conn = snapshot.connection;
  const instants = runInstants(options.now, options.days, options.runHours);
  const from = new Date(Math.floor(options.now.getTime() / DAY_MS) * DAY_MS - (options.days - 1) * DAY_MS);
  const count = async (table: string): Promise<number> => Number((await conn.runAndReadAll(`SELECT count(*) AS n FROM ${table}`)).getRowObjects()[0]!.n);
  const totals = { users: await count("users"), events: await count("events") };
  // When the data begins: the first signup or event.
  const first = (await conn.runAndReadAll("SELECT epoch_ms(least((SELECT min(ts) FROM events), (SELECT min(created_at) FROM users))) AS t")).getRowObjects()[0]!.t;
  const firstMs = first === null ? undefined : Number(first);
  const newest = await snapshotEnd(snapshot);

  // Over Parquet, `events` is a view over the files (data/snapshot.ts); the others are tables.
  const events = await relationKind(conn, "events");
  await conn.run(`ALTER TABLE users RENAME TO users_all; ALTER ${events} events RENAME TO events_all; ALTER TABLE ledger RENAME TO ledger_all`);
  const sent: SentRow[] = [];
  const held = new Map<HeldStatus, Set<string>>();
  const warnings = new Set<string>();
  // Days before the data began replay nothing: say so, or their zeros read as a quiet programme.
  if (firstMs !== undefined && firstMs >= from.getTime() + DAY_MS) {
    const empty = Math.min(options.days, Math.floor((firstMs - from.getTime()) / DAY_MS));
    warnings.add(`the snapshot begins at ${new Date(firstMs).toISOString()} (its first signup or event), so the window's first ${empty} day(s) replay without data; their zeros say nothing about the programme (use fewer --days)`);
  }
  // Days after the data ends replay no new behaviour, only the passing of time.
  if (newest !== undefined && options.now.getTime() - newest.getTime() > DAY_MS) {
    const past = Math.floor((options.now.getTime() - newest.getTime()) / DAY_MS);
    warnings.add(`the window ends at ${options.now.toISOString()}, ${past} day(s) after the snapshot's newest event (${newest.toISOString()}), so its days after that replay no new events; to replay the snapshot's own last days, give --now ${newest.toISOString()}`);
  }
  const perDay: BacktestDay[] = [];
  try {
    await conn.run(`CREATE TABLE ledger AS SELECT * FROM ledger_all WHERE "at" < ${sqlInstant(from)}`);
    await conn.run(`CREATE TABLE events AS SELECT * FROM events_all WHERE ts <= ${sqlInstant(instants[0] ?? from)}`);
    let revealed = instants[0] ?? from;
    for (const [i, at] of instants.entries()) {
      await conn.run(`CREATE OR REPLACE TABLE users AS SELECT * FROM users_all WHERE created_at <= ${sqlInstant(at)}`);
      if (at > revealed) {
        await conn.run(`INSERT INTO events SELECT * FROM events_all WHERE ts > ${sqlInstant(revealed)} AND ts <= ${sqlInstant(at)}`);
        revealed = at;
      }
      const plan = await evaluate(config, snapshot, at);
      await recordSyntheticRun(conn, plan, at);
      for (const w of plan.warnings) warnings.add(w);
      for (const h of plan.held) {
        let keys = held.get(h.status);
        if (!keys) held.set(h.status, (keys = new Set()));
        keys.add(h.key);
      }
      const label = at.toISOString().slice(0, 10);
      let day = perDay[perDay.length - 1];
      if (day?.day !== label) perDay.push((day = { day: label, runs: 0, sends: 0, byType: {} }));
      day.runs++;
      day.sends += plan.sends.length;
      for (const s of plan.sends) {
        sent.push({ userId: s.userId, at: at.getTime(), campaign: s.campaign, step: s.step, type: s.type });
        day.byType[s.type] = (day.byType[s.type] ?? 0) + 1;
      }
      const next = instants[i + 1];
      if (!next || next.toISOString().slice(0, 10) !== label) options.onDay?.(day);
    }
  } finally {
    await conn.run("DROP TABLE IF EXISTS users; DROP TABLE IF EXISTS events; DROP TABLE IF EXISTS ledger");
    await conn.run(`ALTER TABLE users_all RENAME TO users; ALTER ${events} events_all RENAME TO events; ALTER TABLE ledger_all RENAME TO ledger`);
  }

  return {
    from: from.toISOString(),
    to: options.now.toISOString(),
    days: options.days,
    runHours: [...new Set(options.runHours)].sort((a, b) => a - b),
    runs: instants.length,
    ...totals,
    sends: sent.length,
    usersReached: new Set(sent.map((s) => s.userId)).size,
    perDay,
    perStep: perStep(config, sent),
    perType: MESSAGE_TYPES.map((type) => ({ type, sends: sent.filter((s) => s.type === type).length })).filter((t) => t.sends > 0),
    held: [...held].map(([status, keys]) => ({ status, messages: keys.size })).sort((a, b) => b.messages - a.messages || a.status.localeCompare(b.status)),
    maxPerUser: {
      day: maxOf(perUserMax(sent, DAY_MS)),
      week: maxOf(perUserMax(sent, 7 * DAY_MS)),
      marketingWeek: maxOf(perUserMax(sent.filter((s) => isMarketing(s.type)), 7 * DAY_MS)),
    },
    caps: config.settings.caps.map((cap) => {
      const most = perUserMax(sent.filter((s) => cap.types.includes(s.type)), cap.perMs);
      return { types: cap.types, max: cap.max, per: formatDuration(cap.perMs), usersOver: [...most.values()].filter((n) => n > cap.max).length, maxPerUser: maxOf(most) };
    }),
    badRows: await snapshot.badRows(),
    warnings: [...warnings],
    notes: BACKTEST_NOTES,
  };
}

/**
 * Where the snapshot ends: its newest event, else its newest signup; undefined when empty.
 * `backtest` without `--now` replays the days up to it.
 */
export async function snapshotEnd(snapshot: Snapshot): Promise<Date | undefined> {
  const reader = await snapshot.connection.runAndReadAll(
    "SELECT epoch_ms(coalesce((SELECT max(ts) FROM events), (SELECT max(created_at) FROM users))) AS t");
  const t = reader.getRowObjects()[0]!.t;
  return t === null ? undefined : new Date(Number(t));
}

const maxOf = (counts: Map<string, number>): number => Math.max(0, ...counts.values());

/** Sends per (campaign, step), every configured step in config order (zeros included). */
function perStep(config: Config, sent: SentRow[]): BacktestReport["perStep"] {
  const counts = new Map<string, number>();
  for (const s of sent) counts.set(`${s.campaign}/${s.step}`, (counts.get(`${s.campaign}/${s.step}`) ?? 0) + 1);
  return [...config.campaigns.values()].flatMap((c) => c.steps.map((s) => ({ campaign: c.id, step: s.id, sends: counts.get(`${c.id}/${s.id}`) ?? 0 })));
}

/** Whether `name` is a table or a view, as the word ALTER takes. */
async function relationKind(conn: DuckDBConnection, name: string): Promise<"TABLE" | "VIEW"> {
  const reader = await conn.runAndReadAll("SELECT table_type FROM information_schema.tables WHERE table_name = $1", [name]);
  return reader.getRowObjects()[0]?.table_type === "VIEW" ? "VIEW" : "TABLE";
}
