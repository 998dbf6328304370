/**
 * The benchmark data set: N users and about M events as Parquet under
 * `<dir>/snapshots/{users,events}/` plus a send ledger under `<dir>/ledger/`, made
 * set-based inside DuckDB (range() and hash()-derived pseudo-randomness) rather than row
 * by row in JavaScript. Deterministic for a seed, and reused when `<dir>/bench-params.json`
 * says the same parameters (and the same config) made what is there.
 *
 *   people.ts          the population and its timelines → users-*.parquet
 *   product-events.ts  product events from the timelines → events/product-*.parquet
 *   email-history.ts   a year of nightly sends under config/ → ledger/*.ndjson and
 *                      events/email-*.parquet (email.*, unsubscribed, nps.answered)
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { loadConfig } from "../engine/config/index.ts";
import { isArchiveName } from "../engine/ledger/archive.ts";
import { compactLedger } from "../engine/ledger/compact.ts";
import { simulateHistory } from "./email-history.ts";
import { peopleTableSql, usersSnapshotSql, type PopulationOptions } from "./people.ts";
import { fixedEventCountSql, ongoingShareSql, productEventsSql } from "./product-events.ts";

export interface BenchDataOptions {
  /** Data directory; files go to `<dir>/snapshots/{users,events}/` and `<dir>/ledger/`. */
  dir: string;
  /** Config directory whose programme the email history follows. */
  config: string;
  users: number;
  /** Total events wanted (product and email); the result is close, not exact. */
  events: number;
  /** End of the period (no event comes after it). */
  now: Date;
  days: number;
  seed: number;
  log: (line: string) => void;
}

export interface BenchData {
  reused: boolean;
  seconds: number;
  users: number;
  events: number;
  emailEvents: number;
  sends: number;
  /** Run files the ledger was written as (one per simulated run). */
  ledgerFiles: number;
  /** What the nightly job's compaction left: archives (one or more per past month) and the recent run files. */
  ledgerArchives: number;
  ledgerRunFiles: number;
}

/** Bump when the generated shape changes, so stale data is not reused (6: data made while the history sent nothing). */
const VERSION = 6;
/** UTC hours of the simulated nightly runs (the demo's). */
const RUN_HOURS = [8, 15];
/**
 * Email events per user that a year of the demo programme produces (measured on this
 * generator); the product events get the rest of the budget.
 */
const EMAIL_EVENTS_PER_USER = 20;
const FILES_PER_TABLE = 8;

/** Makes the data unless the same parameters already made it; says what is there. */
export async function ensureBenchData(o: BenchDataOptions): Promise<BenchData> {
  const paramsFile = path.join(o.dir, "bench-params.json");
  const params = JSON.stringify({ version: VERSION, users: o.users, events: o.events, now: o.now.toISOString(), days: o.days, seed: o.seed, config: digest(o.config) });
  if (fs.existsSync(paramsFile)) {
    const saved = JSON.parse(fs.readFileSync(paramsFile, "utf8")) as { params: string; data: BenchData };
    if (saved.params === params) return { ...saved.data, ...(await compactBenchLedger(o)), reused: true };
  }
  const started = performance.now();
  fs.rmSync(paramsFile, { force: true });
  const usersDir = path.join(o.dir, "snapshots", "users");
  const eventsDir = path.join(o.dir, "snapshots", "events");
  const ledgerDir = path.join(o.dir, "ledger");
  for (const dir of [usersDir, eventsDir, ledgerDir]) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
  }
  const population: PopulationOptions = { users: o.users, nowUs: o.now.getTime() * 1000, days: o.days, seed: o.seed };
  const productEvents = await writeProductData(population, o, usersDir, eventsDir);
  const history = await writeEmailHistory(o, eventsDir, ledgerDir);
  const data: BenchData = {
    reused: false,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    users: o.users,
    events: productEvents + history.emailEvents,
    ...history,
    ...(await compactBenchLedger(o)),
  };
  fs.writeFileSync(paramsFile, JSON.stringify({ params, data }, null, 2));
  return data;
}

/**
 * Compacts the ledger's past months into archives, as the nightly job does before it
 * commits (`nurture compact-ledger`); a no-op once done. Data made before compaction
 * existed is compacted on its first reuse.
 */
