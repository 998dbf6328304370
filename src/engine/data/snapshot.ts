/**
 * Loads an event snapshot into DuckDB: users, events and the send ledger, from Parquet,
 * CSV or NDJSON files chosen by extension (many files per table). Bad rows are never
 * dropped silently: each lands in `rejected_rows` with its reason and source file, and
 * `badRows()` counts them for every command that reads data.
 *
 * Tables after opening (session time zone UTC; insertion order not kept, so ORDER BY when it matters):
 *   users(user_id, email, first_name, created_at TIMESTAMPTZ, timezone, …attributes)
 *   events(user_id, event, ts TIMESTAMPTZ, properties JSON)   -- deduped by event_id; the id column itself only with keepEventIds;
 *                                                             a view over the files when they are all Parquet (see readInPlace), else a table
 *   rejected_rows(tbl, source, reason, row_json)   -- tbl 'users', 'events' or 'ledger' (a torn last line)
 *   ledger(kind, at TIMESTAMPTZ, key, user_id, campaign, step, variant, type, occurrence, reason, error)   -- data/ledger/ (ledger/table.ts)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { NurtureError } from "../errors.ts";
import type { BadRowCount } from "../evaluate/types.ts";
import { loadLedger } from "../ledger/table.ts";
import { CSV_REJECTS, FILE_COLUMN, fileLinesSql, LINE_COLUMN, NOT_BLANK, readerSources, unreadFiles, type ReaderSource } from "./_files.ts";
import { MISSING_FIELD, stopOnMissingColumns } from "./missing-columns.ts";
import { keepingDates } from "./parquet-dates.ts";
import { columnNames, columnTypes, ndjsonKeys } from "./_columns.ts";
import { instantSql } from "../sql/instants.ts";
import { sqlIdent, sqlJsonKey, sqlString } from "../sql/literals.ts";

export interface Snapshot {
  connection: DuckDBConnection;
  /** Rows set aside while loading, counted by table and reason. */
  badRows(): Promise<BadRowCount[]>;
  /** Every column of one user, timestamps as ISO strings; undefined for an unknown id. */
  userAttributes(userId: string): Promise<Record<string, unknown> | undefined>;
  close(): void;
}


/** How much memory the snapshot's database may hold before it spills to disk, and where. */
export interface SnapshotOptions {
  /** A DuckDB size such as "3GB" or "1500MB"; default NURTURE_MEMORY_LIMIT, else DEFAULT_MEMORY_LIMIT (2.25GB). */
  memoryLimit?: string;
  /**
   * The directory spilled data goes to, used by this database alone. Default: a directory
   * of its own under NURTURE_TEMP_DIR, else under the OS temp dir, since two DuckDB
   * databases spilling into one directory overwrite each other's files (duckdb#15173).
   */
  tempDirectory?: string;
  /**
   * Keep `event_id` in the events table. Off by default: nothing in a plan reads it once
   * duplicates are gone, and it is a third of the table's memory. A caller that writes the
   * events back out as a snapshot (the demo's replay) turns it on; `events` is then always
   * a table, even over Parquet.
   */
  keepEventIds?: boolean;
}

let databasesOpened = 0;

/**
 * The default memory cap. DuckDB's own default is 80% of the machine's memory, which a
 * shared runner cannot spare. Beyond the cap tables spill to the temporary directory: the
 * 1M-user benchmark then plans in about 3.1 GB, somewhat slower (README, Benchmarks). The
 * process needs more than the cap (Node, DuckDB's working memory outside its buffer pool,
 * such as Parquet read in place): at 3GB its peak went from 3.45 to 4.06 GB between runs,
 * and at 2.5GB, once events were read in place, from 2.90 to 3.77 GB, too close to the
 * 4 GB it must stay under.
 */
export const DEFAULT_MEMORY_LIMIT = "2.25GB";

