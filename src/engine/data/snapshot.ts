/**
 * Loads an event snapshot into DuckDB: users, events and the send ledger, from Parquet,
 * CSV or NDJSON files chosen by extension (many files per table). Bad rows are never
 * dropped silently: each lands in `rejected_rows` with its reason and source file, and
 * `badRows()` counts them for every command that reads data.
 *
 * Tables after opening (session time zone UTC):
 *   users(user_id, email, first_name, created_at TIMESTAMPTZ, timezone, …attributes)
 *   events(user_id, event, ts TIMESTAMPTZ, properties JSON, event_id)   -- deduped by event_id
 *   rejected_rows(tbl, source, reason, row_json)
 *   ledger(kind, at TIMESTAMPTZ, run, key, user_id, campaign, step, …)   -- data/ledger/*.ndjson
 */
import fs from "node:fs";
import path from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { NurtureError } from "../errors.ts";
import type { BadRowCount } from "../evaluate/types.ts";
import { readerSources } from "./_files.ts";
import { sqlString } from "../sql/literals.ts";

export interface Snapshot {
  connection: DuckDBConnection;
  /** Rows set aside while loading, counted by table and reason. */
  badRows(): Promise<BadRowCount[]>;
  /** Every column of one user, timestamps as ISO strings; undefined for an unknown id. */
  userAttributes(userId: string): Promise<Record<string, unknown> | undefined>;
  close(): void;
}

const LEDGER_COLUMNS = `{kind: 'VARCHAR', "at": 'VARCHAR', run: 'VARCHAR', key: 'VARCHAR', user_id: 'VARCHAR',
  campaign: 'VARCHAR', step: 'VARCHAR', variant: 'VARCHAR', template: 'VARCHAR', type: 'VARCHAR',
  occurrence: 'VARCHAR', due: 'VARCHAR', batch: 'VARCHAR', provider_id: 'VARCHAR', transport: 'VARCHAR',
  error: 'VARCHAR', retryable: 'BOOLEAN', reason: 'VARCHAR'}`;

const EMPTY_LEDGER = `CREATE TABLE ledger (kind VARCHAR, "at" TIMESTAMPTZ, run VARCHAR, key VARCHAR, user_id VARCHAR,
  campaign VARCHAR, step VARCHAR, variant VARCHAR, template VARCHAR, type VARCHAR, occurrence VARCHAR,
  due TIMESTAMPTZ, batch VARCHAR, provider_id VARCHAR, transport VARCHAR, error VARCHAR, retryable BOOLEAN, reason VARCHAR)`;

/**
 * Opens the snapshot under `<dataDir>/snapshots/` (and the ledger under `<dataDir>/ledger/`).
 *
 * @example
 * const snap = await openSnapshot("data");
 * const rows = await snap.connection.runAndReadAll("SELECT count(*) FROM events");
 * snap.close();
 */
export async function openSnapshot(dataDir: string): Promise<Snapshot> {
  const root = path.join(dataDir, "snapshots");
  if (!fs.existsSync(root)) {
    throw new NurtureError("no-snapshot", `no snapshot at ${root}`, {
      problems: [{
        code: "no-snapshot",
        severity: "error",
        message: `${root} does not exist`,
        file: root,
        hint: "export users and events under data/snapshots/{users,events}/ (Parquet, CSV or NDJSON), or make demo data with `nurture demo`",
      }],
    });
  }
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  await conn.run("SET TimeZone = 'UTC'");
  await conn.run("CREATE TABLE rejected_rows (tbl VARCHAR, source VARCHAR, reason VARCHAR, row_json VARCHAR)");
  await loadUsers(conn, path.join(root, "users"));
  await loadEvents(conn, path.join(root, "events"));
  await loadLedger(conn, path.join(dataDir, "ledger"));

  return {
    connection: conn,
    badRows: async () => {
      const reader = await conn.runAndReadAll(
        "SELECT tbl, reason, count(*)::INTEGER AS n FROM rejected_rows GROUP BY ALL ORDER BY tbl, n DESC, reason",
      );
      return reader.getRowObjects().map((r) => ({ table: r.tbl as "users" | "events", reason: String(r.reason), count: Number(r.n) }));
    },
    userAttributes: async (userId) => {
      const reader = await conn.runAndReadAll("SELECT * FROM users WHERE user_id = $1", [userId]);
      const row = reader.getRowObjects()[0];
      return row ? Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)])) : undefined;
    },
    close: () => conn.closeSync(),
  };
}

