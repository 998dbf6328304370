/**
 * `npm run bench`: makes (or reuses) the benchmark data, then measures — each in its own
 * process — the grouped scan that is the floor for any evaluation, and `plan` over the
 * same data; says where plan's time and memory go; then runs the other benchmark scripts
 * that exist (EXTRA_BENCHMARKS) and prints one table. Exits 1 when a target is missed or
 * a benchmark fails, so a regression is visible; 2 on a usage error.
 */
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import type { PlanDetail } from "./child.ts";
import { parseDuckDBSettings, type DuckDBSettings } from "./duckdb-settings.ts";
import { DEFAULT_MEMORY_LIMIT } from "../engine/data/snapshot.ts";
import type { BenchData } from "./generate.ts";
import { LOADERS } from "./loaders.ts";
import { ROOT, measureTask, runNode } from "./measure.ts";
import { grouped, megabytes, printPlanBreakdown, printTable, seconds, type Row } from "./report.ts";

/** Other benchmarks, run when their file exists; each prints its own details. */
export const EXTRA_BENCHMARKS: { name: string; file: string; args?: (o: { dir: string; config: string; duckdb: DuckDBSettings }) => string[] }[] = [
  { name: "send", file: "scripts/bench-send.ts" },
  {
    name: "site", file: "scripts/bench-site.ts",
    args: (o) => ["--config", o.config, "--demo", path.join(ROOT, "data/bench/demo"), "--data", o.dir,
      "--duckdb", Object.entries(o.duckdb).map(([k, v]) => `${k}=${v}`).join(",")],
  },
];

/**
 * DuckDB settings every measured process gets unless --duckdb says otherwise: spill files
 * under data/bench/. The plan keeps the engine's own memory cap (2.25 GB unless
 * NURTURE_MEMORY_LIMIT says otherwise); the scan's database, which sets none, takes
 * DuckDB's default (80% of RAM) and uses a few hundred MB.
 */
const DEFAULT_DUCKDB: DuckDBSettings = { temp_directory: path.join(ROOT, "data/bench/.duckdb-tmp") };

/** The data generator's cap, unless --duckdb sets one: room for the rest of a shared machine. */
const GENERATOR_MEMORY_LIMIT = "14GB";

/** Targets from the issue: plan within 3x of the scan, under 4 GB. */
const TARGET_RATIO = 3;
const TARGET_MB = 4096;

const USAGE = `usage: npm run bench -- [--users N] [--events N] [--days N] [--seed N] [--dir DIR] [--config DIR] [--now ISO]
                      [--explain N] [--duckdb memory_limit=3GB,threads=2] [--loaders light,view] [--skip-extra]`;

/**
 * The benchmark run. Options: --users N --events N (data size; default 1,000,000 and
 * 50,000,000), --dir DIR (default data/bench/<users>-<events>), --config DIR, --now ISO,
 * --explain N (profile the N costliest evaluator statements in a second plan run),
 * --duckdb SETTINGS (tried on the unchanged engine, e.g. memory_limit=3GB), --loaders
 * light,view (extra plan runs with other snapshot loaders, see loaders.ts), --skip-extra
 * (only scan and plan).
 */