/** An in-memory DuckDB database with the memory cap and spill directory of `options`. */
export async function createDatabase(options: SnapshotOptions = {}): Promise<DuckDBInstance> {
  const fromEnv = options.memoryLimit === undefined && process.env.NURTURE_MEMORY_LIMIT;
  const memoryLimit = options.memoryLimit ?? (process.env.NURTURE_MEMORY_LIMIT || DEFAULT_MEMORY_LIMIT);
  const tempDirectory = options.tempDirectory
    ?? path.join(process.env.NURTURE_TEMP_DIR || os.tmpdir(), `nurture-duckdb-${process.pid}-${++databasesOpened}`);
  try {
    return await DuckDBInstance.create(":memory:", { memory_limit: memoryLimit, temp_directory: tempDirectory });
  } catch (error) {
    const source = fromEnv ? "the environment variable NURTURE_MEMORY_LIMIT" : "the memory limit";
    throw new NurtureError("bad-memory-limit", `${source} "${memoryLimit}" is not a size DuckDB accepts`, {
      cause: error,
      problems: [{
        code: "bad-memory-limit",
        severity: "error",
        message: `${source} is "${memoryLimit}", which is not a number of bytes with a unit`,
        hint: `give a number with a unit, e.g. NURTURE_MEMORY_LIMIT=3GB or 1500MB, or unset it for the default (${DEFAULT_MEMORY_LIMIT})`,
      }],
    });
  }
}

/**
 * Opens the snapshot under `<dataDir>/snapshots/` (and the ledger under `<dataDir>/ledger/`).
 *
 * @example
 * const snap = await openSnapshot("data");
 * const rows = await snap.connection.runAndReadAll("SELECT count(*) FROM events");
 * snap.close();
 */
export async function openSnapshot(dataDir: string, options: SnapshotOptions = {}): Promise<Snapshot> {
  const root = path.join(dataDir, "snapshots");
  if (fs.existsSync(dataDir) && !fs.statSync(dataDir).isDirectory()) {
    throw new NurtureError("no-snapshot", `${dataDir} is a file, not a data directory`, {
      problems: [{
        code: "no-snapshot", severity: "error", file: dataDir,
        message: `${dataDir} is a file; the data directory holds snapshots/ (and ledger/)`,
        hint: "give --data the directory that holds snapshots/, e.g. --data data",
      }],
    });
  }
  if (!fs.existsSync(root)) {
    throw new NurtureError("no-snapshot", `no snapshot at ${root}`, {
      problems: [{
        code: "no-snapshot",
        severity: "error",
        message: `${root} does not exist`,
        file: root,
        hint: `export users and events under ${path.join(root, "users")}/ and ${path.join(root, "events")}/ (Parquet, CSV or NDJSON), or make demo data with \`nurture demo\``,
      }],
    });
  }
  for (const table of ["users", "events"]) {
    // A missing table would read as empty: every "did not do X" rule would then hold for everyone.
    if (!fs.existsSync(path.join(root, table))) {
      throw new NurtureError("no-snapshot", `the snapshot at ${root} has no ${table}`, {
        problems: [{
          code: "no-snapshot", severity: "error", file: path.join(root, table),
          message: `${path.join(root, table)} does not exist, so the snapshot holds no ${table} at all`,
          hint: `export the ${table} there (Parquet, CSV or NDJSON); if there truly are none yet, create the directory (with a .gitkeep for git)`,
        }],
      });
    }
  }
  const db = await createDatabase(options);
  const conn = await db.connect();
  await conn.run("SET TimeZone = 'UTC'");
  // Tables are built in parallel, in any order (2–3x faster to store): a query that needs
  // an order says so with ORDER BY; the few loads whose rowids must follow the files opt in.
  await conn.run("SET preserve_insertion_order = false");
  await conn.run("CREATE TABLE rejected_rows (tbl VARCHAR, source VARCHAR, reason VARCHAR, row_json VARCHAR)");
  await unreadable("users", path.join(root, "users"), () => loadUsers(conn, path.join(root, "users")));
  await stopOnMissingColumns(conn, "users");
  await unreadable("events", path.join(root, "events"), () => loadEvents(conn, path.join(root, "events"), options.keepEventIds ?? false));
  await stopOnMissingColumns(conn, "events");
  await loadLedger(conn, path.join(dataDir, "ledger"));

  return {
    connection: conn,
    badRows: async () => {
      const reader = await conn.runAndReadAll(
        "SELECT tbl, reason, count(*)::INTEGER AS n FROM rejected_rows GROUP BY ALL ORDER BY tbl, n DESC, reason",
      );
      return reader.getRowObjects().map((r) => ({ table: r.tbl as BadRowCount["table"], reason: String(r.reason), count: Number(r.n) }));
    },
    userAttributes: async (userId) => {
      const reader = await conn.runAndReadAll("SELECT * FROM users WHERE user_id = $1", [userId]);
      const row = reader.getRowObjects()[0];
      return row ? Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)])) : undefined;
    },
    close: () => {
      conn.closeSync();
      db.closeSync(); // removes the spill directory if DuckDB made it
    },
  };
}

