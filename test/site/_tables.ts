import path from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";

export const FIXTURE = path.resolve(import.meta.dirname, "../fixtures/site");
export const FIXTURE_DATA = path.join(FIXTURE, "data");

/**
 * Loads the site fixture into the tables of the snapshot contract (users, events, ledger)
 * so the metric tests do not depend on the engine's loader. Same column names and types.
 */
export async function fixtureConnection(dataDir = FIXTURE_DATA): Promise<DuckDBConnection> {
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  await conn.run("SET TimeZone = 'UTC'");
  const q = (p: string): string => `'${path.join(dataDir, p).replaceAll("'", "''")}'`;
  await conn.run(`CREATE TABLE users AS SELECT user_id::VARCHAR AS user_id, email::VARCHAR AS email, first_name::VARCHAR AS first_name,
    created_at::TIMESTAMPTZ AS created_at, timezone::VARCHAR AS timezone, plan FROM read_csv(${q("snapshots/users/*.csv")}, all_varchar = true)`);
  await conn.run(`CREATE TABLE events AS SELECT user_id::VARCHAR AS user_id, event::VARCHAR AS event, ts::TIMESTAMPTZ AS ts,
    properties::JSON AS properties, event_id::VARCHAR AS event_id
    FROM read_json(${q("snapshots/events/*.ndjson")}, format = 'newline_delimited', columns = {event_id: 'VARCHAR', user_id: 'VARCHAR', event: 'VARCHAR', ts: 'VARCHAR', properties: 'JSON'})`);
  await conn.run(`CREATE TABLE ledger AS SELECT kind, "at"::TIMESTAMPTZ AS "at", run, key, user_id, campaign, step, variant, template, type,
    occurrence, due::TIMESTAMPTZ AS due, batch, provider_id, transport, error, retryable, reason
    FROM read_json(${q("ledger/*.ndjson")}, format = 'newline_delimited', columns = {kind: 'VARCHAR', "at": 'VARCHAR', run: 'VARCHAR',
      key: 'VARCHAR', user_id: 'VARCHAR', campaign: 'VARCHAR', step: 'VARCHAR', variant: 'VARCHAR', template: 'VARCHAR', type: 'VARCHAR',
      occurrence: 'VARCHAR', due: 'VARCHAR', batch: 'VARCHAR', provider_id: 'VARCHAR', transport: 'VARCHAR', error: 'VARCHAR',
      retryable: 'BOOLEAN', reason: 'VARCHAR'})`);
  return conn;
}

/** An empty data set with the same tables: for honest empty states. */
export async function emptyConnection(): Promise<DuckDBConnection> {
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  await conn.run("SET TimeZone = 'UTC'");
  await conn.run(`CREATE TABLE users (user_id VARCHAR, email VARCHAR, first_name VARCHAR, created_at TIMESTAMPTZ, timezone VARCHAR)`);
  await conn.run(`CREATE TABLE events (user_id VARCHAR, event VARCHAR, ts TIMESTAMPTZ, properties JSON, event_id VARCHAR)`);
  await conn.run(`CREATE TABLE ledger (kind VARCHAR, "at" TIMESTAMPTZ, run VARCHAR, key VARCHAR, user_id VARCHAR, campaign VARCHAR, step VARCHAR,
    variant VARCHAR, template VARCHAR, type VARCHAR, occurrence VARCHAR, due TIMESTAMPTZ, batch VARCHAR, provider_id VARCHAR,
    transport VARCHAR, error VARCHAR, retryable BOOLEAN, reason VARCHAR)`);
  return conn;
}
