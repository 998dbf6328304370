/**
 * impactDiff(): what the run would send under the working config vs the config at a git
 * ref, over the same snapshot at the same instant. Counts and config ids only: no user
 * id, address or name is part of the result.
 */
import { loadConfig } from "../config/index.ts";
import type { Config } from "../config/types.ts";
import { openSnapshot } from "../data/snapshot.ts";
import type { Problem } from "../errors.ts";
import { evaluate } from "../evaluate/evaluate.ts";
import type { BadRowCount } from "../evaluate/types.ts";
import { backtest, type BacktestDay, type BacktestReport } from "./backtest.ts";
import { comparePlans, type PlanComparison } from "./compare.ts";
import { changedConfigFiles, configRepo, loadConfigAtRef, resolveRef } from "./config-at-ref.ts";
import { summarisePlan } from "./plan-summary.ts";

export interface DiffOptions {
  configDir: string;
  dataDir: string;
  /** The git ref of the base config, e.g. `origin/main`. */
  base: string;
  now: Date;
  /** Also replay the working config over this many days (0 = no backtest). */
  backtestDays?: number;
  runHours?: number[];
  onBacktestDay?: (day: BacktestDay) => void;
}

/** A template whose file changed, with its subject line before and after (null = absent). */
export interface SubjectChange {
  template: string;
  before: string | null;
  after: string | null;
}

export interface ImpactDiff {
  now: string;
  base: { ref: string; commit: string; valid: boolean; problems: Pick<Problem, "file" | "line" | "pointer" | "message">[] };
  comparison: PlanComparison;
  /** Config files that differ from the base ref, relative to the repository root. */
  changedFiles: string[];
  subjects: SubjectChange[];
  snapshot: { users: number; events: number; newestEvent: string | null; badRows: BadRowCount[] };
  warnings: string[];
  backtest?: BacktestReport;
}

/**
 * Loads both configs, evaluates both over one snapshot as of `now`, and compares them.
 * An invalid working config throws (exit 1); an unknown ref throws a usage error (exit 2);
 * an invalid base config is reported in the result, not thrown.
 *
 * @example
 * const diff = await impactDiff({ configDir: "config", dataDir: "data", base: "origin/main", now: new Date() });
 * console.log(diffMarkdown(diff));
 */
export async function impactDiff(options: DiffOptions): Promise<ImpactDiff> {
  const head = await loadConfig(options.configDir);
  const repo = await configRepo(options.configDir);
  const commit = await resolveRef(repo, options.base);
  const base = await loadConfigAtRef(repo, options.base, commit);
  const changedFiles = await changedConfigFiles(repo, commit);

  const snapshot = await openSnapshot(options.dataDir);
  try {
    const evaluateSide = async (config: Config) => ({ config, summary: summarisePlan(await evaluate(config, snapshot, options.now)) });
    // Each summary is copied out of its plan before the next evaluation reuses the connection.
    const baseSide = base.config ? await evaluateSide(base.config) : undefined;
    const headSide = await evaluateSide(head);
    const facts = (await snapshot.connection.runAndReadAll(`SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM events) AS events,
        (SELECT strftime(max(ts), '%Y-%m-%dT%H:%M:%SZ') FROM events) AS newest`)).getRowObjects()[0]!;
    const result: ImpactDiff = {
      now: options.now.toISOString(),
      base: {
        ref: options.base,
        commit,
        valid: !!base.config,
        problems: base.problems.map((p) => ({ ...(p.file ? { file: p.file } : {}), ...(p.line ? { line: p.line } : {}), ...(p.pointer ? { pointer: p.pointer } : {}), message: p.message })),
      },
      comparison: comparePlans(baseSide, headSide),
      changedFiles,
      subjects: subjectChanges(changedFiles, repo.configPath, base.subjects, head),
      snapshot: { users: Number(facts.users), events: Number(facts.events), newestEvent: facts.newest === null ? null : String(facts.newest), badRows: await snapshot.badRows() },
      warnings: [...new Set([...(baseSide?.summary.warnings ?? []), ...headSide.summary.warnings])],
    };
    if (options.backtestDays && options.backtestDays > 0) {
      result.backtest = await backtest(head, snapshot, {
        now: options.now,
        days: options.backtestDays,
        runHours: options.runHours ?? [0, 8, 17],
        ...(options.onBacktestDay ? { onDay: options.onBacktestDay } : {}),
      });
    }
    return result;
  } finally {
    snapshot.close();
  }
}

/** Subjects before → after of every changed template file. */
function subjectChanges(changedFiles: string[], configPath: string, before: Map<string, string>, head: Config): SubjectChange[] {
  const prefix = configPath === "." ? "" : `${configPath}/`;
  return changedFiles.flatMap((file) => {
    const match = file.startsWith(prefix) ? /^templates\/([^/]+)\.md$/.exec(file.slice(prefix.length)) : null;
    if (!match) return [];
    const id = match[1]!;
    return [{ template: id, before: before.get(id) ?? null, after: head.templates.get(id)?.subject ?? null }];
  });
}