/**
 * Runs a table's load, turning what DuckDB cannot read at all (a file cut short, not the
 * format its extension says, not UTF-8 text, files that disagree on a column's type, a
 * JSON object spread over several lines) into an error that names the table, the file
 * when DuckDB says which, and what to do; rows that can be read but are bad are set aside
 * by the load itself and never get here.
 */
async function unreadable(table: string, dir: string, load: () => Promise<void>): Promise<void> {
  try {
    await load();
  } catch (error) {
    if (error instanceof NurtureError) throw error;
    const said = String(error instanceof Error ? error.message : error).split("\n")[0]!.replace(/^[A-Za-z ]*Error: /, "");
    const file = /([^"'\s]+\.(?:parquet|csv|ndjson|jsonl))/.exec(said)?.[1];
    throw new NurtureError("unreadable-snapshot", `cannot read the ${table} files under ${dir}`, {
      cause: error,
      problems: [{
        code: "unreadable-snapshot", severity: "error", file: file ?? dir,
        message: `DuckDB could not read the ${table}${file ? "" : " files"}: ${said}`,
        hint: "check that each file is complete and in the format its extension says (Parquet; CSV; NDJSON: one JSON object per line, UTF-8), and that the files of one table give each column the same type; remove files that do not belong there",
      }],
    });
  }
}

/** Loads every user file into `users_raw`, then keeps the valid rows and rejects the rest. */
async function loadUsers(conn: DuckDBConnection, dir: string): Promise<void> {
  await settingAsideUnreadFiles(conn, "users", dir);
  const jsonColumns = await userJsonColumns(conn, readerSources(dir).find((s) => s.format === "ndjson"));
  const found = readerSources(dir, { jsonColumns });
  if (found.length === 0) {
    await conn.run("CREATE TABLE users (user_id VARCHAR, email VARCHAR, first_name VARCHAR, created_at TIMESTAMPTZ, timezone VARCHAR)");
    return;
  }
  const parquet = found.find((s) => s.format === "parquet");
  const dated = parquet && await keepingDates(conn, parquet);
  const keptDates = (list: ReaderSource[]): ReaderSource[] => list.map((s) => (s.format === "parquet" ? dated! : s));
  const sources = keptDates(found);
  await settingAsideBadJson(conn, "users", sources, () => keptDates(readerSources(dir, { jsonColumns, skipBadJson: true })), (read) => withInsertionOrder(conn, () =>
    conn.run(`CREATE TEMP TABLE users_raw AS SELECT * FROM (${read.map((s) => s.sql).join(" UNION ALL BY NAME ")})`)));
  await settingAsideCsvRejects(conn, "users", sources);
  const columns = await columnNames(conn, "users_raw");
  for (const needed of ["email", "first_name", "timezone", "created_at", "user_id"]) {
    // SQL names ignore case: an export's `Email` is the email column, under its own name.
    const spelt = columns.find((c) => c.toLowerCase() === needed);
    if (spelt === undefined) await conn.run(`ALTER TABLE users_raw ADD COLUMN ${needed} VARCHAR`);
    else if (spelt !== needed) await renameColumn(conn, "users_raw", spelt, needed);
  }
  if (!columns.includes(LINE_COLUMN)) await conn.run(`ALTER TABLE users_raw ADD COLUMN ${LINE_COLUMN} BIGINT`);
  // A bad row never hides a good one of the same id: rows are ranked among the good ones.
  // The reason names the file of the row kept: files are read in name order, so a stray
  // file sorting before the export would otherwise replace its users without a word.
  const created = instantSql("created_at");
  const dataDir = path.dirname(path.dirname(dir)) + path.sep;
  const kept = `CASE WHEN starts_with(__nurture_kept, ${sqlString(dataDir)}) THEN substr(__nurture_kept, ${dataDir.length + 1}) ELSE __nurture_kept END`;
  await conn.run(`CREATE TEMP TABLE users_checked AS
    SELECT * EXCLUDE (${REASON}, __nurture_row, __nurture_rank, __nurture_kept), coalesce(${REASON}, CASE
        WHEN __nurture_rank > 1 THEN 'duplicate user_id (the first row, in ' || ${kept} || ', is kept)'
      END) AS ${REASON}
    FROM (SELECT *, row_number() OVER first AS __nurture_rank, first_value(${FILE_COLUMN}) OVER first AS __nurture_kept
      FROM (SELECT *, rowid AS __nurture_row, CASE
          WHEN user_id IS NULL OR trim(user_id::VARCHAR) = '' THEN ${sqlString(MISSING_FIELD.users.user_id)}
          WHEN ${created} IS NULL OR NOT isfinite(${created}) THEN ${sqlString(MISSING_FIELD.users.created_at)}
        END AS ${REASON} FROM users_raw)
      WINDOW first AS (PARTITION BY user_id::VARCHAR, ${REASON} IS NULL ORDER BY ${FILE_COLUMN}, ${LINE_COLUMN}, __nurture_row))`);
  await reject(conn, "users", "users_checked");
  await conn.run(`CREATE TABLE users AS
    SELECT * EXCLUDE (${REASON}, ${FILE_COLUMN}, ${LINE_COLUMN}) REPLACE (user_id::VARCHAR AS user_id, ${created} AS created_at,
      email::VARCHAR AS email, first_name::VARCHAR AS first_name, timezone::VARCHAR AS timezone)
    FROM users_checked WHERE ${REASON} IS NULL`);
  await conn.run("DROP TABLE users_raw; DROP TABLE users_checked");
}

/**
 * Every field of the users' NDJSON files, each read as text, as CSV columns are: DuckDB
 * types JSON fields from a sample of the lines, so a line past the sample whose field does
 * not fit the guessed type failed the whole read, and a string it took for a time could
 * become another time ("infinity" read as 1900-01-01). Undefined when there is no NDJSON.
 */
async function userJsonColumns(conn: DuckDBConnection, json: ReaderSource | undefined): Promise<string | undefined> {
  if (!json) return undefined;
  const names = await ndjsonKeys(conn, json.files, { everyLine: true });
  return names.length ? `{${names.map((n) => `${sqlString(n)}: 'VARCHAR'`).join(", ")}}` : undefined;
}

/** Counts each file under `dir` that no reader reads (`unreadFiles`) as set aside, so it is reported, not skipped in silence. */
async function settingAsideUnreadFiles(conn: DuckDBConnection, table: string, dir: string): Promise<void> {
  for (const file of unreadFiles(dir)) {
    await conn.run("INSERT INTO rejected_rows VALUES ($1, $2, $3, json_object('bytes', $4::BIGINT)::VARCHAR)", [table, file, UNREAD_FILE, fs.statSync(file).size]);
  }
}

/** Why a whole file is set aside: its extension names no format the loader reads. */
const UNREAD_FILE = "a whole file not read: only .parquet, .csv, .ndjson and .jsonl are (counted once per file)";

/** The column a loader adds for the reason a row is set aside: no export's own. */
const REASON = "__nurture_reason";

/** Renames a column to another spelling of the same name (SQL names ignore case, so through a temporary name). */
async function renameColumn(conn: DuckDBConnection, table: string, from: string, to: string): Promise<void> {
  await conn.run(`ALTER TABLE ${table} RENAME COLUMN ${sqlIdent(from)} TO __nurture_renaming`);
  await conn.run(`ALTER TABLE ${table} RENAME COLUMN __nurture_renaming TO ${sqlIdent(to)}`);
}

const EVENT_FIELDS = ["user_id", "event", "ts", "properties", "event_id"] as const;

/**
 * The `columns` an events NDJSON read pins, each as text, in the export's own spelling:
 * DuckDB matches a pinned name to a JSON key by its exact case, so `"User_ID"` lines read
 * as no user at all under `user_id`. The spelling is taken from DuckDB's sample of the
 * files (cheap: a full pass over the keys would cost more than the read); a name spelt
 * two ways among the files keeps the usual spelling, and the lines with the other are set
 * aside as missing that field.
 */
async function eventJsonColumns(conn: DuckDBConnection, json: ReaderSource | undefined): Promise<string> {
  const sampled = json ? await ndjsonKeys(conn, json.files, { everyLine: false }).catch(() => []) : [];
  // DuckDB names a second spelling of a key `<first>_1`.
  const spelling = (field: string): string => {
    const found = sampled.filter((name) => name.toLowerCase() === field);
    const twice = sampled.some((name) => new RegExp(`^${field}_\\d+$`, "i").test(name));
    return found.length === 1 && !twice ? found[0]! : field;
  };
  return `{${EVENT_FIELDS.map((f) => `${sqlString(spelling(f))}: 'VARCHAR'`).join(", ")}}`;
}

/**
 * Loads events, rejects bad ones, and keeps the first row of each `event_id`.
 *
 * Every source is brought to one staging shape (typed `ts`, `properties` as text, the
 * file and the row's place in it), and one statement then types, checks and stores every
 * row, with the reason a bad one must be set aside. Typed Parquet keeps its types (no text
 * round trip); CSV and NDJSON go through text first, in file order. Duplicates are looked
 * for among hashes (fixed-size keys) before the rows are stored; only rows whose hash
 * repeats, or that are set aside, keep their id, file and place, and only the former are
 * ranked by id. Once duplicates are gone nothing reads `event_id`, so the table does not
 * keep it: at 27 characters on average in the benchmark it was about a third of the
 * table's memory, which under the memory cap is what spills. When every file is Parquet
 * (and the ids need not be kept), only those traced rows are stored and `events` becomes
 * a view over the files without the rows set aside (`readInPlace`).
 */
async function loadEvents(conn: DuckDBConnection, dir: string, keepEventIds: boolean): Promise<void> {
  await settingAsideUnreadFiles(conn, "events", dir);
  const jsonColumns = await eventJsonColumns(conn, readerSources(dir).find((s) => s.format === "ndjson"));
  const sources = readerSources(dir, { jsonColumns });
  if (sources.length === 0) {
    await conn.run(`CREATE TABLE events (user_id VARCHAR, event VARCHAR, ts TIMESTAMPTZ, properties JSON${keepEventIds ? ", event_id VARCHAR" : ""})`);
    return;
  }
  const staged: string[] = [];
  const ids: string[] = [];
  for (const source of sources) {
    if (source.format === "ndjson") {
      const skipping = (): ReaderSource[] => readerSources(dir, { jsonColumns, skipBadJson: true }).filter((s) => s.format === "ndjson");
      await settingAsideBadJson(conn, "events", [source], skipping, ([read]) => stageText(conn, read!.sql));
    } else if (source.format !== "parquet") await stageText(conn, source.sql);
    else {
      const stage = await parquetStage(conn, source.sql);
      staged.push(stage.rows);
      ids.push(stage.ids);
    }
  }
  await settingAsideCsvRejects(conn, "events", sources);
  if (sources.some((s) => s.format !== "parquet")) {
    staged.push(`SELECT user_id, event, ${instantSql("ts")} AS ts, ts AS ts_text, properties AS properties_text, event_id, source,
      rowid AS _line FROM events_text`);
    ids.push("SELECT event_id FROM events_text");
  }
  const rows = `(${staged.join(" UNION ALL BY NAME ")})`;
  // Candidate duplicates first: the hashes of event_id seen more than once (a superset of
  // the real duplicates, told apart below by the ids themselves). Only the rows that are
  // set aside or may be duplicates keep their file and place, which the ranking needs.
  await conn.run(`CREATE TEMP TABLE event_id_repeats AS
    SELECT hash(event_id) AS h FROM (${ids.join(" UNION ALL ")}) WHERE event_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1`);
  // Parquet alone is read where it lies (see `readInPlace`): only the rows that may need
  // setting aside are stored, to be checked and ranked; the others are not copied at all.
  const inPlace = !keepEventIds && sources.every((s) => s.format === "parquet");
  const table = inPlace ? "events_traced" : "events";
  await conn.run(`CREATE ${inPlace ? "TEMP " : ""}TABLE ${table} AS
    SELECT user_id, event, ts, properties, ${keepEventIds ? "event_id" : "CASE WHEN _traced THEN event_id END AS event_id"},
      CASE WHEN _traced THEN source END AS source, CASE WHEN _traced THEN _line END AS _line,
      _bad_ts, _bad_properties, _reason
    FROM (
      SELECT r.user_id, r.event, r.ts, r.properties, r.event_id, r.source, r._line,
        CASE WHEN r.ts IS NULL THEN r.ts_text END AS _bad_ts,
        CASE WHEN r.properties IS NULL THEN r.properties_text END AS _bad_properties,
        CASE
          WHEN r.user_id IS NULL OR trim(r.user_id) = '' THEN ${sqlString(MISSING_FIELD.events.user_id)}
          WHEN r.event IS NULL OR trim(r.event) = '' THEN ${sqlString(MISSING_FIELD.events.event)}
          WHEN r.ts IS NULL OR NOT isfinite(r.ts) THEN ${sqlString(MISSING_FIELD.events.ts)}
          WHEN r.properties IS NULL AND r.properties_text IS NOT NULL THEN 'properties is not valid JSON'
          WHEN ${NOT_AN_OBJECT} THEN 'properties is not a JSON object'
          WHEN u.user_id IS NULL THEN 'unknown user'
        END AS _reason,
        _reason IS NOT NULL OR hash(r.event_id) IN (SELECT h FROM event_id_repeats) AS _traced
      FROM (SELECT *, TRY_CAST(properties_text AS JSON) AS properties FROM ${rows}) r
      LEFT JOIN users u ON u.user_id = r.user_id)${inPlace ? " WHERE _traced" : ""}`);
  // Among good rows, the first of each event_id (by file, then place in the file) is kept.
  // A blank id is no id: looked for here, among the few rows traced, not in every row read.
  await conn.run(`UPDATE ${table} SET _reason = 'duplicate event_id (counted once)' WHERE rowid IN (
    SELECT rid FROM (
      SELECT rowid AS rid, row_number() OVER (PARTITION BY event_id ORDER BY source, _line) AS rn
      FROM ${table} WHERE _reason IS NULL AND source IS NOT NULL AND trim(event_id) <> '')
    WHERE rn > 1)`);
  await conn.run(`INSERT INTO rejected_rows
    SELECT 'events', source, _reason, to_json({user_id: user_id, event: event, ts: coalesce(ts::VARCHAR, _bad_ts),
      properties: coalesce(properties::VARCHAR, _bad_properties), event_id: event_id})::VARCHAR
    FROM ${table} WHERE _reason IS NOT NULL`);
  if (inPlace) {
    await readInPlace(conn, rows);
  } else {
    await conn.run("DELETE FROM events WHERE _reason IS NOT NULL");
    const dropped = [...(keepEventIds ? [] : ["event_id"]), "source", "_line", "_bad_ts", "_bad_properties", "_reason"];
    for (const column of dropped) await conn.run(`ALTER TABLE events DROP COLUMN ${column}`);
  }
  await conn.run("DROP TABLE IF EXISTS events_text; DROP TABLE IF EXISTS events_traced; DROP TABLE event_id_repeats");
}

/**
 * SQL: row `r`'s `properties` is valid JSON but neither an object nor `null` (an array, a
 * number, a string): conditions read properties by name, so such a row's would be lost in
 * silence. (Asking the JSON its type cost 1 s over the benchmark's 52.5M events; testing
 * the text's first character with DuckDB's string functions cost 8 s.)
 */
const NOT_AN_OBJECT = "r.properties IS NOT NULL AND json_type(r.properties) NOT IN ('OBJECT', 'NULL')";

/**
 * Makes `events` a view over the Parquet files (`rows`, in the staging shape) that leaves
 * out the rows set aside, by file and place, once `events_traced` has been checked.
 *
 * Copying tens of millions of events into DuckDB's memory cost more than reading them
 * again: under the memory cap a copy of the 1M-user benchmark's 52.5M events did not fit
 * and every query read it back from the spill directory, uncompressed, while Parquet is
 * compressed and read column by column (README, Benchmarks). The files must therefore stay
 * as they are while a command runs, as they do in a checkout; the loader has already read
 * every row once, so a row that cannot be read fails the load, not a later query.
 */
async function readInPlace(conn: DuckDBConnection, rows: string): Promise<void> {
  await conn.run("CREATE TABLE events_set_aside AS SELECT source, _line FROM events_traced WHERE _reason IS NOT NULL");
  const setAside = Number((await conn.runAndReadAll("SELECT count(*) AS n FROM events_set_aside")).getRowObjects()[0]!.n);
  const kept = setAside === 0 ? ""
    : "WHERE NOT EXISTS (SELECT 1 FROM events_set_aside x WHERE x.source = r.source AND x._line = r._line)";
  await conn.run(`CREATE VIEW events AS
    SELECT r.user_id, r.event, r.ts, TRY_CAST(r.properties_text AS JSON) AS properties FROM ${rows} r ${kept}`);
}

/**
 * Parquet in the staging shape, keeping typed columns as they are (`rows`), and its
 * `event_id`s alone (`ids`), which the duplicate search reads without the other columns.
 */
async function parquetStage(conn: DuckDBConnection, sql: string): Promise<{ rows: string; ids: string }> {
  // SQL names ignore case: an export's `User_ID` is read as user_id.
  const types = new Map([...(await columnTypes(conn, sql))].map(([name, type]) => [name.toLowerCase(), type]));
  const text = (name: string): string => (types.has(name) ? `${name}::VARCHAR` : "NULL::VARCHAR");
  const tsType = types.get("ts") ?? "";
  const typedTs = /^(TIMESTAMP|DATE)/.test(tsType);
  const ts = !types.has("ts") ? "NULL::TIMESTAMPTZ" : typedTs ? "ts::TIMESTAMPTZ" : instantSql("ts::VARCHAR");
  const propertiesType = types.get("properties") ?? "";
  const properties = !types.has("properties") ? "NULL::VARCHAR"
    : propertiesType === "JSON" || propertiesType === "VARCHAR" ? "properties::VARCHAR"
    : "to_json(properties)::VARCHAR";
  return {
    rows: `SELECT ${text("user_id")} AS user_id, ${text("event")} AS event, ${ts} AS ts, ${typedTs ? "NULL::VARCHAR" : text("ts")} AS ts_text,
      ${properties} AS properties_text, ${text("event_id")} AS event_id, ${FILE_COLUMN} AS source, ${LINE_COLUMN} AS _line
    FROM (${sql})`,
    ids: `SELECT ${text("event_id")} AS event_id FROM (${sql})`,
  };
}

/**
 * Appends CSV or NDJSON rows to `events_text`, as text and in file order (a row's place is
 * its rowid there), since formats disagree on types (a CSV string, an NDJSON object).
 */
async function stageText(conn: DuckDBConnection, sql: string): Promise<void> {
  await conn.run("CREATE TEMP TABLE IF NOT EXISTS events_text (user_id VARCHAR, event VARCHAR, ts VARCHAR, properties VARCHAR, event_id VARCHAR, source VARCHAR)");
  const columns = (await columnNames(conn, sql)).map((c) => c.toLowerCase());
  const col = (name: string): string => (columns.includes(name) ? `${name}::VARCHAR` : "NULL");
  const properties = columns.includes("properties")
    ? "CASE WHEN json_type(to_json(properties)) = 'VARCHAR' THEN to_json(properties)->>'$' ELSE to_json(properties)::VARCHAR END"
    : "NULL";
  await withInsertionOrder(conn, () => conn.run(`INSERT INTO events_text
    SELECT ${col("user_id")}, ${col("event")}, ${col("ts")}, ${properties}, ${col("event_id")}, ${FILE_COLUMN} FROM (${sql})`));
}

/**
 * Runs `load` over `sources`. DuckDB stops a whole NDJSON read at the first line that is
 * not JSON; then every such line, and every empty object, is set aside (`not a JSON
 * object`, with its line number and text), and so is every object with none of the fields
 * read (`missing user_id`), and `load` runs again over `skipping()`, the same readers built
 * to skip them. Should that read still lose a line that was JSON, it stops with the files'
 * names rather than lose it.
 */
async function settingAsideBadJson(
  conn: DuckDBConnection, table: keyof typeof MISSING_FIELD, sources: ReaderSource[], skipping: () => ReaderSource[],
  load: (sources: ReaderSource[]) => Promise<unknown>,
): Promise<void> {
  try {
    await load(sources);
    return;
  } catch (error) {
    const json = sources.find((s) => s.format === "ndjson");
    if (!json || !/JSON/.test(String(error))) throw error;
    const lines = `SELECT filename AS source, n, line FROM (${fileLinesSql(json.files)}) WHERE ${NOT_BLANK}`;
    const bad = "NOT CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' AND json_keys(line) <> [] ELSE false END";
    // A skipped line still comes back as a row of NULLs, and is left out below; so is an
    // object with none of the fields the reader reads (`{"foo": 1}`), which is set aside
    // here, by its line, as the row without a user it is.
    const lenient = skipping();
    const skipped = lenient.find((s) => s.format === "ndjson")!;
    const names = (await columnNames(conn, skipped.sql)).filter((c) => c !== FILE_COLUMN);
    const fields = names.map((c) => `${sqlIdent(c)}::VARCHAR`);
    const fieldless = `CASE WHEN ${bad} THEN false ELSE coalesce(${names.map((c) => `json_extract_string(line, ${sqlJsonKey(c)})`).join(", ")}) IS NULL END`;
    const counts = (await conn.runAndReadAll(`SELECT count(*) FILTER (WHERE ${bad}) AS bad, count(*) FILTER (WHERE ${fieldless}) AS fieldless,
      count(*) FILTER (WHERE NOT (${bad}) AND NOT ${fieldless}) AS good FROM (${lines})`)).getRowObjects()[0]!;
    if (Number(counts.bad) === 0) throw error;
    await conn.run(`INSERT INTO rejected_rows SELECT ${sqlString(table)}, source, 'not a JSON object', json_object('line', n, 'text', line)::VARCHAR
      FROM (${lines}) WHERE ${bad}`);
    await conn.run(`INSERT INTO rejected_rows SELECT ${sqlString(table)}, source, ${sqlString(MISSING_FIELD[table].user_id)}, json_object('line', n, 'text', line)::VARCHAR
      FROM (${lines}) WHERE ${fieldless}`);
    skipped.sql = `SELECT * FROM (${skipped.sql}) WHERE coalesce(${fields.join(", ")}) IS NOT NULL`;
    const read = Number((await conn.runAndReadAll(`SELECT count(*) AS n FROM (${skipped.sql})`)).getRowObjects()[0]!.n);
    if (read !== Number(counts.good)) {
      throw new NurtureError("bad-ndjson", `${json.files.join(", ")}: ${Number(counts.good) - read} JSON lines could not be read`, {
        problems: [{
          code: "bad-ndjson", severity: "error", file: json.files[0],
          message: `DuckDB read ${read} of the ${Number(counts.good)} JSON lines of these files (${Number(counts.bad)} lines that are not JSON were set aside)`,
          hint: "check that each line is one JSON object whose fields have the same type in every line, or export the table as CSV or Parquet",
        }],
      });
    }
    await load(lenient);
  }
}

/**
 * Sets aside the CSV rows DuckDB could not parse while `sources` were read (`CSV_REJECTS`):
 * one row per line, `malformed CSV row`, with the line number DuckDB gives, the line's text
 * and the first error on it. A line counted twice (a read that was run again) is set aside
 * once.
 */
async function settingAsideCsvRejects(conn: DuckDBConnection, table: string, sources: ReaderSource[]): Promise<void> {
  if (!sources.some((s) => s.format === "csv")) return;
  const stored = await conn.runAndReadAll(`SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = '${CSV_REJECTS.table}'`);
  if (Number(stored.getRowObjects()[0]!.n) === 0) return;
  await conn.run(`INSERT INTO rejected_rows
    SELECT ${sqlString(table)}, s.file_path, 'malformed CSV row',
      json_object('line', r.line, 'text', trim(arg_min(r.csv_line, r.byte_position), chr(10) || chr(13)), 'error', arg_min(r.error_message, r.byte_position))::VARCHAR
    FROM ${CSV_REJECTS.table} r JOIN ${CSV_REJECTS.scan} s ON s.scan_id = r.scan_id AND s.file_id = r.file_id
    GROUP BY s.file_path, r.line ORDER BY s.file_path, r.line`);
  await conn.run(`DROP TABLE ${CSV_REJECTS.table}; DROP TABLE ${CSV_REJECTS.scan}`);
}

async function reject(conn: DuckDBConnection, table: string, checked: string): Promise<void> {
  await conn.run(`INSERT INTO rejected_rows
    SELECT '${table}', c.${FILE_COLUMN}, c.${REASON}, to_json(c)::VARCHAR FROM ${checked} c WHERE c.${REASON} IS NOT NULL`);
}

/** Runs `work` with insertion order kept, for a statement whose rowids must follow file order. */
async function withInsertionOrder<T>(conn: DuckDBConnection, work: () => Promise<T>): Promise<T> {
  await conn.run("SET preserve_insertion_order = true");
  try {
    return await work();
  } finally {
    await conn.run("SET preserve_insertion_order = false");
  }
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
