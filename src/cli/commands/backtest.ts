import pc from "picocolors";
import type { CommandSpec } from "../main.ts";
import { loadConfig } from "../../engine/config/index.ts";
import { openSnapshot } from "../../engine/data/snapshot.ts";
import { backtest, snapshotEnd } from "../../engine/impact/backtest.ts";
import { backtestMarkdown } from "../../engine/impact/backtest-markdown.ts";
import { DEFAULT_RUN_HOURS, runHours, wholeNumber } from "./_impact-options.ts";

/** `nurture backtest --days N`: replays the working config over the last N days, in memory only. */
export const backtestCommand: CommandSpec = {
  name: "backtest",
  summary: "replay the config over the last N days of the snapshot (nothing is written): sends per day, campaign and type, max per user, cap checks",
  configure: (cmd) => {
    cmd
      .requiredOption("--days <n>", "days to replay, counting the day of --now (default: the snapshot's newest event)")
      .option("--run-hours <list>", "UTC hours of the replayed runs on each day", DEFAULT_RUN_HOURS);
  },
  action: async (ctx, options) => {
    const days = wholeNumber(options.days, "--days", 1, 365);
    const hours = runHours(options.runHours);
    const config = await loadConfig(ctx.configDir);
    const snapshot = await openSnapshot(ctx.dataDir);
    try {
      // The last N days of the snapshot: without --now, up to its newest event, not the wall
      // clock, which a snapshot exported days ago would leave days behind.
      const end = ctx.nowGiven ? undefined : await snapshotEnd(snapshot);
      if (end) ctx.err(pc.dim(`no --now: replaying up to the snapshot's newest event, ${end.toISOString()}`));
      const report = await backtest(config, snapshot, {
        now: end ?? ctx.now,
        days,
        runHours: hours,
        ...(ctx.json ? {} : { onDay: (d) => ctx.err(pc.dim(`${d.day}  runs ${d.runs}  sent ${d.sends}`)) }),
      });
      if (ctx.json) {
        ctx.out(JSON.stringify(report, null, 2));
        return 0;
      }
      for (const bad of report.badRows) ctx.err(pc.yellow(`set aside: ${bad.count} ${bad.table} row(s): ${bad.reason}`));
      ctx.out(backtestMarkdown(report));
      return 0;
    } finally {
      snapshot.close();
    }
  },
};
