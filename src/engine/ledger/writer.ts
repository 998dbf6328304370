/**
 * Appends ledger records to this run's NDJSON file, durably: each call writes whole lines
 * and then fsyncs, so a record that `append` returned from is on disk. A process killed
 * in the middle of a write, or a write that fails, can still leave the file's last line
 * torn (no newline at its end); the writer then refuses to append more, so such a line is
 * always last, every reader sets it aside, and the next run writes a file of its own.
 * Also the durable-write helpers the spool, the outbox and the webhook converter share.
 */
import fs from "node:fs";
import path from "node:path";
import type { LedgerRecord } from "./types.ts";

/** `2026-11-20T08:00:00.000Z` → `20261120T080000Z`, the prefix of a ledger file name. */
export const compactIso = (at: Date): string => at.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");

/** The ledger file of a run: `<UTC start, compact ISO>-<run id>.ndjson`. */
export const ledgerFileName = (startedAt: Date, run: string): string => `${compactIso(startedAt)}-${run}.ndjson`;

export interface LedgerWriter {
  /** Absolute path of the run's file (it exists once something was appended). */
  readonly file: string;
  /** Writes the records as whole lines in one write, then fsyncs. Nothing to write is a no-op. */
  append(records: readonly LedgerRecord[]): void;
  close(): void;
}

/**
 * A writer for one run's ledger file under `ledgerDir`. The file (and the directory) are
 * created on the first append, so a run that records nothing leaves no file.
 *
 * @example
 * const ledger = openLedgerWriter("data/ledger", new Date(), "r1");
 * ledger.append([{ kind: "sent", at, run: "r1", key, provider_id: id, transport: "resend" }]);
 * ledger.close();
 */
export function openLedgerWriter(ledgerDir: string, startedAt: Date, run: string): LedgerWriter {
  const file = path.resolve(ledgerDir, ledgerFileName(startedAt, run));
  let fd: number | undefined;
  // After a write fails (a full disk) part of a line may be in the file; writing on would
  // put that torn line in the middle, where readers refuse it, so the writer stops.
  let failed: unknown;
  return {
    file,
    append(records) {
      if (records.length === 0) return;
      if (failed !== undefined) throw new Error(`the ledger file ${file} cannot be appended to after a failed write`, { cause: failed });
      if (fd === undefined) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fd = fs.openSync(file, "a");
        syncDirectory(path.dirname(file));
      }
      try {
        writeAll(fd, records.map((r) => `${JSON.stringify(r)}\n`).join(""));
        fs.fsyncSync(fd);
      } catch (error) {
        failed = error;
        throw error;
      }
    },
    close() {
      if (fd !== undefined) fs.closeSync(fd);
      fd = undefined;
    },
  };
}

/** Writes all of `text` at the file's position: `fs.writeSync` may write only part of it. */
function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, "utf8");
  for (let done = 0; done < bytes.length;) done += fs.writeSync(fd, bytes, done, bytes.length - done);
}

/** Makes a new directory entry durable (a no-op where directories cannot be opened). */
export function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch {
    // Some platforms cannot fsync a directory; the file's own fsync still holds its data.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Replaces `file` with `content` so a crash never leaves half a file: written to a
 * temporary file (`<file>.tmp`) beside it, fsynced, then renamed over it. The caller
 * syncs the directory (`syncDirectory`) once its renames are done.
 */
export function writeFileDurably(file: string, content: string): void {
  const temp = `${file}.tmp`;
  const fd = fs.openSync(temp, "w");
  try {
    writeAll(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
}
