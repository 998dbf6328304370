import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach } from "vitest";
import { DuckDBInstance } from "@duckdb/node-api";
import { openSnapshot, type Snapshot } from "../../src/engine/index.ts";

export interface Data {
  users?: Record<string, unknown>[];
  events?: Record<string, unknown>[];
  ledger?: Record<string, unknown>[];
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
  const write = (file: string, rows: Record<string, unknown>[] = []) => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), rows.map((r) => JSON.stringify(r)).join("\n"));
  };
  write("snapshots/users/u.ndjson", data.users ?? []);
  write("snapshots/events/e.ndjson", data.events ?? []);
  if (data.eventsFormat === "parquet") await toParquet(path.join(dir, "snapshots/events/e.ndjson"));
  if (data.ledger) write("ledger/l.ndjson", data.ledger);
  const snap = await openSnapshot(dir);
  cleanup.push(() => {
    snap.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return snap;
}

/** Rewrites an NDJSON events file as Parquet beside it (same rows, same order) and removes the NDJSON. */
async function toParquet(file: string): Promise<void> {
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  const text = fs.readFileSync(file, "utf8");
  const quoted = (p: string) => `'${p.replaceAll("'", "''")}'`;
  const rows = text.trim() === ""
    ? "SELECT NULL::VARCHAR AS user_id, NULL::VARCHAR AS event, NULL::TIMESTAMPTZ AS ts, NULL::JSON AS properties, NULL::VARCHAR AS event_id WHERE false"
    : `SELECT user_id, event, TRY_CAST(ts AS TIMESTAMPTZ) AS ts, properties, event_id FROM read_json(${quoted(file)}, format = 'newline_delimited',
        columns = {user_id: 'VARCHAR', event: 'VARCHAR', ts: 'VARCHAR', properties: 'JSON', event_id: 'VARCHAR'})`;
  await conn.run("SET TimeZone = 'UTC'");
  await conn.run(`COPY (${rows}) TO ${quoted(file.replace(/\.ndjson$/, ".parquet"))} (FORMAT parquet)`);
  conn.closeSync();
  db.closeSync();
  fs.rmSync(file);
}

const DAY = 86_400_000;

/** An instant `days` before (negative: after) `now`, as ISO text. */
export const ago = (now: Date, days: number, extraMs = 0): string => new Date(now.getTime() - days * DAY - extraMs).toISOString();
