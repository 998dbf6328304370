import fs from "node:fs";
import path from "node:path";
import pc from "picocolors";
import type { CommandSpec } from "../main.ts";
import { impactDiff } from "../../engine/impact/diff.ts";
import { diffMarkdown } from "../../engine/impact/diff-markdown.ts";
import { DEFAULT_RUN_HOURS, runHours, wholeNumber } from "./_impact-options.ts";

/** `nurture diff --base REF`: the impact preview of a config change, as Markdown for a pull-request comment. */
export const diffCommand: CommandSpec = {
  name: "diff",
  summary: "what the run would send under the working config vs the config at a git ref, as Markdown for a pull-request comment",
  configure: (cmd) => {
    cmd
      .requiredOption("--base <ref>", "git ref of the config to compare with, e.g. origin/main")
      .option("--out <file>", "write the Markdown (or JSON) to this file instead of stdout")
      .option("--backtest-days <n>", "also replay the working config over the last N days and append the backtest (0 = none)", "0")
      .option("--run-hours <list>", "UTC hours of the replayed runs on each day (with --backtest-days)", DEFAULT_RUN_HOURS);
  },
  action: async (ctx, options) => {
    const backtestDays = wholeNumber(options.backtestDays, "--backtest-days", 0, 365);
    const hours = runHours(options.runHours);
    const diff = await impactDiff({
      configDir: ctx.configDir,
      dataDir: ctx.dataDir,
      base: String(options.base),
      now: ctx.now,
      backtestDays,
      runHours: hours,
      ...(ctx.json ? {} : { onBacktestDay: (d) => ctx.err(pc.dim(`backtest ${d.day}  runs ${d.runs}  sent ${d.sends}`)) }),
    });
    const text = ctx.json ? `${JSON.stringify(diff, null, 2)}\n` : diffMarkdown(diff);
    if (typeof options.out === "string") {
      const file = path.resolve(options.out);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
      ctx.err(`wrote ${path.relative(process.cwd(), file) || file}`);
    } else {
      ctx.out(text.trimEnd());
    }
    return 0;
  },
};
