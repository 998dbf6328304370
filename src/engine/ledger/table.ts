/**
 * The `ledger` table of a snapshot's database: what a plan, an explanation and the site
 * read of the send ledger, loaded from the run files (`<ledger>/*.ndjson`) and from the
 * archives that compacted past months of them (`archive.ts`).
 *
 *   ledger(kind, at TIMESTAMPTZ, key, user_id, campaign, step, variant, type, occurrence, reason, error)
 */
import fs from "node:fs";
import path from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { NOT_BLANK } from "../data/_files.ts";
import { NurtureError } from "../errors.ts";
import { sqlList, sqlString } from "../sql/literals.ts";
import { archivedRunFiles, listArchives } from "./archive.ts";
import type { LedgerRecord } from "./types.ts";

/**
 * The ledger columns a plan, an explanation or the site reads. The others (run, template,
 * due, batch, provider_id, transport, retryable) serve only sending and its replay, which
 * read the files themselves; leaving them unparsed and unstored makes a long ledger load
 * faster and smaller.
 */
export const LEDGER_TABLE_COLUMNS = ["kind", "at", "key", "user_id", "campaign", "step", "variant", "type", "occurrence", "reason", "error"] as const;

/** Every column read as text (`at` is cast once read). */
const LEDGER_COLUMNS = `{${LEDGER_TABLE_COLUMNS.map((c) => `"${c}": 'VARCHAR'`).join(", ")}}`;

const EMPTY_LEDGER = `CREATE TABLE ledger (${LEDGER_TABLE_COLUMNS.map((c) => `"${c}" ${c === "at" ? "TIMESTAMPTZ" : "VARCHAR"}`).join(", ")})`;

/** Why a torn last line is set aside (the reason `badRows()` counts it under). */
const TORN_LEDGER_LINE = "torn last line (its run stopped while writing it)";

/**
 * The kinds a run writes (types.ts), each with the fields besides `kind` and `at` that a
 * plan or an explanation reads of it. Only those are required, so a record a run wrote is
 * never refused for a field nothing here reads.
 */
const REQUIRED_FIELDS: { readonly [K in LedgerRecord["kind"]]: readonly ("key" | "user_id")[] } = {
  intent: ["key", "user_id"],
  batch: [],
  sent: ["key"],
  failed: ["key"],
  skipped: ["key", "user_id"],
  entered: ["user_id"],
  suppressed: ["user_id"],
};

const KINDS = Object.keys(REQUIRED_FIELDS) as LedgerRecord["kind"][];

/**
 * SQL: what is wrong with a ledger row, or NULL when a run could have written it. Reads
 * the row's `kind`, `at`, `key` and `user_id` as text and `parsed_at` (`at` cast, NULL
 * when it is not a time); `shownAt` is how the message shows `at`. The same judgement
 * serves the load (whether anything is wrong) and `firstDamage` (which line, and what).
 */
function rowProblem(shownAt: string): string {
  const missing = (["key", "user_id"] as const).map((field) => {
    const needing = KINDS.filter((kind) => REQUIRED_FIELDS[kind].includes(field));
    return `WHEN kind IN (${needing.map(sqlString).join(", ")}) AND "${field}" IS NULL THEN 'is a \`' || kind || '\` record without \`${field}\`'`;
  });
  return `CASE
    WHEN kind IS NULL THEN 'is a record without \`kind\`'
    WHEN kind NOT IN (${KINDS.map(sqlString).join(", ")}) THEN 'has an unknown kind ' || to_json(kind) || ${sqlString(` (runs write ${KINDS.join(", ")})`)}
    WHEN "at" IS NULL THEN 'is a \`' || kind || '\` record without \`at\`'
    WHEN NOT coalesce(isfinite(parsed_at), false) THEN 'is a \`' || kind || '\` record whose \`at\` is not a time (' || ${shownAt} || ')'
    ${missing.join("\n    ")}
  END`;
}

/** Starts the error a load raises at a row `rowProblem` refuses; the file's path follows. */
export const DAMAGED_ROW = "nurture: a ledger record no run wrote, in ";