/** Loads every user file into `users_raw`, then keeps the valid rows and rejects the rest. */
async function loadUsers(conn: DuckDBConnection, dir: string): Promise<void> {
  const sources = readerSources(dir);
  if (sources.length === 0) {
    await conn.run("CREATE TABLE users (user_id VARCHAR, email VARCHAR, first_name VARCHAR, created_at TIMESTAMPTZ, timezone VARCHAR)");
    return;
  }
  await conn.run(`CREATE TEMP TABLE users_raw AS SELECT * FROM (${sources.join(" UNION ALL BY NAME ")})`);
  const columns = await columnNames(conn, "users_raw");
  for (const needed of ["email", "first_name", "timezone", "created_at"]) {
    if (!columns.includes(needed)) await conn.run(`ALTER TABLE users_raw ADD COLUMN ${needed} VARCHAR`);
  }
  if (!columns.includes("user_id")) await conn.run("ALTER TABLE users_raw ADD COLUMN user_id VARCHAR");
  await conn.run(`CREATE TEMP TABLE users_checked AS
    SELECT *, CASE
        WHEN user_id IS NULL OR trim(user_id::VARCHAR) = '' THEN 'missing user_id'
        WHEN TRY_CAST(created_at AS TIMESTAMPTZ) IS NULL THEN 'missing or unparseable created_at'
        WHEN row_number() OVER (PARTITION BY user_id::VARCHAR ORDER BY source) > 1 THEN 'duplicate user_id (first row kept)'
      END AS _reason
    FROM users_raw`);
  await reject(conn, "users", "users_checked");
  await conn.run(`CREATE TABLE users AS
    SELECT * EXCLUDE (_reason, source) REPLACE (user_id::VARCHAR AS user_id, created_at::TIMESTAMPTZ AS created_at,
      email::VARCHAR AS email, first_name::VARCHAR AS first_name, timezone::VARCHAR AS timezone)
    FROM users_checked WHERE _reason IS NULL`);
  await conn.run("DROP TABLE users_raw; DROP TABLE users_checked");
}

