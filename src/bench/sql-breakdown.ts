/**
 * Turns the statements timed during `plan` (sql-timing.ts) into where the time went:
 * the loader's phases, the evaluator's shared set-up, each campaign's queries, and the
 * costliest single statements. Statements are attributed by what they contain, not by
 * the engine's internals: a step query names its campaign and step in its message-key
 * expression, and a campaign's `occ` table is built just before its steps run.
 */
import { shortSql, type TimedStatement } from "./sql-timing.ts";

export interface Cost {
  label: string;
  ms: number;
  /** Highest resident memory (MB) sampled while these statements ran. */
  peakRssMb: number;
  statements: number;
}

export interface Breakdown {
  /** Loader phases: users, events, ledger, other. */
  load: Cost[];
  /** Evaluator: shared set-up, then one entry per campaign, then the rest. */
  evaluate: Cost[];
  /** The costliest statements, with their label. */
  top: (Cost & { sql: string })[];
}

const STEP_KEY = /chr\(0\) \|\| '((?:[^']|'')+)' \|\| chr\(0\) \|\| '((?:[^']|'')+)' \|\| chr\(0\)/;
const OCCURRENCES = /^\s*CREATE OR REPLACE TEMP TABLE occ\b/i;

/** The loader phase a statement belongs to, from the table it builds. */
function loadPhase(sql: string): string {
  if (/\bledger\b/i.test(sql) && !/\bevents_/i.test(sql)) return "load: ledger";
  if (/\busers_(raw|checked)\b|TABLE users\b/i.test(sql)) return "load: users";
  if (/\bevents(_raw|_part|_checked)?\b/i.test(sql)) return "load: events (read, check, dedupe, sort)";
  return "load: other";
}

/**
 * Labels the evaluator's statements: those before the first `occ` build are set-up; each
 * `occ` build starts a campaign, named by its step queries, which runs to the next one;
 * what follows the last campaign's last step query is the wrap-up (caps, counts).
 */
function evaluateLabels(statements: TimedStatement[]): string[] {
  const starts = statements.flatMap((s, i) => (OCCURRENCES.test(s.sql) ? [i] : []));
  const labels = statements.map(() => "evaluate: set-up (tags, scores, suppression, step tables)");
  starts.forEach((start, g) => {
    const end = starts[g + 1] ?? statements.length;
    let name = "?";
    let lastStep = start;
    for (let i = start; i < end; i++) {
      const m = STEP_KEY.exec(statements[i]!.sql);
      if (!m) continue;
      if (name === "?") name = m[1]!.replaceAll("''", "'");
      lastStep = i;
    }
    const last = g === starts.length - 1;
    for (let i = start; i < end; i++) labels[i] = last && i > lastStep ? "evaluate: wrap-up (caps, counts)" : `campaign ${name}`;
  });
  return labels;
}

function sum(entries: { label: string; s: TimedStatement }[]): Cost[] {
  const by = new Map<string, Cost>();
  for (const { label, s } of entries) {
    const c = by.get(label) ?? { label, ms: 0, peakRssMb: 0, statements: 0 };
    c.ms += s.ms;
    c.peakRssMb = Math.max(c.peakRssMb, s.peakRssMb);
    c.statements++;
    by.set(label, c);
  }
  return [...by.values()];
}

/**
 * Splits the statements at `evaluateStartMs` (recorder time when evaluate() began) into
 * load and evaluate, and sums them by phase and campaign.
 */
export function breakdown(statements: TimedStatement[], evaluateStartMs: number, topN = 12): Breakdown {
  const load = statements.filter((s) => s.startMs < evaluateStartMs);
  const evaluate = statements.filter((s) => s.startMs >= evaluateStartMs);
  const labels = evaluateLabels(evaluate);
  const labelled = [
    ...load.map((s) => ({ label: loadPhase(s.sql), s })),
    ...evaluate.map((s, i) => ({ label: labels[i]!, s })),
  ];
  return {
    load: sum(labelled.slice(0, load.length)),
    evaluate: sum(labelled.slice(load.length)).sort((a, b) => b.ms - a.ms),
    top: [...labelled]
      .sort((a, b) => b.s.ms - a.s.ms)
      .slice(0, topN)
      .map(({ label, s }) => ({ label, ms: s.ms, peakRssMb: s.peakRssMb, statements: 1, sql: shortSql(s.sql, 160) })),
  };
}
