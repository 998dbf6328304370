/**
 * The benchmark's printed report: one table of measurements with the targets marked,
 * then where `plan` spends its time and memory (loader phases, evaluator set-up, each
 * campaign, the costliest statements and, when asked, their profiled operators).
 */
import type { PlanDetail } from "./child.ts";
import type { Cost } from "./sql-breakdown.ts";

export interface Row {
  name: string;
  wall: string;
  peak: string;
  note: string;
  ok: boolean;
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
export const megabytes = (n: number | undefined): string => (n === undefined ? "–" : n >= 1024 ? `${(n / 1024).toFixed(2)} GB` : `${n} MB`);
export const grouped = (n: number): string => Math.round(n).toLocaleString("en-US");

/** The table: a `!` marks a missed target or a failure. */
export function printTable(rows: Row[], log: (line: string) => void): void {
  const head: Row = { name: "benchmark", wall: "wall", peak: "peak RSS", note: "notes", ok: true };
  const all = [head, ...rows];
  const width = (k: "name" | "wall" | "peak"): number => Math.max(...all.map((r) => r[k].length));
  log("");
  for (const r of all) log(`${r.ok ? " " : "!"} ${r.name.padEnd(width("name"))}  ${r.wall.padStart(width("wall"))}  ${r.peak.padStart(width("peak"))}  ${r.note}`);
}

const costLine = (c: Cost, total: number): string =>
  `    ${seconds(c.ms).padStart(9)}  ${`${Math.round((100 * c.ms) / Math.max(1, total))}%`.padStart(4)}  peak ${megabytes(c.peakRssMb).padStart(8)}  ${String(c.statements).padStart(3)} stmt  ${c.label}`;

/** Where plan's time and memory went, from the statements timed in the plan process. */
export function printPlanBreakdown(d: PlanDetail, log: (line: string) => void, campaigns = 12): void {
  const b = d.breakdown;
  log("");
  log(`where plan's time goes (every SQL statement timed; peak = highest RSS sampled while it ran):`);
  log(`  load ${seconds(d.loadMs)}:`);
  for (const c of [...b.load].sort((x, y) => y.ms - x.ms)) log(costLine(c, d.loadMs));
  log(`  evaluate ${seconds(d.evaluateMs)}:`);
  for (const c of b.evaluate.slice(0, campaigns)) log(costLine(c, d.evaluateMs));
  if (b.evaluate.length > campaigns) {
    const rest = b.evaluate.slice(campaigns);
    log(`    ${seconds(rest.reduce((s, c) => s + c.ms, 0)).padStart(9)}        ${rest.length} more (each under ${seconds(rest[0]!.ms)})`);
  }
  log(`  JSON output ${seconds(d.serialiseMs)} (${d.jsonMb} MB)`);
  log("  costliest statements:");
  for (const t of b.top) log(`    ${seconds(t.ms).padStart(9)}  peak ${megabytes(t.peakRssMb).padStart(8)}  [${t.label}] ${t.sql}`);
  const tags = Object.entries(d.duckdbMb).map(([tag, mb]) => `${tag} ${megabytes(mb)}`).join(", ");
  log(`  DuckDB memory after evaluate: ${tags || "–"}; JS heap ${megabytes(d.jsHeapMb)}`);
  log(`  largest tables: ${d.tables.map((t) => `${t.name} ${grouped(t.rows)}`).join(", ")}`);
  for (const x of d.explained) {
    log(`  profiled: ${seconds(x.ms)} (re-run ${seconds(x.profiledMs)}) ${x.sql}`);
    for (const o of x.operators) log(`    ${seconds(o.ms).padStart(9)}  ${grouped(o.rows).padStart(12)} rows  ${o.operator}${o.info ? `  ${o.info}` : ""}`);
  }
}