/** Loads events, rejects bad ones, and keeps the first row of each `event_id`. */
async function loadEvents(conn: DuckDBConnection, dir: string): Promise<void> {
  const sources = readerSources(dir, { jsonColumns: "{user_id: 'VARCHAR', event: 'VARCHAR', ts: 'VARCHAR', properties: 'VARCHAR', event_id: 'VARCHAR'}" });
  if (sources.length === 0) {
    await conn.run("CREATE TABLE events (user_id VARCHAR, event VARCHAR, ts TIMESTAMPTZ, properties JSON, event_id VARCHAR)");
    return;
  }
  // Formats disagree on types (a Parquet struct, a CSV string, an NDJSON object), so each
  // source is brought to one all-text shape before the rows are checked.
  await conn.run("CREATE TEMP TABLE events_raw (user_id VARCHAR, event VARCHAR, ts VARCHAR, properties VARCHAR, event_id VARCHAR, source VARCHAR)");
  for (const source of sources) {
    const columns = await columnNames(conn, source);
    const col = (name: string): string => (columns.includes(name) ? `${name}::VARCHAR` : "NULL");
    const properties = columns.includes("properties")
      ? "CASE WHEN json_type(to_json(properties)) = 'VARCHAR' THEN to_json(properties)->>'$' ELSE to_json(properties)::VARCHAR END"
      : "NULL";
    await conn.run(`INSERT INTO events_raw SELECT ${col("user_id")}, ${col("event")}, ${col("ts")}, ${properties}, ${col("event_id")}, source FROM (${source})`);
  }
  // Duplicates are rare: rank only the rows whose event_id occurs more than once (a hash
  // aggregate), not every row (a window over all of them).
  await conn.run(`CREATE TEMP TABLE events_dups AS
    SELECT rid, row_number() OVER (PARTITION BY event_id ORDER BY source, rid) AS rn
    FROM (SELECT rowid AS rid, event_id, source FROM events_raw)
    WHERE event_id IN (SELECT event_id FROM events_raw WHERE event_id IS NOT NULL GROUP BY event_id HAVING count(*) > 1)`);
  // A view, read twice (bad rows out, good rows in), rather than a third copy of every event.
  await conn.run(`CREATE TEMP VIEW events_checked AS
    SELECT r.* EXCLUDE (rid), CASE
        WHEN r.user_id IS NULL OR trim(r.user_id) = '' THEN 'missing user_id'
        WHEN r.event IS NULL OR trim(r.event) = '' THEN 'missing event name'
        WHEN TRY_CAST(r.ts AS TIMESTAMPTZ) IS NULL THEN 'missing or unparseable ts'
        WHEN r.properties IS NOT NULL AND TRY_CAST(r.properties AS JSON) IS NULL THEN 'properties is not valid JSON'
        WHEN u.user_id IS NULL THEN 'unknown user'
        WHEN d.rn > 1 THEN 'duplicate event_id (counted once)'
      END AS _reason
    FROM (SELECT rowid AS rid, * FROM events_raw) r
    LEFT JOIN users u ON u.user_id = r.user_id
    LEFT JOIN events_dups d ON d.rid = r.rid`);
  await reject(conn, "events", "events_checked");
  await conn.run(`CREATE TABLE events AS
    SELECT user_id, event, ts::TIMESTAMPTZ AS ts, properties::JSON AS properties, event_id
    FROM events_checked WHERE _reason IS NULL`);
  await conn.run("DROP VIEW events_checked; DROP TABLE events_dups; DROP TABLE events_raw");
}

async function loadLedger(conn: DuckDBConnection, dir: string): Promise<void> {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".ndjson")).map((f) => path.join(dir, f)) : [];
  if (files.length === 0) {
    await conn.run(EMPTY_LEDGER);
    return;
  }
  await conn.run(`CREATE TABLE ledger AS
    SELECT * REPLACE ("at"::TIMESTAMPTZ AS "at", TRY_CAST(due AS TIMESTAMPTZ) AS due)
    FROM read_json([${files.map(sqlString).join(", ")}], format = 'newline_delimited', columns = ${LEDGER_COLUMNS})`);
}

async function reject(conn: DuckDBConnection, table: string, checked: string): Promise<void> {
  await conn.run(`INSERT INTO rejected_rows
    SELECT '${table}', c.source, c._reason, to_json(c)::VARCHAR FROM ${checked} c WHERE c._reason IS NOT NULL`);
}

/** The columns of a table, or of a SELECT (bound, not run). */
async function columnNames(conn: DuckDBConnection, tableOrSelect: string): Promise<string[]> {
  const reader = await conn.runAndReadAll(`SELECT column_name FROM (DESCRIBE ${tableOrSelect})`);
  return reader.getRowObjects().map((r) => String(r.column_name));
}

/** DuckDB values → plain JSON-friendly values (timestamps as ISO strings). */
function plain(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "object" && "micros" in value) {
    return new Date(Number((value as { micros: bigint }).micros / 1000n)).toISOString();
  }
  if (typeof value === "object") return String(value);
  return value;
}
