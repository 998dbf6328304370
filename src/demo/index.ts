/**
 * `nurture demo` as a library call: generate the Taskly data set, write it as a
 * snapshot, replay the programme over the last days, and write the final snapshot and
 * ledger. The data directory is only overwritten when it is empty or holds a previous
 * demo (a marker file says so), or with `force`. All of it is made in a staging directory
 * beside them and only then put in place of `snapshots/` and `ledger/`, so a demo that
 * fails or is stopped leaves the data it would have replaced as it was.
 */
import fs from "node:fs";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { loadConfig } from "../engine/config/index.ts";
import { openSnapshot } from "../engine/data/snapshot.ts";
import { NurtureError } from "../engine/errors.ts";
import { replay, type EvaluateFn, type ReplaySummary } from "./replay.ts";
import { appendEvents, appendPeople, exportSnapshot, type SnapshotFormat } from "./store.ts";
import { tasklyUsers, type DemoEvent, type DemoUser } from "./taskly.ts";

export { tasklyUsers, type DemoUser, type DemoEvent } from "./taskly.ts";
export { simulateRun, type SimulatedRun } from "./transport.ts";
export { react, RATES } from "./behaviour.ts";
export { replay, runInstants, type EvaluateFn, type ReplaySummary } from "./replay.ts";
export { exportSnapshot, usersAsOfSql, SNAPSHOT_FORMATS, type SnapshotFormat } from "./store.ts";

/** The fixed default end of the demo period, so every fresh clone makes the same data. */
export const DEMO_NOW = "2026-11-20T08:00:00Z";
/** Lives inside snapshots/ (git-ignored like the data itself) and marks the data as the demo's. */
const MARKER = path.join("snapshots", ".nurture-demo.json");
/** Where a demo is made, under the data directory (one file system, so it moves into place by renaming). */
const STAGING = ".nurture-demo-staging";
/**
 * What a data directory may hold besides a demo (the folders nurture's commands and the
 * benchmark write, and the files a checkout or a file manager leaves): the demo adds its
 * data beside these, and refuses a directory holding anything else unless forced.
 */
const DATA_ENTRIES = new Set([
  "snapshots", "ledger", "spool", "outbox", "preview", "rejected", "webhooks", "bench", "demo", STAGING,
  ".gitkeep", ".gitignore", ".DS_Store",
]);
/** The directories a demo writes, and replaces. */
const WRITTEN = ["snapshots", "ledger"] as const;

export interface DemoOptions {
  configDir: string;
  dataDir: string;
  users: number;
  days: number;
  seed: number;
  now: Date;
  /** Days replayed at the end of the period; 0 only generates data. */
  replayDays: number;
  runHours: number[];
  format: SnapshotFormat;
  /** Overwrite a data directory that does not hold a previous demo. */
  force: boolean;
  /** The evaluator; required when replayDays > 0. */
  evaluate?: EvaluateFn;
  log: (line: string) => void;
}

export interface DemoSummary {
  users: number;
  events: number;
  files: number;
  replay?: ReplaySummary;
  seconds: { generate: number; replay: number; total: number };
}

/**
 * Makes the demo data set under `dataDir` and replays the programme in `configDir`.
 *
 * @example
 * await runDemo({ configDir: "config", dataDir: "data", users: 20_000, days: 120, seed: 1,
 *   now: new Date(DEMO_NOW), replayDays: 60, runHours: [0, 8, 17], format: "parquet", force: false,
 *   evaluate, log: console.log });
 */
