import fs from "node:fs";
import { DuckDBInstance } from "@duckdb/node-api";

/**
 * Rewrites an NDJSON events file as Parquet beside it (same rows, same order, `ts` typed,
 * `properties` JSON, as exports write it) and removes the NDJSON.
 */
export async function eventsToParquet(file: string): Promise<void> {
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
