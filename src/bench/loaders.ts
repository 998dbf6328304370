/**
 * Alternative snapshot loaders for the benchmark's experiments: what `plan` would cost if
 * `openSnapshot` loaded the data differently, with the evaluator unchanged. Not product
 * code: they skip the checks a real loader must make (bad rows, duplicates), which is
 * fine on the generated data, which has none.
 *
 *   engine  openSnapshot as it is
 *   light   the engine's ledger loader; users and events read straight from Parquet into
 *           typed tables (no all-text round trip, no dedupe window, no sort)
 *   view    as light, but events is a view over the Parquet files: nothing loaded, every
 *           query reads the files again
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Snapshot } from "../engine/data/snapshot.ts";

export const LOADERS = ["engine", "light", "view"] as const;
export type Loader = (typeof LOADERS)[number];

const quote = (p: string): string => `'${p.replaceAll("'", "''")}'`;

/** Opens `dir` with the named loader. */
export async function openWith(loader: Loader, dir: string): Promise<Snapshot> {
  const { openSnapshot } = await import("../engine/data/snapshot.ts");
  if (loader === "engine") return openSnapshot(dir);
  // The engine's own ledger loader, run on a directory that holds only the ledger.
  const shell = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-bench-loader-"));
  fs.mkdirSync(path.join(shell, "snapshots", "users"), { recursive: true });
  fs.mkdirSync(path.join(shell, "snapshots", "events"), { recursive: true });
  if (fs.existsSync(path.join(dir, "ledger"))) fs.symlinkSync(path.join(dir, "ledger"), path.join(shell, "ledger"));
  const snapshot = await openSnapshot(shell);
  fs.rmSync(shell, { recursive: true, force: true });
  const conn = snapshot.connection;
  const files = (table: string): string => quote(path.join(dir, "snapshots", table, "*.parquet"));
  await conn.run("DROP TABLE users; DROP TABLE events");
  await conn.run(`CREATE TABLE users AS SELECT * FROM read_parquet(${files("users")})`);
  const events = `SELECT user_id::VARCHAR AS user_id, event::VARCHAR AS event, ts::TIMESTAMPTZ AS ts, properties::JSON AS properties,
    event_id::VARCHAR AS event_id FROM read_parquet(${files("events")})`;
  await conn.run(loader === "view" ? `CREATE VIEW events AS ${events}` : `CREATE TABLE events AS ${events}`);
  return { ...snapshot, badRows: async () => [] };
}
