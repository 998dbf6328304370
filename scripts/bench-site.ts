/**
 * Builds the report site and measures what a visitor pays: build time, and per page the
 * JavaScript it loads (every script reachable from the HTML, gzipped). Fails when a page
 * ships more than the budget.
 *
 *   npx tsx scripts/bench-site.ts [--data DIR] [--config DIR] [--budget-kb 200] [--json]
 *
 * Defaults: NURTURE_DATA / NURTURE_CONFIG, else the site test fixture and config/.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { parseArgs } from "node:util";

const ROOT = path.resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: { data: { type: "string" }, config: { type: "string" }, "budget-kb": { type: "string", default: "200" }, json: { type: "boolean", default: false } },
});
const data = path.resolve(args.data ?? process.env.NURTURE_DATA ?? path.join(ROOT, "test/fixtures/site/data"));
const config = path.resolve(args.config ?? process.env.NURTURE_CONFIG ?? path.join(ROOT, "config"));
const budget = Number(args["budget-kb"]) * 1024;
const out = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-bench-site-"));

const started = performance.now();
execFileSync(process.execPath, [path.join(ROOT, "node_modules/astro/astro.js"), "build", "--outDir", out], {
  cwd: ROOT,
  env: { ...process.env, NURTURE_DATA: data, NURTURE_CONFIG: config, BASE_PATH: "/", ASTRO_TELEMETRY_DISABLED: "1" },
  stdio: ["ignore", "ignore", "inherit"],
});
const buildMs = performance.now() - started;

/** Scripts a page loads: <script src>, module preloads, and island component/renderer URLs. */
const entryScripts = (html: string): string[] =>
  [...html.matchAll(/(?:<script[^>]+src|<link[^>]+rel="modulepreload"[^>]+href|component-url|renderer-url|before-hydration-url)="([^"]+\.js)"/g)].map((m) => m[1]!);

/** Follows static and dynamic imports between the built chunks. */
function reachable(entries: string[]): Set<string> {
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

const pages = (fs.readdirSync(out, { recursive: true }) as string[]).filter((f) => f.endsWith(".html")).sort();
const rows = pages.map((page) => {
  const files = reachable(entryScripts(fs.readFileSync(path.join(out, page), "utf8")));
  const gz = [...files].reduce((sum, f) => sum + gzipSync(fs.readFileSync(f)).length, 0);
  const html = gzipSync(fs.readFileSync(path.join(out, page))).length;
  return { page, scripts: files.size, jsGzipKb: +(gz / 1024).toFixed(1), htmlGzipKb: +(html / 1024).toFixed(1) };
});
fs.rmSync(out, { recursive: true, force: true });

const over = rows.filter((r) => r.jsGzipKb * 1024 > budget);
if (args.json) console.log(JSON.stringify({ buildSeconds: +(buildMs / 1000).toFixed(1), budgetKb: budget / 1024, pages: rows }, null, 2));
else {
  console.log(`site build: ${(buildMs / 1000).toFixed(1)} s (data ${path.relative(ROOT, data) || "."})`);
  console.log(`${"page".padEnd(28)} ${"scripts".padStart(7)} ${"JS gz KB".padStart(9)} ${"HTML gz KB".padStart(11)}`);
  for (const r of rows) console.log(`${r.page.padEnd(28)} ${String(r.scripts).padStart(7)} ${r.jsGzipKb.toFixed(1).padStart(9)} ${r.htmlGzipKb.toFixed(1).padStart(11)}`);
  console.log(over.length ? `OVER BUDGET (${budget / 1024} KB): ${over.map((r) => r.page).join(", ")}` : `every page within ${budget / 1024} KB of gzipped JS`);
}
process.exitCode = over.length ? 1 : 0;
