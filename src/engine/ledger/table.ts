/**
 * The `ledger` table of a snapshot's database: what a plan, an explanation and the site
 * read of the send ledger, loaded from the run files (`<ledger>/*.ndjson`) and from the
 * archives that compacted past months of them (`archive.ts`).
 *
 *   ledger(kind, at TIMESTAMPTZ, key, user_id, campaign, step, variant, type, occurrence, reason, error)
 */
import fs from "node:fs";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { NurtureError } from "../errors.ts";
import { sqlString } from "../sql/literals.ts";
import { archivedRunFiles, listArchives } from "./archive.ts";
import { parseLedgerText } from "./reader.ts";

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
 * Appends ledger NDJSON files to the `ledger` table (its columns above). Used when a
 * snapshot opens and by a replay that writes a run's file and reads it straight back.
 *
 * A run killed in the middle of a write (or whose write failed) can leave its file's last
 * line torn: no newline after it, and not JSON. That line was never a record (the run that wrote it had not
 * finished its batch, and the next run replays the batch), so it is set aside in
 * `rejected_rows` as the sender's own reader ignores it. A line that is not JSON anywhere
 * else means the file was edited, which is an error naming the file and line.
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
    `read_json([${whole.map(sqlString).join(", ")}], format = 'newline_delimited', columns = ${LEDGER_COLUMNS})`)));
}

/** Appends to `ledger` the rows of `source`, which has the ledger's columns as text. */
const insertLedgerRows = (source: string): string =>
  `INSERT INTO ledger BY NAME SELECT * REPLACE ("at"::TIMESTAMPTZ AS "at") FROM ${source}`;

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
    const lines = `(SELECT unnest(json_transform(line, ${LEDGER_STRUCT})) FROM unnest(string_split($1, chr(10))) AS t(line) WHERE trim(line) <> '')`;
    await withLedgerErrors(() => conn.run(insertLedgerRows(lines), [torn.complete]), file);
  }
  await conn.run("INSERT INTO rejected_rows VALUES ('ledger', $1, $2, $3)", [file, TORN_LEDGER_LINE, torn.tail]);
}

/** The first line of `file` that is not a JSON record, as the sender's reader judges it. */
function firstDamagedLine(file: string): number | undefined {
  try {
    return parseLedgerText(fs.readFileSync(file, "utf8")).damaged[0];
  } catch {
    return undefined;
  }
}

/**
 * Runs a ledger read, turning DuckDB's "Malformed JSON" into an error that names the file
 * and the line (found here, since DuckDB's own line count is not the file's).
 */
export async function withLedgerErrors<T>(read: () => Promise<T>, file?: string): Promise<T> {
  try {
    return await read();
  } catch (error) {
    const text = String(error instanceof Error ? error.message : error);
    if (!/Malformed JSON/.test(text)) throw error;
    const where = /Malformed JSON in file "(.+?)"/.exec(text)?.[1] ?? file ?? "a ledger file";
    const line = firstDamagedLine(where);
    const problem = {
      code: "damaged-ledger",
      severity: "error" as const,
      message: `${line ? `line ${line}` : "a line before the last"} is not a JSON record; ledger files are only ever appended to, so the file was changed after it was written`,
      file: where,
      ...(line ? { line } : {}),
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
      FROM read_parquet([${archives.map(sqlString).join(", ")}])`);
  }
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".ndjson") && !archived.has(f)).sort().map((f) => path.join(dir, f));
  await appendLedgerFiles(conn, files);
}
