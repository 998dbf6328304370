/**
 * Builds the report site on one or more data sets and measures what it costs: build
 * time and peak memory of `astro build`, and per page the JavaScript a visitor loads
 * (every script reachable from the HTML, gzipped). Fails when a page ships more than the
 * budget or a build fails.
 *
 *   npx tsx scripts/bench-site.ts [--data DIR]… [--demo DIR] [--config DIR] [--budget-kb 200]
 *                                 [--duckdb memory_limit=14GB,temp_directory=DIR] [--json]
 *
 * --data may be given several times. --demo DIR makes the demo data there first with
 * `nurture demo` unless a previous demo is already there (a note, not a failure, when it
 * cannot be made). Without either: NURTURE_DATA, else the site test fixture. --duckdb
 * applies DuckDB settings to the build's databases (src/bench/duckdb-preload.mjs), e.g. a
 * memory cap on a shared machine.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";

const ROOT = path.resolve(import.meta.dirname, "..");
const PRELOAD = pathToFileURL(path.join(ROOT, "src/bench/duckdb-preload.mjs")).href;
const TIME_BIN = process.platform === "linux" && fs.existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;

interface PageCost {
  page: string;
  scripts: number;
  jsGzipKb: number;
  htmlGzipKb: number;
}

interface BuildResult {
  data: string;
  ok: boolean;
  buildSeconds: number;
  peakRssMb?: number;
  pages: PageCost[];
  maxJsGzipKb: number;
  totalJsGzipKb: number;
  error?: string;
}

/** Scripts a page loads: <script src>, module preloads, and island component/renderer URLs. */
const entryScripts = (html: string): string[] =>
  [...html.matchAll(/(?:<script[^>]+src|<link[^>]+rel="modulepreload"[^>]+href|component-url|renderer-url|before-hydration-url)="([^"]+\.js)"/g)].map((m) => m[1]!);

