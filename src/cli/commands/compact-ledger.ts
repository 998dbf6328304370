import path from "node:path";
import type { CommandSpec } from "../main.ts";
import { usageError } from "../../engine/errors.ts";
import { compactLedger } from "../../engine/ledger/compact.ts";
import { acquireRunLock } from "../../engine/send/lock.ts";

function keepDaysFrom(text: unknown): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 2 || n > 366) throw usageError(`--keep-days ${String(text)}: give a whole number of days from 2 to 366`);
  return n;
}

export const compactLedgerCommand: CommandSpec = {
  name: "compact-ledger",
  summary: "compacts the ledger's run files of past months into Parquet archives, one per month or more for a large one (smaller in git, faster to read)",
  configure: (cmd) =>
    cmd.option("--keep-days <n>", "compact a month once it ended this many days before --now (at least 2)", "2"),
  action: async (ctx, options) => {
    const keepDays = keepDaysFrom(options.keepDays);
    const ledgerDir = path.join(ctx.dataDir, "ledger");
    // The run's own lock: no run writes to the ledger while its files are compacted.
    const release = acquireRunLock(path.join(ctx.dataDir, "spool", ".run.lock"));
    try {
      const result = await compactLedger(ledgerDir, { now: ctx.now, keepDays });
      if (ctx.json) {
        ctx.out(JSON.stringify(result, null, 2));
        return 0;
      }
      const relative = path.relative(process.cwd(), ledgerDir);
      const where = relative.startsWith("..") ? ledgerDir : relative || ".";
      if (result.archives.length === 0 && result.removed.length === 0) {
        ctx.out(`compact-ledger: nothing to compact under ${where} (months are compacted ${keepDays} days after they end)`);
      }
      for (const a of result.archives) {
        ctx.out(`compact-ledger: ${a.month}: ${a.files.length} run file(s), ${a.records.toLocaleString("en-US")} records → ${path.join(where, a.archive)}`);
      }
      const leftovers = result.removed.length - result.archives.reduce((n, a) => n + a.files.length, 0);
      if (leftovers > 0) ctx.out(`compact-ledger: removed ${leftovers} run file(s) an earlier, interrupted compaction had already archived`);
      for (const k of result.kept) ctx.err(`compact-ledger: left ${path.join(where, k.file)} as it is: ${k.reason}`);
      return 0;
    } finally {
      release();
    }
  },
};
