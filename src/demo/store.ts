/**
 * Moves the demo world in and out of DuckDB: the people table (users plus their
 * timeline), the full event table, and the snapshot files under `<data>/snapshots/`.
 * Attributes that change over time (plan, licence end, overdue tasks) are derived from
 * the timeline by one SQL expression, so the files written at the end and every replayed
 * day agree on what a user looked like at any instant.
 */
import fs from "node:fs";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { DemoEvent, DemoUser } from "./taskly.ts";

export type SnapshotFormat = "parquet" | "csv" | "ndjson";
export const SNAPSHOT_FORMATS: readonly SnapshotFormat[] = ["parquet", "csv", "ndjson"];

/** A SQL TIMESTAMPTZ literal for an instant. */
export const tsLiteral = (at: Date | number): string => `'${new Date(at).toISOString()}'::TIMESTAMPTZ`;

const PEOPLE_DDL = `CREATE TABLE IF NOT EXISTS demo_people (user_id VARCHAR, email VARCHAR, first_name VARCHAR,
  created_at TIMESTAMPTZ, timezone VARCHAR, country VARCHAR, company_size VARCHAR, purchased_at TIMESTAMPTZ,
  paid_plan VARCHAR, term_days INTEGER, license_end_at TIMESTAMPTZ, overdue_pct INTEGER)`;

/** Staging shape for appended events: epoch milliseconds and JSON text, cast on insert. */
const STAGE_DDL = `CREATE OR REPLACE TEMP TABLE demo_event_stage (user_id VARCHAR, event VARCHAR, ts_ms DOUBLE,
  properties VARCHAR, event_id VARCHAR)`;

/** Creates `demo_people` (if missing) and appends users to it. */
export async function appendPeople(conn: DuckDBConnection, users: Iterable<DemoUser>): Promise<void> {
  await conn.run(PEOPLE_DDL);
  await conn.run("CREATE OR REPLACE TEMP TABLE demo_people_stage (user_id VARCHAR, email VARCHAR, first_name VARCHAR, created_ms DOUBLE, timezone VARCHAR, country VARCHAR, company_size VARCHAR, purchased_ms DOUBLE, paid_plan VARCHAR, term_days INTEGER, license_end_ms DOUBLE, overdue_pct INTEGER)");
  const app = await conn.createAppender("demo_people_stage");
  const optionalNumber = (v: number | undefined): void => (v === undefined ? app.appendNull() : app.appendDouble(v));
  for (const u of users) {
    app.appendVarchar(u.user_id);
    app.appendVarchar(u.email);
    app.appendVarchar(u.first_name);
    app.appendDouble(u.created_at);
    app.appendVarchar(u.timezone);
    app.appendVarchar(u.country);
    app.appendVarchar(u.company_size);
    optionalNumber(u.purchasedAt);
    if (u.paidPlan) app.appendVarchar(u.paidPlan);
    else app.appendNull();
    if (u.termDays) app.appendInteger(u.termDays);
    else app.appendNull();
    optionalNumber(u.licenseEndAt);
    app.appendInteger(u.overduePct);
    app.endRow();
  }
  app.closeSync();
  await conn.run(`INSERT INTO demo_people SELECT user_id, email, first_name, to_timestamp(created_ms / 1000), timezone,
    country, company_size, to_timestamp(purchased_ms / 1000), paid_plan, term_days, to_timestamp(license_end_ms / 1000), overdue_pct
    FROM demo_people_stage`);
  await conn.run("DROP TABLE demo_people_stage");
}

/** Appends events to `table` (created with the snapshot's event shape if missing). */
export async function appendEvents(conn: DuckDBConnection, table: string, events: Iterable<DemoEvent>): Promise<number> {
  await conn.run(`CREATE TABLE IF NOT EXISTS ${table} (user_id VARCHAR, event VARCHAR, ts TIMESTAMPTZ, properties JSON, event_id VARCHAR)`);
  await conn.run(STAGE_DDL);
  const app = await conn.createAppender("demo_event_stage");
  let n = 0;
  for (const e of events) {
    app.appendVarchar(e.user_id);
    app.appendVarchar(e.event);
    app.appendDouble(e.ts);
    if (e.properties) app.appendVarchar(JSON.stringify(e.properties));
    else app.appendNull();
    app.appendVarchar(e.event_id);
    app.endRow();
    n++;
  }
  app.closeSync();
  await conn.run(`INSERT INTO ${table} SELECT user_id, event, to_timestamp(ts_ms / 1000), properties::JSON, event_id FROM demo_event_stage`);
  await conn.run("DROP TABLE demo_event_stage");
  return n;
}

