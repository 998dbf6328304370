import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach } from "vitest";
import { openSnapshot, type Snapshot } from "../../src/engine/index.ts";
import { eventsToParquet } from "../support/parquet-events.ts";

export interface Data {
  users?: Record<string, unknown>[];
  events?: Record<string, unknown>[];
  /** Ledger records, as a run writes them (plain rows, or `LedgerRecord`s such as `planRecords` gives). */
  ledger?: readonly object[];
  /** How the events are written: NDJSON (default) or Parquet with typed `ts` and JSON `properties`, as exports write it. */
  eventsFormat?: "ndjson" | "parquet";
}

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

/** Writes the rows as NDJSON snapshot files in a temp dir and opens them like the CLI does; closed after the test. */
export async function openData(data: Data): Promise<Snapshot> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-data-"));
  const write = (file: string, rows: readonly object[] = []) => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), rows.map((r) => JSON.stringify(r)).join("\n"));
  };
  write("snapshots/users/u.ndjson", data.users ?? []);
  write("snapshots/events/e.ndjson", data.events ?? []);
  if (data.eventsFormat === "parquet") await eventsToParquet(path.join(dir, "snapshots/events/e.ndjson"));
  if (data.ledger) write("ledger/l.ndjson", data.ledger);
  const snap = await openSnapshot(dir);
  cleanup.push(() => {
    snap.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return snap;
}

const DAY = 86_400_000;

/** An instant `days` before (negative: after) `now`, as ISO text. */
export const ago = (now: Date, days: number, extraMs = 0): string => new Date(now.getTime() - days * DAY - extraMs).toISOString();
