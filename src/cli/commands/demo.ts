import type { CommandSpec } from "../main.ts";
import { NurtureError, usageError } from "../../engine/errors.ts";
import { DEMO_NOW, SNAPSHOT_FORMATS, runDemo, type EvaluateFn, type SnapshotFormat } from "../../demo/index.ts";

/** A whole number within bounds, or a usage error naming the option. */
function count(options: Record<string, unknown>, name: string, min: number, max: number): number {
  const raw = String(options[name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())]);
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) throw usageError(`--${name} "${raw}" must be a whole number from ${min} to ${max}`);
  return n;
}

function runHours(raw: string): number[] {
  const hours = raw.split(",").map((h) => h.trim());
  if (hours.length === 0 || hours.some((h) => !/^\d{1,2}$/.test(h) || Number(h) > 23)) {
    throw usageError(`--run-hours "${raw}" must list UTC hours 0–23 separated by commas, e.g. 0,8,17`);
  }
  return [...new Set(hours.map(Number))];
}

/**
 * The evaluator is loaded when the replay starts, so `--replay-days 0` (data only) works
 * on its own and a missing evaluator is a plain message rather than a crash at startup.
 */
async function loadEvaluate(): Promise<EvaluateFn> {
  const modulePath = "../../engine/evaluate/evaluate.ts";
  try {
    const mod = (await import(modulePath)) as { evaluate?: EvaluateFn };
    if (typeof mod.evaluate === "function") return mod.evaluate;
  } catch (error) {
    if (!(error instanceof Error && /Cannot find module|ERR_MODULE_NOT_FOUND/.test(`${error.message} ${(error as { code?: string }).code}`))) throw error;
  }
  throw new NurtureError("demo-no-evaluator", "the replay needs the evaluator (src/engine/evaluate/evaluate.ts), which is not available", {
    problems: [{ code: "demo-no-evaluator", severity: "error", message: "evaluate() not found", hint: "run with --replay-days 0 to only generate the data" }],
  });
}

/** `nurture demo`: make the Taskly demo data set and replay the programme so the site has history. */
export const demoCommand: CommandSpec = {
  name: "demo",
  summary: "make the Taskly demo data set and replay a few months of nightly runs",
  configure: (cmd) => {
    cmd
      .option("--users <n>", "number of users", "20000")
      .option("--days <n>", "length of the generated period in days", "120")
      .option("--replay-days <n>", "days of nightly runs to replay at the end of the period (0 = data only)", "60")
      // Three runs a day meet every demo user's local 09:00–18:00 window, Los Angeles to Sydney.
      .option("--run-hours <list>", "UTC hours of the runs on each replayed day", "0,8,17")
      .option("--seed <n>", "random seed: the same seed makes the same data", "1")
      .option("--format <format>", "snapshot file format: parquet, csv or ndjson", "parquet")
      .option("--force", "replace a data directory that nurture demo did not make");
  },
  action: async (ctx, options) => {
    const format = String(options.format) as SnapshotFormat;
    if (!SNAPSHOT_FORMATS.includes(format)) throw usageError(`--format "${format}" is not known; use ${SNAPSHOT_FORMATS.join(", ")}`);
    const replayDays = count(options, "replay-days", 0, 3650);
    const summary = await runDemo({
      configDir: ctx.configDir,
      dataDir: ctx.dataDir,
      users: count(options, "users", 1, 5_000_000),
      days: count(options, "days", 1, 3650),
      seed: count(options, "seed", 0, 2 ** 31),
      // The demo's default is a fixed instant, not the wall clock, so it is reproducible.
      now: options.now === undefined ? new Date(DEMO_NOW) : ctx.now,
      replayDays,
      runHours: runHours(String(options.runHours)),
      format,
      force: Boolean(options.force),
      evaluate: replayDays > 0 ? await loadEvaluate() : undefined,
      log: ctx.json ? ctx.err : ctx.out,
    });
    if (ctx.json) {
      ctx.out(JSON.stringify(summary, null, 2));
      return 0;
    }
    const r = summary.replay;
    ctx.out(`demo data in ${ctx.dataDir}: ${summary.users} users, ${summary.events} events in ${summary.files} files`);
    if (r) {
      const byType = Object.entries(r.sentByType).map(([t, n]) => `${t} ${n}`).join(", ");
      const held = Object.entries(r.held).map(([s, n]) => `${s} ${n}`).join(", ");
      const email = Object.entries(r.emailEvents).sort().map(([e, n]) => `${e} ${n}`).join(", ");
      ctx.out(`replay: ${r.runs} runs, ${r.sent} sent (${byType || "none"}), ${r.skipped} skipped (too late, or ended by an exit)`);
      ctx.out(`  held across runs: ${held || "none"}`);
      ctx.out(`  email events: ${email || "none"}; ${r.conversions} conversions from clicks`);
    }
    ctx.out(`took ${summary.seconds.total} s (generate ${summary.seconds.generate} s, replay and write ${summary.seconds.replay} s)`);
    return 0;
  },
};