/**
 * The users table as it was at `at`: only people signed up by then, with plan, trial and
 * licence dates and overdue tasks as of that instant.
 */
export function usersAsOfSql(at: Date | number): string {
  const t = tsLiteral(at);
  const paying = `(purchased_at <= ${t} AND (license_end_at IS NULL OR license_end_at > ${t}))`;
  const inTrial = `(purchased_at IS NULL OR purchased_at > ${t}) AND created_at + INTERVAL 7 DAY > ${t}`;
  const day = `strftime(${t}, '%Y-%m-%d')`;
  return `SELECT user_id, email, first_name, created_at, timezone,
    CASE WHEN ${paying} THEN paid_plan WHEN ${inTrial} THEN 'trial' ELSE 'expired' END AS plan,
    created_at + INTERVAL 7 DAY AS trial_ends_at,
    CASE WHEN purchased_at <= ${t} THEN least(
      purchased_at + to_days((term_days * (floor(date_diff('second', purchased_at, ${t}) / (term_days * 86400)) + 1))::INTEGER),
      coalesce(license_end_at, 'infinity'::TIMESTAMPTZ)) END AS license_expires_at,
    CASE WHEN (${paying} OR (${inTrial})) AND hash(user_id, ${day}) % 100 < overdue_pct
      THEN (1 + hash(${day}, user_id) % 7)::INTEGER ELSE 0 END AS overdue_tasks,
    company_size, country
  FROM demo_people WHERE created_at <= ${t}`;
}

const EXT: Record<SnapshotFormat, string> = { parquet: "parquet", csv: "csv", ndjson: "ndjson" };
const COPY_OPTIONS: Record<SnapshotFormat, string> = {
  parquet: "FORMAT parquet, COMPRESSION zstd",
  csv: "FORMAT csv, HEADER true",
  ndjson: "FORMAT json",
};

/**
 * Writes `<data>/snapshots/users/users.<ext>` (as of `at`) and the events up to `at`,
 * one file per month, replacing whatever the two folders held before.
 */
export async function exportSnapshot(
  conn: DuckDBConnection,
  dataDir: string,
  options: { at: Date; format: SnapshotFormat; eventsTable: string },
): Promise<{ users: number; events: number; files: string[] }> {
  const root = path.join(dataDir, "snapshots");
  const usersDir = path.join(root, "users");
  const eventsDir = path.join(root, "events");
  for (const dir of [usersDir, eventsDir]) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
  }
  const ext = EXT[options.format];
  const copy = COPY_OPTIONS[options.format];
  // CSV has no nested types: properties travel as JSON text there.
  const props = options.format === "csv" ? "properties::VARCHAR AS properties" : "properties";
  const files: string[] = [];
  const usersFile = path.join(usersDir, `users.${ext}`);
  await conn.run(`COPY (${usersAsOfSql(options.at)} ORDER BY user_id) TO '${usersFile}' (${copy})`);
  files.push(usersFile);

  const until = tsLiteral(options.at);
  const months = await conn.runAndReadAll(`SELECT DISTINCT strftime(ts, '%Y-%m') AS m FROM ${options.eventsTable} WHERE ts <= ${until} ORDER BY m`);
  for (const { m } of months.getRowObjects()) {
    const file = path.join(eventsDir, `events-${String(m)}.${ext}`);
    await conn.run(`COPY (SELECT user_id, event, ts, ${props}, event_id FROM ${options.eventsTable}
      WHERE ts <= ${until} AND strftime(ts, '%Y-%m') = '${String(m)}' ORDER BY ts, event_id) TO '${file}' (${copy})`);
    files.push(file);
  }
  const count = async (sql: string): Promise<number> => Number((await conn.runAndReadAll(sql)).getRowObjects()[0]!.n);
  return {
    users: await count(`SELECT count(*) AS n FROM (${usersAsOfSql(options.at)})`),
    events: await count(`SELECT count(*) AS n FROM ${options.eventsTable} WHERE ts <= ${until}`),
    files,
  };
}