export async function runDemo(o: DemoOptions): Promise<DemoSummary> {
  const started = performance.now();
  guardDataDir(o.dataDir, o.force);
  if (o.replayDays > o.days) throw new NurtureError("usage", `--replay-days (${o.replayDays}) cannot exceed --days (${o.days})`, { exitCode: 2 });
  if (o.replayDays > 0 && !o.evaluate) throw new NurtureError("demo-no-evaluator", "the replay needs the evaluator", { exitCode: 1 });
  // Load the config first so a broken config fails before minutes of work.
  const config = o.replayDays > 0 ? await loadConfig(o.configDir) : undefined;

  // A staging directory left by a demo that was stopped is only ever the demo's own.
  const staging = path.join(o.dataDir, STAGING);
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(path.join(staging, "snapshots"), { recursive: true });
  const made = { ...o, dataDir: staging };
  let replaySummary: ReplaySummary | undefined;
  let final: { users: number; events: number; files: string[] };
  let generated: number;
  try {
    const settings = { users: o.users, days: o.days, seed: o.seed, now: o.now.toISOString(), replayDays: o.replayDays };
    fs.writeFileSync(path.join(staging, MARKER), `${JSON.stringify({ made_by: "nurture demo", ...settings }, null, 2)}\n`);

    o.log(`generating ${o.users} users over ${o.days} days up to ${o.now.toISOString()} (seed ${o.seed})`);
    const people = await generate(made);
    generated = performance.now();
    o.log(`  ${people.written.users} users, ${people.written.events} product events in ${secs(generated - started)} s`);

    final = people.written;
    if (o.replayDays > 0) {
      o.log(`replaying ${o.replayDays} days, runs at ${o.runHours.map((h) => `${String(h).padStart(2, "0")}:00`).join(" and ")} UTC`);
      const snapshot = await openSnapshot(staging, { keepEventIds: true }); // written back out below
      try {
        replaySummary = await replay(snapshot, {
          config: config!, dataDir: staging, seed: o.seed, now: o.now, days: o.replayDays, runHours: o.runHours,
          evaluate: o.evaluate!, people: people.byId, log: o.log,
        });
        final = await exportSnapshot(snapshot.connection, staging, { at: o.now, format: o.format, eventsTable: "events_all" });
      } finally {
        snapshot.close();
      }
    }
    putInPlace(o.dataDir, staging);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  const end = performance.now();
  return {
    users: final.users,
    events: final.events,
    files: final.files.length,
    replay: replaySummary,
    seconds: { generate: secs(generated - started), replay: secs(end - generated), total: secs(end - started) },
  };
}

const secs = (ms: number): number => Math.round(ms / 100) / 10;

/**
 * Replaces `snapshots/` and `ledger/` of `dataDir` with those made under `staging`: the old
 * ones are first moved aside into `staging` (removed with it), so each directory is
 * replaced by a rename and never exists half-written.
 */
function putInPlace(dataDir: string, staging: string): void {
  const aside = path.join(staging, "replaced");
  fs.mkdirSync(aside);
  for (const dir of WRITTEN) {
    const target = path.join(dataDir, dir);
    if (fs.existsSync(target)) fs.renameSync(target, path.join(aside, dir));
    const made = path.join(staging, dir);
    if (fs.existsSync(made)) fs.renameSync(made, target);
  }
}

/**
 * Refuses to wipe a data directory that holds something other than a previous demo: any
 * file under `snapshots/` or `ledger/` when no demo made the directory, and otherwise any
 * file a demo does not write (beside its users and events, its marker and its ledger run
 * files, `…-sim-….ndjson`), such as a real ledger file or a note added since.
 */
function guardDataDir(dataDir: string, force: boolean): void {
  if (force) return;
  const demoMade = fs.existsSync(path.join(dataDir, MARKER));
  const strangers = demoMade || !fs.existsSync(dataDir) ? [] : fs.readdirSync(dataDir).filter((name) => !DATA_ENTRIES.has(name)).sort();
  if (strangers.length > 0) {
    // `--data ~` or `--data /etc`: a directory that is someone else's, not a data directory.
    throw new NurtureError("demo-would-overwrite", `${dataDir} is not a nurture data directory`, {
      problems: [{
        code: "demo-would-overwrite",
        severity: "error",
        message: `it holds ${strangers.length} entr${strangers.length === 1 ? "y" : "ies"} nurture does not write, e.g. ${strangers.slice(0, 3).join(", ")}, so snapshots/ and ledger/ would be added among them`,
        file: dataDir,
        hint: "point --data at a new or empty directory (e.g. --data demo-data), or pass --force to write snapshots/ and ledger/ there anyway",
      }],
    });
  }
  const foreign = WRITTEN.flatMap((d) => {
    const dir = path.join(dataDir, d);
    if (!fs.existsSync(dir)) return [];
    const files = entriesUnder(dir).map((f) => path.join(d, path.relative(dir, f)));
    return demoMade ? files.filter((f) => !writtenByDemo(f)) : files;
  });
  if (foreign.length === 0) return;
  throw new NurtureError("demo-would-overwrite", `${dataDir} already holds data that nurture demo did not make`, {
    problems: [{
      code: "demo-would-overwrite",
      severity: "error",
      message: `${foreign.length} file(s) under snapshots/ and ledger/ would be removed, e.g. ${foreign.slice(0, 3).join(", ")}`,
      file: dataDir,
      hint: "point --data at another directory (e.g. --data demo-data), or pass --force to replace snapshots/ and ledger/ entirely",
    }],
  });
}

/**
 * The files and links under `dir`, which replacing it would remove. Links are listed, not
 * followed: removing the directory removes a link and leaves what it leads to, and a link
 * back up the tree would otherwise be walked for ever (as Node's recursive `readdirSync` does).
 */
function entriesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? entriesUnder(full) : [full];
  });
}

/** Whether a file (relative to the data directory) is one a demo writes. */
function writtenByDemo(file: string): boolean {
  const [top, sub] = file.split(path.sep);
  if (file === MARKER) return true;
  if (top === "snapshots") return sub === "users" || sub === "events";
  return top === "ledger" && /-sim-[^/]*\.ndjson$/.test(file);
}

/** Streams the generator into DuckDB in chunks (bounded memory) and writes the first snapshot. */
async function generate(o: DemoOptions): Promise<{ byId: Map<string, DemoUser>; written: { users: number; events: number; files: string[] } }> {
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  try {
    await conn.run("SET TimeZone = 'UTC'");
    const byId = new Map<string, DemoUser>();
    let users: DemoUser[] = [];
    let events: DemoEvent[] = [];
    const flush = async (): Promise<void> => {
      await appendPeople(conn, users);
      await appendEvents(conn, "events_all", events);
      users = [];
      events = [];
    };
    for (const { user, events: own } of tasklyUsers({ users: o.users, days: o.days, seed: o.seed, now: o.now })) {
      byId.set(user.user_id, user);
      users.push(user);
      events.push(...own);
      if (users.length >= 2000) await flush();
    }
    await flush();
    const written = await exportSnapshot(conn, o.dataDir, { at: o.now, format: o.format, eventsTable: "events_all" });
    return { byId, written };
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}
