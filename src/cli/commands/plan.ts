import pc from "picocolors";
import type { CommandSpec } from "../main.ts";
import { loadConfig } from "../../engine/config/index.ts";
import { openSnapshot } from "../../engine/data/snapshot.ts";
import { describeBadRows, withBadRowExamples } from "../../engine/data/bad-row-examples.ts";
import { usageError } from "../../engine/errors.ts";
import { evaluate } from "../../engine/evaluate/evaluate.ts";
import type { Plan } from "../../engine/evaluate/types.ts";

/** Counts of held rows by status, e.g. "capped 3, suppressed 1". */
function heldSummary(plan: Plan): string {
  const counts = new Map<string, number>();
  for (const h of plan.held) counts.set(h.status, (counts.get(h.status) ?? 0) + 1);
  return [...counts].sort().map(([s, n]) => `${s} ${n}`).join(", ") || "none";
}

export const planCommand: CommandSpec = {
  name: "plan",
  summary: "everything due now (one row per user, campaign and step, with the reason) and what is held back, and why",
  configure: (cmd) => cmd.option("--limit <n>", "rows to list of each kind (default 50; 0 for all)", "50"),
  action: async (ctx, options) => {
    // Checked first, for --json too: a mistyped flag is a usage error before minutes of evaluation.
    const asked = String(options.limit).trim();
    if (!/^\d+$/.test(asked)) throw usageError(`--limit "${options.limit}" must be a whole number of rows (0 for all)`);
    const limit = Number(asked) || Infinity;
    const config = await loadConfig(ctx.configDir);
    const snapshot = await openSnapshot(ctx.dataDir);
    try {
      const plan = await evaluate(config, snapshot, ctx.now);
      // Each count with a few of its rows (file, line, text): local output, for finding them.
      const badRows = await withBadRowExamples(snapshot.connection, plan.badRows, { dataDir: ctx.dataDir });
      if (ctx.json) {
        ctx.out(JSON.stringify({ ...plan, badRows }, null, 2));
        return 0;
      }
      ctx.out(`plan as of ${plan.now}: ${plan.users} users, ${plan.events} events`);
      for (const line of describeBadRows(badRows)) ctx.err(pc.yellow(line));
      for (const warning of plan.warnings) ctx.err(pc.yellow(`warning: ${warning}`));
      ctx.out(`due: ${plan.sends.length}; held back: ${heldSummary(plan)}`);
      if (plan.suppressions.length > 0) ctx.out(`newly suppressed: ${plan.suppressions.length} user(s), recorded in the ledger by the next run`);
      if (plan.entered.length > 0) ctx.out(`new occurrences to record: ${plan.entered.length}, written to the ledger ("entered") by the next run`);
      // User ids only: names and addresses never appear in the plan's rows (a set-aside row's text above is the file's own).
      for (const s of plan.sends.slice(0, limit)) ctx.out(`  send  ${s.userId}  ${s.campaign}/${s.step}${s.variant ? `#${s.variant}` : ""}  ${s.type}  ${s.reason}`);
      for (const h of plan.held.slice(0, limit)) ctx.out(`  ${h.status.padEnd(14)}  ${h.userId}  ${h.campaign}/${h.step}  ${h.reason}`);
      const hidden = Math.max(0, plan.sends.length - limit) + Math.max(0, plan.held.length - limit);
      if (hidden > 0) ctx.out(`  … ${hidden} more row(s); use --limit 0 or --json`);
      return 0;
    } finally {
      snapshot.close();
    }
  },
};
