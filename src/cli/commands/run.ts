import path from "node:path";
import pc from "picocolors";
import type { CommandSpec } from "../main.ts";
import { loadConfig } from "../../engine/config/index.ts";
import { NurtureError, usageError } from "../../engine/errors.ts";
import { outboxTransport, resendTransport, runSends, summarize, unsubscribeSecret, type Transport } from "../../engine/send/index.ts";
import { jsonSummary, printSummary, progressReporter } from "./_run-output.ts";

/** The transport the options and the environment ask for; undefined for a dry run. */
function chooseTransport(options: Record<string, unknown>, dataDir: string, env: NodeJS.ProcessEnv): { name: "resend" | "outbox"; transport?: Transport } {
  const name = (options.transport as string | undefined) ?? (env.RESEND_API_KEY ? "resend" : "outbox");
  if (name !== "resend" && name !== "outbox") throw usageError(`--transport must be "resend" or "outbox", not "${name}"`);
  if (options.dryRun) return { name };
  if (name === "outbox") return { name, transport: outboxTransport(path.join(dataDir, "outbox")) };
  const apiKey = env.RESEND_API_KEY;
  if (!apiKey) {
    throw new NurtureError("no-api-key", "--transport resend needs RESEND_API_KEY", {
      problems: [{ code: "no-api-key", severity: "error", message: "RESEND_API_KEY is not set", hint: "set it to a Resend API key with sending access, or use --transport outbox to write the emails to data/outbox/" }],
    });
  }
  return { name, transport: resendTransport({ apiKey }) };
}

export const runCommand: CommandSpec = {
  name: "run",
  summary: "plan, render, send and record in the ledger (Resend when RESEND_API_KEY is set, else the outbox in data/outbox/)",
  configure: (cmd) =>
    cmd
      .option("--transport <name>", "resend or outbox (default: resend when RESEND_API_KEY is set, else outbox)")
      .option("--dry-run", "plan and show what would be sent; send nothing, write nothing")
      .option("--batch-size <n>", "emails per provider request, 1 to 100", "100"),
  action: async (ctx, options) => {
    const batchSize = Number(options.batchSize);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100) throw usageError(`--batch-size must be a whole number from 1 to 100, not "${String(options.batchSize)}"`);
    const dryRun = Boolean(options.dryRun);
    const { name, transport } = chooseTransport(options, ctx.dataDir, process.env);
    const { secret, dev } = unsubscribeSecret(process.env, { required: name === "resend" && !dryRun });
    // Said before the run in text, so it is seen before a long send; listed with the run's own warnings in JSON.
    const secretWarnings = dev ? ["NURTURE_UNSUBSCRIBE_SECRET is not set: unsubscribe links carry development tokens that no real endpoint accepts"] : [];
    if (!ctx.json) for (const warning of secretWarnings) ctx.err(pc.yellow(`warning: ${warning}`));
    const config = await loadConfig(ctx.configDir);

    const progress = progressReporter({ tty: Boolean(process.stderr.isTTY) && !ctx.json, every: batchSize, err: ctx.json ? () => {} : ctx.err });
    // With --now the ledger records that instant, so a reproduced run reads back what it wrote.
    const fixed = options.now !== undefined;
    let report;
    try {
      report = await runSends({
        config, dataDir: ctx.dataDir, now: ctx.now, transport, secret, batchSize,
        clock: fixed ? () => ctx.now : () => new Date(),
        onProgress: (p) => progress.update(p),
      });
    } finally {
      progress.stop();
    }
    const summary = summarize(report);
    if (ctx.json) {
      ctx.out(JSON.stringify(jsonSummary(report, summary, secretWarnings), null, 2));
    } else {
      for (const bad of report.plan.badRows) ctx.err(pc.yellow(`set aside: ${bad.count} ${bad.table} row(s): ${bad.reason}`));
      for (const warning of [...report.plan.warnings, ...report.warnings]) ctx.err(pc.yellow(`warning: ${warning}`));
      printSummary(report, summary, ctx.out);
    }
    return summary.failed > 0 || report.stopped ? 1 : 0;
  },
};
