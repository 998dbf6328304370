/**
 * One measured benchmark task, run in its own process so its peak memory is its own:
 *
 *   node --import tsx src/bench/child.ts generate '{"dir":"data/bench","config":"config","users":…,"events":…,"now":"…","days":365,"seed":42}'
 *   node --import tsx src/bench/child.ts scan '{"dir":"data/bench"}'
 *   node --import tsx src/bench/child.ts plan '{"dir":"data/bench","config":"config","now":"…","explain":3}'
 *
 * Prints one line `BENCH_RESULT {json}` with the wall time of the work (not of Node's
 * start-up), the process's peak resident memory (which includes DuckDB's native heap)
 * and the task's details. Every task takes `duckdb` (DuckDB settings such as
 * `{"memory_limit":"3GB"}`) applied to every database the process opens, the engine's too.
 */
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { applyDuckDBSettings, type DuckDBSettings } from "./duckdb-settings.ts";
import { ensureBenchData } from "./generate.ts";
import { breakdown, type Breakdown } from "./sql-breakdown.ts";
import { explainStatements, type OperatorProfile } from "./explain.ts";
import { openWith, type Loader } from "./loaders.ts";
import { recordSql } from "./sql-timing.ts";

export interface ChildResult {
  task: string;
  ok: boolean;
  wallMs: number;
  peakRssMb: number;
  detail: Record<string, unknown>;
  error?: string;
}

/** What the plan task reports beyond its timings. */
export interface PlanDetail {
  loadMs: number;
  evaluateMs: number;
  /** JSON.stringify of the plan, as `nurture plan --json` prints it. */
  serialiseMs: number;
  jsonMb: number;
  sends: number;
  held: Record<string, number>;
  users: number;
  events: number;
  warnings: string[];
  /** DuckDB's own memory by tag after evaluate (MB), and the largest tables. */
  duckdbMb: Record<string, number>;
  tables: { name: string; rows: number }[];
  jsHeapMb: number;
  breakdown: Breakdown;
  explained: OperatorProfile[];
}

const peakRssMb = (): number => Math.round(process.resourceUsage().maxRSS / 1024);
const sqlPath = (p: string): string => `'${p.replaceAll("'", "''")}'`;

/** Makes (or reuses) the benchmark data; progress goes to stdout. */
async function generate(args: { dir: string; config: string; users: number; events: number; now: string; days: number; seed: number }): Promise<object> {
  return ensureBenchData({ ...args, now: new Date(args.now), log: (line) => console.log(line) });
}

/** The floor: one grouped scan of every event, straight from the Parquet files, materialised. */
async function scan(args: { dir: string }): Promise<Record<string, unknown>> {
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  try {
    const files = path.join(args.dir, "snapshots", "events", "*.parquet");
    // Materialised inside DuckDB so the timing is the query, not moving a million rows into JS.
    await conn.run(`CREATE TEMP TABLE counts AS SELECT user_id, count(*) AS n, max(ts) AS last_ts FROM read_parquet(${sqlPath(files)}) GROUP BY user_id`);
    const row = (await conn.runAndReadAll("SELECT count(*) AS users, sum(n) AS events FROM counts")).getRowObjects()[0]!;
    return { users: Number(row.users), events: Number(row.events) };
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/**
 * What `nurture plan --json --now …` does — load the config and the snapshot, evaluate,
 * serialise the plan — with every SQL statement timed (`loader` tries another way of
 * loading the snapshot, see loaders.ts), then (optionally) the costliest
 * evaluator statements run again under DuckDB's profiler (which adds to the process's
 * time and memory: the runner measures with `explain` off and explains in a second run).
 */
async function plan(args: { dir: string; config: string; now: string; explain?: number; loader?: Loader }): Promise<PlanDetail> {
  const { loadConfig } = await import("../engine/config/index.ts");
  const { evaluate } = await import("../engine/evaluate/evaluate.ts");
  const recorder = recordSql();
  const t0 = performance.now();
  const config = await loadConfig(args.config);
  const snapshot = await openWith(args.loader ?? "engine", args.dir);
  const t1 = performance.now();
  const result = await evaluate(config, snapshot, new Date(args.now));
  const t2 = performance.now();
  const json = JSON.stringify(result, null, 2);
  const t3 = performance.now();
  recorder.stop();

  const conn = snapshot.connection;
  const memory = (await conn.runAndReadAll("SELECT tag, memory_usage_bytes AS b FROM duckdb_memory() WHERE memory_usage_bytes > 0 ORDER BY b DESC")).getRowObjects();
  const tables = (await conn.runAndReadAll("SELECT table_name AS name, estimated_size AS n FROM duckdb_tables() ORDER BY n DESC LIMIT 8")).getRowObjects();
  const held: Record<string, number> = {};
  for (const h of result.held) held[h.status] = (held[h.status] ?? 0) + 1;
  const evaluateStartMs = Math.round(t1 - t0);
  const split = breakdown(recorder.statements, evaluateStartMs);
  const explained = args.explain ? await explainStatements(conn, recorder.statements, evaluateStartMs, args.explain) : [];
  snapshot.close();
  return {
    loadMs: Math.round(t1 - t0),
    evaluateMs: Math.round(t2 - t1),
    serialiseMs: Math.round(t3 - t2),
    jsonMb: Math.round(json.length / 104857.6) / 10,
    sends: result.sends.length,
    held,
    users: result.users,
    events: result.events,
    warnings: result.warnings,
    duckdbMb: Object.fromEntries(memory.map((m) => [String(m.tag), Math.round(Number(m.b) / 1048576)])),
    tables: tables.map((t) => ({ name: String(t.name), rows: Number(t.n) })),
    jsHeapMb: Math.round(process.memoryUsage().heapUsed / 1048576),
    breakdown: split,
    explained,
  };
}

const TASKS: Record<string, (args: never) => Promise<object>> = { generate, scan, plan };

async function childMain(): Promise<void> {
  const [task = "", json = "{}"] = process.argv.slice(2);
  const run = TASKS[task];
  const started = performance.now();
  let result: ChildResult;
  try {
    if (!run) throw new Error(`unknown benchmark task "${task}" (use generate, scan or plan)`);
    const args = JSON.parse(json) as { duckdb?: DuckDBSettings };
    applyDuckDBSettings(args.duckdb ?? {});
    const detail = (await run(args as never)) as Record<string, unknown>;
    result = { task, ok: true, wallMs: Math.round(performance.now() - started), peakRssMb: peakRssMb(), detail };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    result = { task, ok: false, wallMs: Math.round(performance.now() - started), peakRssMb: peakRssMb(), detail: {}, error: message };
  }
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
}

await childMain();