export async function runBench(argv: string[], log: (line: string) => void = console.log): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        users: { type: "string", default: "1000000" },
        events: { type: "string", default: "50000000" },
        dir: { type: "string" },
        config: { type: "string", default: "config" },
        now: { type: "string", default: "2026-11-20T08:00:00Z" },
        days: { type: "string", default: "365" },
        seed: { type: "string", default: "42" },
        explain: { type: "string", default: "0" },
        loaders: { type: "string", default: "" },
        duckdb: { type: "string", default: "" },
        "skip-extra": { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    }));
  } catch (error) {
    log(`bench: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    log(USAGE);
    return 0;
  }
  const [users, events, days, seed, explain] = [values.users, values.events, values.days, values.seed, values.explain].map(Number) as number[];
  const now = new Date(values.now);
  const problem = !Number.isInteger(users) || users! < 100 ? "--users must be a whole number of at least 100"
    : !Number.isInteger(events) || events! < 0 ? "--events must be a whole number"
    : Number.isNaN(now.getTime()) ? `--now "${values.now}" is not an ISO-8601 instant`
    : !Number.isInteger(days) || days! < 30 ? "--days must be a whole number of at least 30"
    : !Number.isInteger(explain) || explain! < 0 ? "--explain must be a whole number" : undefined;
  const loaders = values.loaders.split(",").map((l) => l.trim()).filter(Boolean);
  const unknownLoader = loaders.find((l) => !(LOADERS as readonly string[]).includes(l));
  if (unknownLoader) {
    log(`bench: --loaders "${unknownLoader}" is not known; use ${LOADERS.join(", ")}\n${USAGE}`);
    return 2;
  }
  let duckdb: DuckDBSettings;
  try {
    duckdb = { ...DEFAULT_DUCKDB, ...parseDuckDBSettings(values.duckdb) };
  } catch (error) {
    log(`bench: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (problem) {
    log(`bench: ${problem}\n${USAGE}`);
    return 2;
  }
  const config = path.resolve(ROOT, values.config);
  const dir = path.resolve(ROOT, values.dir ?? `data/bench/${users}-${events}`);
  const shown = dir.startsWith(ROOT + path.sep) ? path.relative(ROOT, dir) : dir;
  const duckdbNote = (settings: DuckDBSettings): string =>
    ` (DuckDB ${Object.entries(settings).map(([k, v]) => `${k}=${k === "temp_directory" && v.startsWith(ROOT) ? path.relative(ROOT, v) : v}`).join(", ")})`;
  const rows: Row[] = [];

  log(`bench data: ${grouped(users!)} users, ~${grouped(events!)} events under ${shown} (made once, then reused) …`);
  const gen = await measureTask("generate", { dir, config, users, events, now: now.toISOString(), days, seed, duckdb: { memory_limit: GENERATOR_MEMORY_LIMIT, ...duckdb } }, { echo: true });
  if (!gen.ok) {
    printTable([{ name: "data", wall: seconds(gen.wallMs), peak: megabytes(gen.peakRssMb), note: `failed: ${gen.error}`, ok: false }], log);
    return 1;
  }
  const data = gen.detail as unknown as BenchData;
  rows.push({
    name: "data", wall: data.reused ? "–" : seconds(data.seconds * 1000), peak: data.reused ? "–" : megabytes(gen.peakRssMb), ok: true,
    note: `${grouped(data.users)} users, ${grouped(data.events)} events (${grouped(data.emailEvents)} email), ${grouped(data.sends)} sends (a ledger of ${data.ledgerArchives} archives of past months + ${data.ledgerRunFiles} run files); ${data.reused ? "reused" : "generated"}`,
  });

  log(`measuring the grouped scan${duckdbNote(duckdb)} …`);
  const scan = await measureTask("scan", { dir, duckdb });
  rows.push({
    name: "scan", wall: seconds(scan.wallMs), peak: megabytes(scan.peakRssMb), ok: scan.ok,
    note: scan.ok ? `SELECT user_id, count(*), max(ts) FROM read_parquet(events) GROUP BY user_id: ${grouped(Number(scan.detail.users))} users` : `failed: ${scan.error}`,
  });
  const engineCap = `${process.env.NURTURE_MEMORY_LIMIT || DEFAULT_MEMORY_LIMIT} (the engine's)`;
  log(`measuring plan${duckdbNote({ ...duckdb, memory_limit: duckdb.memory_limit ?? engineCap })} …`);
  const plan = await measureTask("plan", { dir, config, now: now.toISOString(), duckdb });
  const d = plan.detail as unknown as PlanDetail;
  const held = plan.ok ? Object.entries(d.held).sort((a, b) => b[1] - a[1]).map(([s, n]) => `${s} ${grouped(n)}`).join(", ") : "";
  rows.push({
    name: "plan", wall: seconds(plan.wallMs), peak: megabytes(plan.peakRssMb), ok: plan.ok && plan.peakRssMb < TARGET_MB,
    note: plan.ok
      ? `load ${seconds(d.loadMs)} + evaluate ${seconds(d.evaluateMs)} + JSON ${seconds(d.serialiseMs)}; ${grouped(d.sends)} due; held ${held || "none"}; target < ${megabytes(TARGET_MB)}`
      : `failed: ${plan.error}`,
  });
  if (scan.ok && plan.ok) {
    const ratio = plan.wallMs / Math.max(1, scan.wallMs);
    rows.push({
      name: "plan / scan", wall: `${ratio.toFixed(1)}x`, peak: `${(plan.peakRssMb / Math.max(1, scan.peakRssMb)).toFixed(1)}x`,
      note: `target ≤ ${TARGET_RATIO}x the scan's wall time`, ok: ratio <= TARGET_RATIO,
    });
  }

  for (const loader of loaders) {
    log(`measuring plan with the ${loader} loader (an experiment: the engine unchanged, the snapshot loaded differently) …`);
    const r = await measureTask("plan", { dir, config, now: now.toISOString(), duckdb, loader });
    const x = r.detail as unknown as PlanDetail;
    rows.push({
      name: `plan, ${loader} loader`, wall: seconds(r.wallMs), peak: megabytes(r.peakRssMb), ok: true,
      note: r.ok ? `load ${seconds(x.loadMs)} + evaluate ${seconds(x.evaluateMs)}; ${grouped(x.sends)} due (${(r.wallMs / Math.max(1, scan.wallMs)).toFixed(1)}x the scan); see src/bench/loaders.ts` : `failed: ${r.error}`,
    });
  }

  if (!values["skip-extra"]) {
    for (const extra of EXTRA_BENCHMARKS) {
      const file = path.join(ROOT, extra.file);
      if (!fs.existsSync(file)) continue;
      log(`running ${extra.file} …`);
      const r = await runNode(file, extra.args?.({ dir, config, duckdb }) ?? [], { echo: true });
      rows.push({ name: extra.name, wall: seconds(r.wallMs), peak: megabytes(r.peakMb), note: `${extra.file}${r.code === 0 ? "" : ` exited ${r.code}`}`, ok: r.code === 0 });
    }
  }
  printTable(rows, log);
  if (plan.ok) printPlanBreakdown(d, log);

  let explained: PlanDetail | undefined;
  if (plan.ok && explain! > 0) {
    log(`\nprofiling the ${explain} costliest evaluator statements (a second plan run, not measured) …`);
    const again = await measureTask("plan", { dir, config, now: now.toISOString(), duckdb, explain });
    explained = again.detail as unknown as PlanDetail;
    if (!again.ok) log(`  failed: ${again.error}`);
    for (const x of explained.explained ?? []) {
      log(`  ${seconds(x.ms)} (re-run ${seconds(x.profiledMs)}): ${x.sql}`);
      for (const o of x.operators) log(`    ${seconds(o.ms).padStart(9)}  ${grouped(o.rows).padStart(12)} rows  ${o.operator}${o.info ? `  ${o.info}` : ""}`);
    }
  }
  const results = { at: new Date().toISOString(), argv, duckdb, data, scan, plan, explained: explained?.explained, rows };
  fs.writeFileSync(path.join(dir, "bench-results.json"), JSON.stringify(results, null, 2));
  log(`\nfull results: ${path.join(shown, "bench-results.json")}`);
  return rows.every((r) => r.ok) ? 0 : 1;
}
