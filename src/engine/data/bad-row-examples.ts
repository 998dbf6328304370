/**
 * Where set-aside rows came from: for each (table, reason) that `Snapshot.badRows()`
 * counts, up to a few of the rows themselves from `rejected_rows` (see snapshot.ts), with
 * their file, their line or row when the loader recorded it, and their text, so a person
 * told "3 events rows set aside: missing or unparseable ts" can find and fix them.
 *
 * What `rejected_rows.row_json` holds depends on why the row was set aside, and this
 * module reads all three shapes:
 *   {line, text[, error]}        an NDJSON line that is not a JSON object, or a CSV row DuckDB
 *                                could not parse: its 1-based line in the file and its text
 *   {…columns, loader's keys}    a row that was read but failed a check (missing user_id,
 *                                unparseable time, unknown user, duplicate), with the keys
 *                                the loader added (`__nurture_…`): its file, the reason and,
 *                                for users from Parquet, the 0-based row number
 *   raw text                     a ledger file's torn last line
 */
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { BadRowCount } from "../evaluate/types.ts";
import { LINE_COLUMN } from "./_files.ts";

/** One set-aside row as shown to a person. */
export interface BadRowExample {
  /** The file it was read from, relative to the data directory when it lies under it. */
  file: string;
  /** Its 1-based line in a CSV or NDJSON file, when the loader recorded it. */
  line?: number;
  /** Its 1-based row in a Parquet file, when the loader recorded it. */
  row?: number;
  /** The row as read (its columns as JSON, or the line's text), on one line, cut to ~120 characters. */
  text: string;
  /** DuckDB's error for a CSV row it could not parse. */
  error?: string;
}

/** A count of `Snapshot.badRows()` with some of its rows. */
export interface BadRowsWithExamples extends BadRowCount {
  examples: BadRowExample[];
}

export interface BadRowExampleOptions {
  /** The `--data` directory, which file names are given relative to. */
  dataDir: string;
  /** Rows shown per (table, reason); default 3. */
  limit?: number;
  /** Show this user's rows first (explain), so the ones that may concern them are not hidden. */
  user?: string;
}

/** How long a row's text may be before it is cut: enough to recognise it, not to flood a terminal. */
const MAX_TEXT = 120;

/** The prefix of the columns the loader adds to a row (its file, place, reason), which no export uses. */
const LOADER_PREFIX = "__nurture_";

/**
 * `counts` (from `Snapshot.badRows()` or `Plan.badRows`) with up to `limit` example rows
 * each, read from the snapshot's `rejected_rows`: the user's own first when `user` is
 * given, then by file, line and text.
 *
 * @example
 * const bad = await withBadRowExamples(snapshot.connection, plan.badRows, { dataDir: "data" });
 * bad[0]?.examples[0]; // { file: "snapshots/events/2026-11-19.csv", text: '{"user_id":"u1","event":"x","ts":"yesterday"}' }
 */
export async function withBadRowExamples(
  conn: DuckDBConnection, counts: readonly BadRowCount[], options: BadRowExampleOptions,
): Promise<BadRowsWithExamples[]> {
  if (counts.length === 0) return [];
  // row_json is not JSON for a torn ledger line, hence json_valid before any JSON function.
  const field = (name: string): string => `CASE WHEN json_valid(row_json) THEN json_extract_string(row_json, '$.${name}') END`;
  const reader = await conn.runAndReadAll(`SELECT tbl, reason, source, row_json FROM (
      SELECT tbl, reason, source, row_json, row_number() OVER (PARTITION BY tbl, reason
        ORDER BY coalesce(${field("user_id")} = $1, false) DESC, source, TRY_CAST(coalesce(${field("line")}, ${field(LINE_COLUMN)}) AS BIGINT) NULLS LAST, row_json) AS n
      FROM rejected_rows)
    WHERE n <= $2 ORDER BY tbl, reason, n`, [options.user ?? null, options.limit ?? 3]);
  const examples = new Map<string, BadRowExample[]>();
  for (const r of reader.getRowObjects()) {
    const key = JSON.stringify([r.tbl, r.reason]);
    examples.set(key, [...(examples.get(key) ?? []), example(r.source === null ? "(file not recorded)" : String(r.source), String(r.row_json), options.dataDir)]);
  }
  return counts.map((c) => ({ ...c, examples: examples.get(JSON.stringify([c.table, c.reason])) ?? [] }));
}

/**
 * The text lines that report rows set aside: the count line every command prints
 * (`set aside: 3 events row(s): missing or unparseable ts`), each example indented under
 * it, and how many more there are.
 */
export function describeBadRows(rows: readonly BadRowsWithExamples[]): string[] {
  const lines: string[] = [];
  for (const bad of rows) {
    lines.push(`set aside: ${bad.count} ${bad.table} row(s): ${bad.reason}`);
    for (const e of bad.examples) {
      const where = e.line !== undefined ? ` line ${e.line}` : e.row !== undefined ? ` row ${e.row}` : "";
      lines.push(`    ${e.file}${where}: ${e.text}${e.error ? `  (${e.error})` : ""}`);
    }
    const more = bad.count - bad.examples.length;
    if (more > 0 && bad.examples.length > 0) lines.push(`    … ${more} more`);
  }
  return lines;
}

function example(source: string, rowJson: string, dataDir: string): BadRowExample {
  const relative = path.relative(dataDir, source);
  const file = relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : source;
  const parsed = parseObject(rowJson);
  if (parsed === undefined) return { file, text: oneLine(rowJson) };
  const keys = Object.keys(parsed);
  if (typeof parsed.text === "string" && keys.every((k) => k === "line" || k === "text" || k === "error")) {
    return {
      file,
      ...(Number.isInteger(parsed.line) ? { line: parsed.line as number } : {}),
      text: oneLine(parsed.text),
      ...(typeof parsed.error === "string" ? { error: oneLine(parsed.error) } : {}),
    };
  }
  const columns = Object.fromEntries(Object.entries(parsed)
    .filter(([k, v]) => v !== null && !k.startsWith(LOADER_PREFIX))
    // The loader keeps an event's properties as JSON text: shown as the object the file had.
    .map(([k, v]) => [k, k === "properties" && typeof v === "string" ? parseObject(v) ?? v : v]));
  const place = parsed[LINE_COLUMN];
  return { file, ...(Number.isInteger(place) ? { row: (place as number) + 1 } : {}), text: oneLine(JSON.stringify(columns)) };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The text on one line (line breaks and other control characters, which could drive a terminal, become spaces), cut to MAX_TEXT. */
function oneLine(text: string): string {
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim();
  const chars = Array.from(flat);
  return chars.length <= MAX_TEXT ? flat : `${chars.slice(0, MAX_TEXT - 1).join("")}…`;
}