/** Follows static and dynamic imports between the built chunks. */
function reachable(out: string, entries: string[]): Set<string> {
  const seen = new Set<string>();
  const stack = entries.map((e) => path.join(out, e.replace(/^\//, "")));
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file) || !fs.existsSync(file)) continue;
    seen.add(file);
    const code = fs.readFileSync(file, "utf8");
    for (const m of code.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+\.js)["']/g)) stack.push(path.resolve(path.dirname(file), m[1]!));
  }
  return seen;
}

/** Gzipped JavaScript and HTML of every built page. */
function pageCosts(out: string): PageCost[] {
  const pages = (fs.readdirSync(out, { recursive: true }) as string[]).filter((f) => f.endsWith(".html")).sort();
  return pages.map((page) => {
    const html = fs.readFileSync(path.join(out, page));
    const files = reachable(out, entryScripts(html.toString("utf8")));
    const gz = [...files].reduce((sum, f) => sum + gzipSync(fs.readFileSync(f)).length, 0);
    return { page, scripts: files.size, jsGzipKb: +(gz / 1024).toFixed(1), htmlGzipKb: +(gzipSync(html).length / 1024).toFixed(1) };
  });
}

/** `astro build` on one data set in a child process, timed, with its peak RSS from GNU time. */
function build(data: string, config: string, duckdb: Record<string, string>): BuildResult {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-bench-site-"));
  const astro = [process.execPath, path.join(ROOT, "node_modules/astro/astro.js"), "build", "--outDir", out];
  const [cmd, ...argv] = TIME_BIN ? [TIME_BIN, "-f", "BENCH_MAXRSS_KB %M", ...astro] : astro;
  const started = performance.now();
  const r = spawnSync(cmd!, argv, {
    cwd: ROOT,
    env: {
      ...process.env, NURTURE_DATA: data, NURTURE_CONFIG: config, BASE_PATH: "/", ASTRO_TELEMETRY_DISABLED: "1",
      ...(Object.keys(duckdb).length
        ? { NURTURE_BENCH_DUCKDB: JSON.stringify(duckdb), NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import ${PRELOAD}`.trim() }
        : {}),
    },
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  const buildSeconds = +((performance.now() - started) / 1000).toFixed(1);
  const rss = /BENCH_MAXRSS_KB (\d+)/.exec(r.stderr ?? "");
  const peakRssMb = rss ? Math.round(Number(rss[1]) / 1024) : undefined;
  try {
    if (r.status !== 0) {
      const tail = `${r.stderr ?? ""}\n${r.stdout ?? ""}`.replace(/BENCH_MAXRSS_KB \d+/, "").trim().split("\n").slice(-6).join("\n");
      return { data, ok: false, buildSeconds, peakRssMb, pages: [], maxJsGzipKb: 0, totalJsGzipKb: 0, error: `astro build exited ${r.status ?? r.signal}: ${tail}` };
    }
    const pages = pageCosts(out);
    const js = pages.map((p) => p.jsGzipKb);
    return { data, ok: true, buildSeconds, peakRssMb, pages, maxJsGzipKb: Math.max(0, ...js), totalJsGzipKb: +js.reduce((a, b) => a + b, 0).toFixed(1) };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

/** Makes the demo data with `nurture demo` unless a finished demo is there; a note when it cannot. */
function ensureDemo(dir: string, config: string): string | undefined {
  if (fs.existsSync(path.join(dir, "snapshots", ".nurture-demo.json"))) return undefined;
  console.log(`making the demo data in ${path.relative(ROOT, dir) || dir} with \`nurture demo\` (a few minutes) …`);
  // A half-made demo (an earlier run stopped) is replaced, but only under data/bench/.
  const force = dir.startsWith(path.join(ROOT, "data", "bench") + path.sep) ? ["--force"] : [];
  const r = spawnSync(process.execPath, [path.join(ROOT, "scripts/nurture.mjs"), "demo", "--data", dir, "--config", config, ...force], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status === 0) return undefined;
  return `nurture demo failed (exit ${r.status ?? r.signal}): ${`${r.stderr}\n${r.stdout}`.trim().split("\n").slice(-3).join(" / ")}`;
}

const { values: args } = parseArgs({
  options: {
    data: { type: "string", multiple: true },
    demo: { type: "string" },
    config: { type: "string" },
    "budget-kb": { type: "string", default: "200" },
    duckdb: { type: "string", default: "" },
    json: { type: "boolean", default: false },
  },
});
const config = path.resolve(args.config ?? process.env.NURTURE_CONFIG ?? path.join(ROOT, "config"));
const budgetKb = Number(args["budget-kb"]);
const duckdb = Object.fromEntries(args.duckdb.split(",").filter(Boolean).map((pair) => {
  const eq = pair.indexOf("=");
  if (eq < 1) throw new Error(`--duckdb "${pair}" must be name=value, e.g. memory_limit=14GB`);
  return [pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()];
}));
const sets: string[] = [];
const notes: string[] = [];
if (args.demo) {
  const demo = path.resolve(args.demo);
  const problem = ensureDemo(demo, config);
  if (problem) notes.push(`demo data skipped: ${problem}`);
  else sets.push(demo);
}
sets.push(...(args.data ?? []).map((d) => path.resolve(d)));
if (!args.demo && !args.data) sets.push(path.resolve(process.env.NURTURE_DATA ?? path.join(ROOT, "test/fixtures/site/data")));

const results: BuildResult[] = [];
for (const data of sets) {
  if (!args.json) console.log(`building the site on ${path.relative(ROOT, data) || data} …`);
  results.push(build(data, config, duckdb));
}
const over = results.flatMap((r) => r.pages.filter((p) => p.jsGzipKb > budgetKb).map((p) => `${path.relative(ROOT, r.data)}: ${p.page}`));

if (args.json) console.log(JSON.stringify({ budgetKb, notes, builds: results }, null, 2));
else {
  for (const note of notes) console.log(note);
  for (const r of results) {
    const where = path.relative(ROOT, r.data) || r.data;
    const rss = r.peakRssMb === undefined ? "" : `, peak RSS ${r.peakRssMb >= 1024 ? `${(r.peakRssMb / 1024).toFixed(2)} GB` : `${r.peakRssMb} MB`}`;
    if (!r.ok) {
      console.log(`site build on ${where}: FAILED after ${r.buildSeconds} s${rss}\n  ${r.error?.replaceAll("\n", "\n  ")}`);
      continue;
    }
    console.log(`site build on ${where}: ${r.buildSeconds} s${rss}; JS per page max ${r.maxJsGzipKb} KB, total ${r.totalJsGzipKb} KB gzipped (${r.pages.length} pages)`);
    console.log(`  ${"page".padEnd(28)} ${"scripts".padStart(7)} ${"JS gz KB".padStart(9)} ${"HTML gz KB".padStart(11)}`);
    for (const p of r.pages) console.log(`  ${p.page.padEnd(28)} ${String(p.scripts).padStart(7)} ${p.jsGzipKb.toFixed(1).padStart(9)} ${p.htmlGzipKb.toFixed(1).padStart(11)}`);
  }
  console.log(over.length ? `OVER BUDGET (${budgetKb} KB gzipped JS): ${over.join(", ")}` : `every page within ${budgetKb} KB of gzipped JS`);
}
process.exitCode = over.length || results.some((r) => !r.ok) ? 1 : 0;
