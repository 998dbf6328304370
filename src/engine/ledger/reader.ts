/**
 * Reads the ledger's NDJSON files back into records, and finds the batches a run left
 * unfinished (a `batch` record whose keys have no outcome yet), which the next run must
 * replay with the same idempotency key and payload.
 */
import fs from "node:fs";
import path from "node:path";
import type { BatchRecord, IntentRecord, LedgerRecord } from "./types.ts";

export interface LedgerRead {
  /** Records in ledger order: files by name (start time, run id), then line by line. */
  records: LedgerRecord[];
  /** Lines that are not a JSON record, as `file:line` (a torn last line after a crash). */
  damaged: string[];
}

/** `20261120T080000Z-…` → the instant, or undefined for a name without that prefix. */
export function fileStart(name: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(name);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : undefined;
}

/**
 * Reads `<ledgerDir>/*.ndjson`. With `since`, files whose name says they were started
 * before it are not read (files without a time prefix always are): a replay only needs
 * the last day, and the ledger grows every run. Archives (`archive.ts`) are not read:
 * they hold only months that ended days ago, which a replay never needs; the snapshot's
 * `ledger` table (`table.ts`) reads everything.
 *
 * @example
 * const { records } = readLedger("data/ledger", { since: new Date(Date.now() - 25 * 3600_000) });
 */
export function readLedger(ledgerDir: string, options: { since?: Date } = {}): LedgerRead {
  const read: LedgerRead = { records: [], damaged: [] };
  if (!fs.existsSync(ledgerDir)) return read;
  const since = options.since?.getTime();
  const files = fs.readdirSync(ledgerDir).filter((f) => f.endsWith(".ndjson")).sort();
  for (const name of files) {
    const start = fileStart(name);
    if (since !== undefined && start !== undefined && start < since) continue;
    const parsed = parseLedgerText(fs.readFileSync(path.join(ledgerDir, name), "utf8"));
    read.records.push(...parsed.records);
    read.damaged.push(...parsed.damaged.map((line) => `${name}:${line}`));
  }
  return read;
}

/**
 * The records of one ledger file's text, and the 1-based numbers of its non-blank lines
 * that are not a JSON record (an object with a `kind`).
 */
export function parseLedgerText(text: string): { records: LedgerRecord[]; damaged: number[] } {
  const parsed: { records: LedgerRecord[]; damaged: number[] } = { records: [], damaged: [] };
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      const record = JSON.parse(line) as LedgerRecord;
      if (record && typeof record === "object" && typeof record.kind === "string") parsed.records.push(record);
      else parsed.damaged.push(i + 1);
    } catch {
      parsed.damaged.push(i + 1);
    }
  });
  return parsed;
}

/** A batch some of whose keys have no final outcome. */
export interface OpenBatch {
  record: BatchRecord;
  /** The batch's intents by key (what was meant to be sent). */
  intents: Map<string, IntentRecord>;
  /** Keys with neither `sent`/`skipped` anywhere nor a non-retryable failure of this batch. */
  pending: string[];
}

/**
 * The unfinished batches, oldest first. A key's outcome counts for a batch when it is
 * `sent` or `skipped` (anywhere: a key is delivered at most once) or a `failed` record of
 * that batch with `retryable: false`. A retryable failure leaves the batch open, because
 * the provider may have accepted the request before the connection failed; only the same
 * idempotency key can find out without sending twice. A key in several open batches
 * belongs to the newest.
 */
export function openBatches(records: readonly LedgerRecord[]): OpenBatch[] {
  const done = new Set<string>();
  const definitive = new Map<string, Set<string>>();
  const batches: BatchRecord[] = [];
  const intents = new Map<string, Map<string, IntentRecord>>();
  const newest = new Map<string, string>();
  for (const r of records) {
    if (r.kind === "sent" || r.kind === "skipped") done.add(r.key);
    else if (r.kind === "failed" && r.retryable === false && r.batch) {
      definitive.set(r.batch, (definitive.get(r.batch) ?? new Set()).add(r.key));
    } else if (r.kind === "intent") {
      intents.set(r.batch, (intents.get(r.batch) ?? new Map()).set(r.key, r));
    } else if (r.kind === "batch") {
      batches.push(r);
      for (const key of r.keys) newest.set(key, r.batch);
    }
  }
  const open: OpenBatch[] = [];
  const seen = new Set<string>();
  for (const record of batches) {
    if (seen.has(record.batch)) continue;
    seen.add(record.batch);
    const failed = definitive.get(record.batch);
    const pending = record.keys.filter((k) => !done.has(k) && !failed?.has(k) && newest.get(k) === record.batch);
    if (pending.length > 0) open.push({ record, intents: intents.get(record.batch) ?? new Map(), pending });
  }
  return open;
}
