/**
 * The costliest evaluator statements, run again under DuckDB's profiler after evaluate()
 * so the report can say which operator (join, window, JSON extraction …) the time goes
 * to. A step query reads the `occ` table of its campaign, so that table is rebuilt from
 * the recorded statement first.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { shortSql, type TimedStatement } from "./sql-timing.ts";

export interface OperatorProfile {
  sql: string;
  /** Time of the statement during the measured run. */
  ms: number;
  /** Time of the profiled re-run. */
  profiledMs: number;
  operators: { operator: string; ms: number; rows: number; info: string }[];
}

interface ProfileNode {
  operator_type?: string;
  operator_name?: string;
  operator_timing?: number;
  operator_cardinality?: number;
  extra_info?: Record<string, unknown>;
  children?: ProfileNode[];
  latency?: number;
}

const OCCURRENCES = /^\s*CREATE OR REPLACE TEMP TABLE occ\b/i;
const STEP_KEY = /chr\(0\) \|\| '(?:[^']|'')+' \|\| chr\(0\) \|\| '(?:[^']|'')+' \|\| chr\(0\)/;

/** Re-runs the `count` slowest statements recorded after `evaluateStartMs` under the profiler. */
export async function explainStatements(
  conn: DuckDBConnection, statements: TimedStatement[], evaluateStartMs: number, count: number,
): Promise<OperatorProfile[]> {
  const evaluated = statements.filter((s) => s.startMs >= evaluateStartMs && /^\s*(CREATE|INSERT|SELECT|WITH)/i.test(s.sql));
  const slowest = [...evaluated].sort((a, b) => b.ms - a.ms).slice(0, count);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "nurture-bench-profile-")), "profile.json");
  const out: OperatorProfile[] = [];
  try {
    for (const s of slowest) {
      if (STEP_KEY.test(s.sql) && !OCCURRENCES.test(s.sql)) {
        const occ = evaluated.slice(0, evaluated.indexOf(s)).reverse().find((x) => OCCURRENCES.test(x.sql));
        if (occ) await conn.run(occ.sql);
      }
      await conn.run("PRAGMA enable_profiling = 'json'");
      await conn.run(`PRAGMA profiling_output = '${file.replaceAll("'", "''")}'`);
      const t0 = performance.now();
      await conn.run(s.sql);
      const profiledMs = Math.round(performance.now() - t0);
      await conn.run("PRAGMA disable_profiling");
      const root = JSON.parse(fs.readFileSync(file, "utf8")) as ProfileNode;
      out.push({ sql: shortSql(s.sql, 200), ms: s.ms, profiledMs, operators: topOperators(root, 6) });
    }
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
  return out;
}

/** The operators that took longest, with their rows out and a short description. */
function topOperators(root: ProfileNode, n: number): OperatorProfile["operators"] {
  const all: OperatorProfile["operators"] = [];
  const walk = (node: ProfileNode): void => {
    const name = node.operator_type ?? node.operator_name;
    if (name) {
      const info = Object.entries(node.extra_info ?? {})
        .filter(([k]) => /Table|Join Type|Conditions|Aggregates|Groups|Function|Filters|Partition|Order/i.test(k))
        .map(([k, v]) => `${k}: ${String(Array.isArray(v) ? v.join(", ") : v)}`)
        .join("; ");
      all.push({ operator: name, ms: Math.round((node.operator_timing ?? 0) * 1000), rows: node.operator_cardinality ?? 0, info: shortSql(info, 140) });
    }
    for (const child of node.children ?? []) walk(child);
  };
  walk(root);
  return all.sort((a, b) => b.ms - a.ms).slice(0, n);
}
