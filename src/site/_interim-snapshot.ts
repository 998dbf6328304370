/**
 * INTERIM: a minimal reader of the snapshot contract (users, events, ledger tables), used
 * only while the engine's `openSnapshot` does not exist yet. No validation, no rejected
 * rows: delete this file once src/engine/index.ts exports openSnapshot.
 */
import fs from "node:fs";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { NurtureError } from "../engine/errors.ts";
import type { SiteSnapshot } from "./engine.ts";

const LEDGER_COLUMNS = `{kind: 'VARCHAR', "at": 'VARCHAR', run: 'VARCHAR', key: 'VARCHAR', user_id: 'VARCHAR', campaign: 'VARCHAR',
  step: 'VARCHAR', variant: 'VARCHAR', template: 'VARCHAR', type: 'VARCHAR', occurrence: 'VARCHAR', due: 'VARCHAR', batch: 'VARCHAR',
  provider_id: 'VARCHAR', transport: 'VARCHAR', error: 'VARCHAR', retryable: 'BOOLEAN', reason: 'VARCHAR'}`;

const files = (dir: string, exts: string[]): string[] =>
  fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => exts.some((e) => f.endsWith(e))).map((f) => path.join(dir, f)) : [];
const list = (paths: string[]): string => `[${paths.map((p) => `'${p.replaceAll("'", "''")}'`).join(", ")}]`;

export async function openInterimSnapshot(dataDir: string): Promise<SiteSnapshot> {
  const snap = path.join(dataDir, "snapshots");
  if (!fs.existsSync(snap)) {
    throw new NurtureError("no-snapshot", `no snapshot directory at ${snap}`, { problems: [{ code: "no-snapshot", severity: "error", message: `${snap} does not exist`, hint: "make demo data with `nurture demo`" }] });
  }
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  await conn.run("SET TimeZone = 'UTC'");
  const userCsv = files(path.join(snap, "users"), [".csv"]);
  const userJson = files(path.join(snap, "users"), [".ndjson", ".jsonl"]);
  const userSources = [
    ...(userCsv.length ? [`SELECT * FROM read_csv(${list(userCsv)}, all_varchar = true, union_by_name = true)`] : []),
    ...(userJson.length ? [`SELECT * FROM read_json(${list(userJson)}, format = 'newline_delimited', union_by_name = true)`] : []),
  ];
  await conn.run(
    userSources.length
      ? `CREATE TABLE users AS SELECT * REPLACE (created_at::TIMESTAMPTZ AS created_at) FROM (${userSources.join(" UNION ALL BY NAME ")})`
      : `CREATE TABLE users (user_id VARCHAR, email VARCHAR, first_name VARCHAR, created_at TIMESTAMPTZ, timezone VARCHAR)`,
  );
  const ev = files(path.join(snap, "events"), [".ndjson", ".jsonl"]);
  await conn.run(
    ev.length
      ? `CREATE TABLE events AS SELECT user_id, event, ts::TIMESTAMPTZ AS ts, properties, event_id FROM read_json(${list(ev)}, format = 'newline_delimited',
          columns = {event_id: 'VARCHAR', user_id: 'VARCHAR', event: 'VARCHAR', ts: 'VARCHAR', properties: 'JSON'})`
      : `CREATE TABLE events (user_id VARCHAR, event VARCHAR, ts TIMESTAMPTZ, properties JSON, event_id VARCHAR)`,
  );
  const led = files(path.join(dataDir, "ledger"), [".ndjson"]);
  await conn.run(
    led.length
      ? `CREATE TABLE ledger AS SELECT * REPLACE ("at"::TIMESTAMPTZ AS "at", due::TIMESTAMPTZ AS due) FROM read_json(${list(led)}, format = 'newline_delimited', columns = ${LEDGER_COLUMNS})`
      : `CREATE TABLE ledger (kind VARCHAR, "at" TIMESTAMPTZ, run VARCHAR, key VARCHAR, user_id VARCHAR, campaign VARCHAR, step VARCHAR,
          variant VARCHAR, template VARCHAR, type VARCHAR, occurrence VARCHAR, due TIMESTAMPTZ, batch VARCHAR, provider_id VARCHAR,
          transport VARCHAR, error VARCHAR, retryable BOOLEAN, reason VARCHAR)`,
  );
  return { connection: conn, close: () => conn.closeSync() };
}