/**
 * Appends ledger NDJSON files to the `ledger` table (its columns above). Used when a
 * snapshot opens and by a replay that writes a run's file and reads it straight back.
 *
 * A run killed in the middle of a write (or whose write failed) can leave its file's last
 * line torn: no newline after it, and not JSON. That line was never a record (the run that wrote it had not
 * finished its batch, and the next run replays the batch), so it is set aside in
 * `rejected_rows` as the sender's own reader ignores it. Any other line a run cannot have
 * written (not JSON, not an object, a kind no run writes, an `at` that is not a time, a
 * record without a field the engine reads) means the file was edited, which is an error
 * naming the file, the line and what is wrong with it.
 */
export async function appendLedgerFiles(conn: DuckDBConnection, files: readonly string[]): Promise<void> {
  const whole: string[] = [];
  for (const file of files) {
    const torn = tornTail(file);
    if (torn === undefined) whole.push(file);
    else await appendTornLedgerFile(conn, file, torn);
  }
  if (whole.length === 0) return;
  await withLedgerErrors(() => conn.run(insertLedgerRows(
    `read_json(${sqlList(whole)}, format = 'newline_delimited', columns = ${LEDGER_COLUMNS}, filename = true)`)));
}

/**
 * Appends to `ledger` the rows of `source`, which has the ledger's columns as text and
 * `filename`. Each row is judged as it is read, in the same pass (the table keeps neither
 * the file nor `at` as written, and a second read of 16M lines would double the load):
 * the first one `rowProblem` refuses stops the insert with `DAMAGED_ROW` and its file,
 * and `withLedgerErrors` finds the line.
 */
const insertLedgerRows = (source: string): string => `INSERT INTO ledger BY NAME
  SELECT ${LEDGER_TABLE_COLUMNS.filter((c) => c !== "at").map((c) => `"${c}"`).join(", ")}, ${checkedAtSql()} AS "at"
  FROM (SELECT *, TRY_CAST("at" AS TIMESTAMPTZ) AS parsed_at FROM ${source})`;

/**
 * SQL: a ledger row's `at` as an instant, or an error naming its file when a run cannot
 * have written the row (see `rowProblem`), for `withLedgerErrors` to report with its line.
 * Reads the row's columns as text, `parsed_at` (`at` cast) and `filename`.
 */
export const checkedAtSql = (): string =>
  `CASE WHEN ${rowProblem(`to_json("at")`)} IS NULL THEN parsed_at ELSE error(${sqlString(DAMAGED_ROW)} || filename) END`;

/**
 * The file's text up to its torn last line and that line, or undefined when the file
 * ends with a newline or a whole JSON value (a hand-written file may lack the newline).
 * Only the last byte is read unless it is not a newline.
 */
export function tornTail(file: string): { complete: string; tail: string } | undefined {
  const fd = fs.openSync(file, "r");
  try {
    const size = fs.fstatSync(fd).size;
    const last = Buffer.alloc(1);
    if (size === 0 || (fs.readSync(fd, last, 0, 1, size - 1) === 1 && last[0] === 0x0a)) return undefined;
  } finally {
    fs.closeSync(fd);
  }
  const text = fs.readFileSync(file, "utf8");
  const cut = text.lastIndexOf("\n") + 1;
  const tail = text.slice(cut);
  try {
    JSON.parse(tail);
    return undefined;
  } catch {
    return { complete: text.slice(0, cut), tail };
  }
}

export const LEDGER_STRUCT = sqlString(JSON.stringify(Object.fromEntries(LEDGER_TABLE_COLUMNS.map((c) => [c, "VARCHAR"]))));

/** Appends a file's complete lines (parsed in DuckDB from the text) and sets its torn last line aside. */
async function appendTornLedgerFile(conn: DuckDBConnection, file: string, torn: { complete: string; tail: string }): Promise<void> {
  if (torn.complete.trim() !== "") {
    const lines = `(SELECT ${sqlString(file)} AS filename, unnest(json_transform(line, ${LEDGER_STRUCT}))
      FROM unnest(string_split($1, chr(10))) AS t(line) WHERE ${NOT_BLANK})`;
    await withLedgerErrors(() => conn.run(insertLedgerRows(lines), [torn.complete]), file);
  }
  await conn.run("INSERT INTO rejected_rows VALUES ('ledger', $1, $2, $3)", [file, TORN_LEDGER_LINE, torn.tail]);
}

/**
 * The first line of the ledger file `file` (short of a torn last line) that a run cannot
 * have written, and what is wrong with it; undefined when none is found or the file
 * cannot be read. Only called once a load has failed, so reading the file again here
 * costs nothing a good load pays; its lines are judged by DuckDB, as the load judged them.
 */
