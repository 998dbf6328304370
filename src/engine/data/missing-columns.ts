/**
 * A snapshot file without a column every row needs stops the load, naming the file, the
 * column and the columns it has. Set aside row by row instead, an export whose id column
 * is called `id` lost every user as "missing user_id" (and then every event as "unknown
 * user"), and a scheduled run planned nothing and still succeeded.
 *
 * Only the files some of whose rows were set aside for lacking one of these fields are
 * looked at, so a good snapshot pays nothing; a file that has the column and leaves it
 * blank on some rows keeps setting those rows aside.
 */
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { NurtureError, type Problem } from "../errors.ts";
import { csvHeader } from "./_files.ts";
import { columnNames, ndjsonKeys } from "./_columns.ts";
import { sqlList, sqlString } from "../sql/literals.ts";

/** The reasons a row is set aside for a field it must have, by table and column (the loaders' own words). */
export const MISSING_FIELD = {
  users: { user_id: "missing user_id", created_at: "missing or unparseable created_at" },
  events: { user_id: "missing user_id", event: "missing event name", ts: "missing or unparseable ts" },
} as const;

/** Throws `missing-column` naming every file of `table` that lacks columns of `MISSING_FIELD`, among those with rows set aside for lacking one. */
export async function stopOnMissingColumns(conn: DuckDBConnection, table: keyof typeof MISSING_FIELD): Promise<void> {
  const fields = Object.entries(MISSING_FIELD[table]) as [string, string][];
  const reader = await conn.runAndReadAll(`SELECT source, count(*)::BIGINT AS n FROM rejected_rows
    WHERE tbl = ${sqlString(table)} AND reason IN ${sqlList(fields.map(([, reason]) => reason))} AND source IS NOT NULL
    GROUP BY ALL ORDER BY source`);
  const problems: Problem[] = [];
  const which: string[] = [];
  for (const row of reader.getRowObjects()) {
    const file = String(row.source);
    const columns = await fileColumns(conn, file);
    const absent = fields.map(([column]) => column).filter((column) => columns && !columns.some((c) => c.toLowerCase() === column));
    if (!columns || absent.length === 0) continue;
    const rows = Number(row.n);
    const names = absent.join(" and ");
    which.push(`${path.basename(file)} has no ${names}`);
    problems.push({
      code: "missing-column", severity: "error", file,
      message: `the ${table} file has no ${names} column${absent.length > 1 ? "s" : ""}, which every row needs, so ${rows === 1 ? "its one row" : `its ${rows} rows`} cannot be read; its columns are ${shown(columns)}`,
      hint: `name the column${absent.length > 1 ? "s" : ""} that hold${absent.length > 1 ? "" : "s"} ${absent.length > 1 ? "them" : "it"} ${names} in the export (in any case), or move the file out of the ${table} directory`,
    });
  }
  if (problems.length) throw new NurtureError("missing-column", `${table} files lack a column every row needs: ${which.join("; ")}`, { problems });
}

/** The columns `file` has, as its reader sees them; undefined when they cannot be told (then the rows stay set aside). */
async function fileColumns(conn: DuckDBConnection, file: string): Promise<string[] | undefined> {
  const lower = file.toLowerCase();
  if (lower.endsWith(".csv")) return csvHeader(file).names;
  try {
    return lower.endsWith(".parquet")
      ? await columnNames(conn, `(SELECT * FROM read_parquet(${sqlString(file)}))`)
      : await ndjsonKeys(conn, [file], { everyLine: true });
  } catch {
    return undefined;
  }
}

/** Up to twelve names, quoted, then how many more. */
function shown(columns: string[]): string {
  if (columns.length === 0) return "none";
  const first = columns.slice(0, 12).map((c) => `"${c}"`).join(", ");
  return columns.length > 12 ? `${first} and ${columns.length - 12} more` : first;
}