async function compactBenchLedger(o: BenchDataOptions): Promise<Pick<BenchData, "ledgerArchives" | "ledgerRunFiles">> {
  const ledgerDir = path.join(o.dir, "ledger");
  const started = performance.now();
  const done = await compactLedger(ledgerDir, { now: o.now });
  if (done.archives.length > 0) {
    o.log(`  ledger: ${done.removed.length} run files compacted into ${done.archives.length} archives in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const names = fs.readdirSync(ledgerDir);
  return { ledgerArchives: names.filter(isArchiveName).length, ledgerRunFiles: names.filter((n) => n.endsWith(".ndjson")).length };
}

/** Users and product events, written in several files each; returns the number of events. */
async function writeProductData(p: PopulationOptions, o: BenchDataOptions, usersDir: string, eventsDir: string): Promise<number> {
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  try {
    await conn.run("SET TimeZone = 'UTC'; SET preserve_insertion_order = false");
    await conn.run(peopleTableSql(p));
    const fixed = await scalar(conn, fixedEventCountSql(p));
    await conn.run(ongoingShareSql(p, o.events - fixed - EMAIL_EVENTS_PER_USER * o.users));
    const per = Math.ceil(o.users / FILES_PER_TABLE);
    let events = 0;
    for (let part = 0; part * per < o.users; part++) {
      const range = `i >= ${part * per} AND i < ${(part + 1) * per}`;
      const n = String(part + 1).padStart(3, "0");
      await conn.run(`COPY (${usersSnapshotSql(p, range)}) TO ${quote(path.join(usersDir, `users-${n}.parquet`))} (FORMAT parquet, COMPRESSION zstd)`);
      const file = path.join(eventsDir, `product-${n}.parquet`);
      await conn.run(`COPY (${productEventsSql(p, range)}) TO ${quote(file)} (FORMAT parquet, COMPRESSION zstd)`);
      events += await scalar(conn, `SELECT count(*) AS n FROM read_parquet(${quote(file)})`);
      o.log(`  users and product events ${Math.min(o.users, (part + 1) * per).toLocaleString("en-US")}/${o.users.toLocaleString("en-US")}`);
    }
    return events;
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/**
 * Loads what was written so far into the tables the evaluator's SQL reads (users, events,
 * an empty ledger; lighter than `openSnapshot`: no checks, and product events without ids), replays a year
 * of nightly runs set-based (email-history.ts) and writes the email events by month and
 * the ledger one file per run, as the nightly job would have.
 */
async function writeEmailHistory(o: BenchDataOptions, eventsDir: string, ledgerDir: string): Promise<Omit<BenchData, "reused" | "seconds" | "users" | "events" | "ledgerArchives" | "ledgerRunFiles">> {
  const config = await loadConfig(o.config);
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  try {
    await conn.run("SET TimeZone = 'UTC'; SET preserve_insertion_order = false");
    await conn.run(`CREATE TABLE users AS SELECT * FROM read_parquet(${quote(path.join(o.dir, "snapshots", "users", "*.parquet"))})`);
    await conn.run(`CREATE TABLE events AS SELECT user_id, event, ts, properties::JSON AS properties, NULL::VARCHAR AS event_id
      FROM read_parquet(${quote(path.join(eventsDir, "*.parquet"))})`);
    await conn.run(`CREATE TABLE ledger (kind VARCHAR, "at" TIMESTAMPTZ, run VARCHAR, key VARCHAR, user_id VARCHAR, campaign VARCHAR, step VARCHAR,
      variant VARCHAR, template VARCHAR, type VARCHAR, occurrence VARCHAR, due TIMESTAMPTZ, batch VARCHAR, provider_id VARCHAR, transport VARCHAR,
      error VARCHAR, retryable BOOLEAN, reason VARCHAR)`);
    const until = new Date(o.now.getTime() - 86_400_000);
    const { sends } = await simulateHistory(conn, { config, seed: o.seed, now: o.now, until, runHours: RUN_HOURS, log: o.log });
    // A year of the programme always sends something: none means the simulation no longer
    // reads the engine's step rows right, and the plan measured would have no ledger to read.
    if (sends === 0) throw new Error(`the simulated history of ${o.users} users sent nothing under ${o.config}; the benchmark data would have no ledger`);
    const email = "(event LIKE 'email.%' OR event IN ('unsubscribed', 'nps.answered'))";
    const staging = path.join(eventsDir, ".partitions");
    await conn.run(`COPY (SELECT user_id, event, ts, properties, event_id, strftime(ts, '%Y-%m') AS month FROM events WHERE ${email} ORDER BY ts)
      TO ${quote(staging)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (month))`);
    flattenPartitions(staging, (month) => path.join(eventsDir, `email-${month}.parquet`), "number");
    const emailEvents = await scalar(conn, `SELECT count(*) AS n FROM events WHERE ${email}`);
    const ledgerFiles = await writeLedger(conn, ledgerDir);
    return { emailEvents, sends, ledgerFiles };
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/**
 * One NDJSON file per run (`<stamp>-bench-<stamp>.ndjson`): per batch of 100, the intents,
 * then a `sent` per key. Written in one partitioned pass (DuckDB's JSON writer cannot
 * partition, so each record is a JSON text line written as an unquoted CSV column).
 */
async function writeLedger(conn: DuckDBConnection, ledgerDir: string): Promise<number> {
  // json_merge_patch onto {} drops the null fields, as the ledger writer leaves absent fields out.
  const line = (record: string): string => `json_merge_patch('{}', to_json(${record}))::VARCHAR`;
  const staging = path.join(ledgerDir, ".partitions");
  await conn.run(`COPY (
    WITH s AS (
      SELECT *, strftime("at", '%Y%m%dT%H%M%SZ') AS stamp, strftime("at", '%Y-%m-%dT%H:%M:%S.%gZ') AS at_iso,
        ((row_number() OVER (PARTITION BY "at" ORDER BY key) - 1) // 100) + 1 AS batch_no
      FROM bench_sends
    ), b AS (SELECT *, 'bench-' || stamp AS run, 'bench-' || stamp || '-b' || lpad(batch_no::VARCHAR, 4, '0') AS batch FROM s)
    SELECT stamp, line FROM (
      SELECT stamp, batch, 0 AS ord, key, ${line(`{kind: 'intent', "at": at_iso, run: run, key: key, user_id: user_id, campaign: campaign, step: step,
        variant: variant, template: template, type: type, occurrence: occurrence, due: strftime(due, '%Y-%m-%dT%H:%M:%S.%gZ'), batch: batch}`)} AS line FROM b
      UNION ALL
      SELECT stamp, batch, 1, key, ${line(`{kind: 'sent', "at": at_iso, run: run, key: key, provider_id: 'sim-' || key, transport: 'simulated', batch: batch}`)} FROM b
    ) ORDER BY stamp, batch, ord, key
  ) TO ${quote(staging)} (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\t', PARTITION_BY (stamp))`);
  return flattenPartitions(staging, (stamp) => path.join(ledgerDir, `${stamp}-bench-${stamp}.ndjson`), "concatenate");
}

/**
 * Moves each `<staging>/<column>=<value>/` partition to one file `name(value)` (DuckDB may
 * write several per partition, one per thread: text files are joined, Parquet files get a
 * `-<n>` suffix), removes the staging folder and returns the number of partitions.
 */
function flattenPartitions(staging: string, name: (value: string) => string, join: "concatenate" | "number"): number {
  const parts = fs.readdirSync(staging);
  for (const part of parts) {
    const target = name(decodeURIComponent(part.slice(part.indexOf("=") + 1)));
    const files = fs.readdirSync(path.join(staging, part)).sort().map((f) => path.join(staging, part, f));
    if (join === "concatenate") {
      fs.renameSync(files[0]!, target);
      for (const f of files.slice(1)) fs.appendFileSync(target, fs.readFileSync(f));
    } else {
      files.forEach((f, k) => fs.renameSync(f, k === 0 ? target : target.replace(/(\.[a-z]+)$/, `-${k + 1}$1`)));
    }
  }
  fs.rmSync(staging, { recursive: true, force: true });
  return parts.length;
}

/**
 * sha256 over every file under the config directory (paths and contents), so a config change
 * makes new data. The JSON Schemas are left out: they only judge the config, and a config
 * they refuse fails to load before any data is made.
 */
function digest(dir: string): string {
  const hash = createHash("sha256");
  const files = (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.split(path.sep)[0] !== "schemas" && fs.statSync(path.join(dir, f)).isFile()).sort();
  for (const f of files) hash.update(f).update("\0").update(fs.readFileSync(path.join(dir, f))).update("\0");
  return hash.digest("hex").slice(0, 16);
}

const quote = (file: string): string => `'${file.replaceAll("'", "''")}'`;

async function scalar(conn: DuckDBConnection, sql: string): Promise<number> {
  return Number((await conn.runAndReadAll(sql)).getRowObjects()[0]!.n);
}
