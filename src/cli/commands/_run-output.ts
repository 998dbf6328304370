/**
 * How `nurture run` talks while it works and when it is done: a progress bar on a
 * terminal, plain lines otherwise (CI logs), then the summary as text or JSON. User ids
 * and keys only: no address or name is ever printed.
 */
import path from "node:path";
import cliProgress from "cli-progress";
import pc from "picocolors";
import type { SendProgress, SendReport } from "../../engine/send/types.ts";
import type { SendSummary } from "../../engine/send/summary.ts";

const LABEL: Record<SendProgress["phase"], string> = { replay: "replaying unfinished batches", send: "sending" };

/** A progress reporter: a bar when `tty`, else one line per `every` emails and at the end of each phase. */
export function progressReporter(options: { tty: boolean; every: number; err: (line: string) => void }) {
  let bar: cliProgress.SingleBar | undefined;
  let current: SendProgress["phase"] | undefined;
  const stop = (): void => {
    bar?.stop();
    bar = undefined;
  };
  return {
    update(p: SendProgress): void {
      if (options.tty) {
        if (current !== p.phase) {
          stop();
          bar = new cliProgress.SingleBar(
            { stream: process.stderr, format: `${LABEL[p.phase]} [{bar}] {value}/{total}  sent {sent}  failed {failed}`, hideCursor: true },
            cliProgress.Presets.shades_classic,
          );
          bar.start(p.total, 0, { sent: 0, failed: 0 });
        }
        bar?.update(p.done, { sent: p.sent, failed: p.failed });
      } else if (p.done % options.every === 0 || p.done === p.total) {
        options.err(`${LABEL[p.phase]}: ${p.done}/${p.total} (sent ${p.sent}, failed ${p.failed})`);
      }
      current = p.phase;
    },
    stop,
  };
}

const counts = (c: { sent: number; wouldSend: number; failed: number; deferred: number; suppressed: number; skipped: number }, dry: boolean): string =>
  [dry ? `would send ${c.wouldSend}` : `sent ${c.sent}`, `failed ${c.failed}`, `deferred ${c.deferred}`, `suppressed ${c.suppressed}`, `skipped ${c.skipped}`]
    .filter((part) => !(dry && part.startsWith("failed")))
    .join(", ");

/** The run's summary as text lines. */
export function printSummary(report: SendReport, summary: SendSummary, out: (line: string) => void): void {
  const dry = report.transport === "dry-run";
  const ledger = report.ledgerFile && path.relative(process.cwd(), report.ledgerFile);
  const shown = ledger && !ledger.startsWith("..") ? ledger : report.ledgerFile;
  const where = dry ? "dry run: nothing sent, nothing written" : `via ${report.transport}${shown ? `, ledger ${shown}` : ", nothing to record"}`;
  out(`run ${report.run} as of ${report.plan.now} (${where})`);
  const replayed = summary.replayed > 0 ? ` (${summary.replayed} from unfinished batches of earlier runs)` : "";
  out(`${counts(summary, dry)}${replayed}`);
  const other = Object.entries(summary.held).filter(([s]) => !["capped", "outside_window", "suppressed", "too_late"].includes(s));
  if (other.length > 0) out(`also held: ${other.map(([s, n]) => `${s} ${n}`).join(", ")}`);
  const found = report.plan.suppressions.length;
  if (found > 0) out(`${dry ? "would record" : "recorded"} ${found} new suppression(s) in the ledger (unsubscribed, complained or hard-bounced users)`);
  if (summary.byCampaign.length > 0) {
    const width = Math.max(...summary.byCampaign.map((c) => c.campaign.length));
    out("by campaign:");
    for (const c of summary.byCampaign) out(`  ${c.campaign.padEnd(width)}  ${counts(c, dry)}`);
  }
  const failures = report.outcomes.filter((o) => o.status === "failed");
  for (const f of failures.slice(0, 20)) {
    out(pc.red(`  failed  ${f.userId}  ${f.campaign}/${f.step}  key ${f.key}: ${f.error}${f.retryable ? " (retried at the next run)" : ""}`));
  }
  if (failures.length > 20) out(pc.red(`  … ${failures.length - 20} more failure(s); use --json`));
  if (report.stopped) out(pc.red(`stopped early: ${report.stopped}`));
}

/** The run as one JSON document. */
export function jsonSummary(report: SendReport, summary: SendSummary, warnings: readonly string[] = []): unknown {
  return {
    run: report.run,
    now: report.plan.now,
    transport: report.transport,
    dryRun: report.transport === "dry-run",
    ledgerFile: report.ledgerFile ?? null,
    summary,
    replayedBatches: report.replayedBatches,
    failures: report.outcomes.filter((o) => o.status === "failed")
      .map(({ key, userId, campaign, step, error, retryable }) => ({ key, userId, campaign, step, error, retryable })),
    ...(report.transport === "dry-run"
      ? { wouldSend: report.outcomes.map(({ key, userId, campaign, step, type, replayed }) => ({ key, userId, campaign, step, type, replayed })) }
      : {}),
    stopped: report.stopped ?? null,
    badRows: report.plan.badRows,
    warnings: [...warnings, ...report.plan.warnings, ...report.warnings],
  };
}