async function firstDamage(file: string): Promise<{ line: number; what: string } | undefined> {
  let text: string;
  try {
    text = tornTail(file)?.complete ?? fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  try {
    // CASE evaluates a branch only for the rows that reach it, so no JSON function meets a line that is not JSON.
    const reader = await conn.runAndReadAll(`
      WITH lines AS (
        SELECT n, line FROM unnest(string_split($1, chr(10))) WITH ORDINALITY AS t(line, n) WHERE ${NOT_BLANK}
      ), shaped AS (
        SELECT n, line, CASE WHEN NOT json_valid(line) THEN 'is not a JSON record' WHEN json_type(line) <> 'OBJECT' THEN 'is not a JSON object' END AS shape
        FROM lines
      ), records AS (
        SELECT n, shape, CASE WHEN shape IS NULL THEN json_transform(line, ${LEDGER_STRUCT}) END AS r,
          CASE WHEN shape IS NULL THEN (line -> 'at')::VARCHAR END AS at_json
        FROM shaped
      ), fields AS (
        SELECT n, shape, at_json, r.kind AS kind, r."at" AS "at", r."key" AS "key", r.user_id AS user_id, TRY_CAST(r."at" AS TIMESTAMPTZ) AS parsed_at
        FROM records
      )
      SELECT n, coalesce(shape, ${rowProblem("at_json")}) AS what FROM fields
      WHERE what IS NOT NULL ORDER BY n LIMIT 1`, [text]);
    const row = reader.getRowObjects()[0];
    return row ? { line: Number(row.n), what: String(row.what) } : undefined;
  } catch {
    return undefined;
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** The file a failed ledger read names as damaged, or undefined when the failure is not about a damaged line. */
function damagedFile(message: string, file: string | undefined): string | undefined {
  const refused = message.indexOf(DAMAGED_ROW);
  if (refused >= 0) return message.slice(refused + DAMAGED_ROW.length).split("\n")[0];
  const named = /(?:Malformed JSON|JSON transform error) in file "(.+?)"/.exec(message)?.[1];
  if (named !== undefined) return named;
  // json_transform over text (a torn file's lines) does not know the file.
  return /Malformed JSON|JSON transform error/.test(message) ? file ?? "a ledger file" : undefined;
}

/**
 * Runs a ledger read, turning DuckDB's "Malformed JSON", a JSON line that is not an object
 * and a row the load refuses (`insertLedgerRows`) into an error that names the file, the
 * line and what is wrong with it (found here, since DuckDB's own line count is not the
 * file's, and the load only knows that a row is wrong).
 */
export async function withLedgerErrors<T>(read: () => Promise<T>, file?: string): Promise<T> {
  try {
    return await read();
  } catch (error) {
    const where = damagedFile(String(error instanceof Error ? error.message : error), file);
    if (where === undefined) throw error;
    const found = await firstDamage(where);
    const problem = {
      code: "damaged-ledger",
      severity: "error" as const,
      message: `${found ? `line ${found.line} ${found.what}` : "a line is not a record a run wrote"}; ledger files are only ever appended to, so the file was changed after it was written`,
      file: where,
      ...(found ? { line: found.line } : {}),
      hint: "restore the file from git (git log -p -- <file> shows what changed), or, if the line was added by hand, remove it; never edit the lines a run wrote",
    };
    throw new NurtureError("damaged-ledger", `the ledger file ${where} is damaged`, { cause: error, problems: [problem] });
  }
}

/**
 * Creates the `ledger` table and loads the ledger under `dir` into it: every archive, then
 * the run files no archive holds (a compaction stopped before removing the files it had
 * archived leaves both, and each record must be read once).
 */
export async function loadLedger(conn: DuckDBConnection, dir: string): Promise<void> {
  await conn.run(EMPTY_LEDGER);
  if (!fs.existsSync(dir)) return;
  const archives = listArchives(dir);
  const archived = await archivedRunFiles(conn, archives);
  if (archives.length > 0) {
    await conn.run(`INSERT INTO ledger BY NAME SELECT ${LEDGER_TABLE_COLUMNS.map((c) => `"${c}"`).join(", ")}
      FROM read_parquet(${sqlList(archives)})`);
  }
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".ndjson") && !archived.has(f)).sort().map((f) => path.join(dir, f));
  await appendLedgerFiles(conn, files);
}
