/** The columns DuckDB sees in a table or a reader's SELECT, for the loaders' checks. */
import type { DuckDBConnection } from "@duckdb/node-api";
import { sqlList } from "../sql/literals.ts";

/** Column name → DuckDB type of a table or a SELECT (bound, not run). */
export async function columnTypes(conn: DuckDBConnection, tableOrSelect: string): Promise<Map<string, string>> {
  const reader = await conn.runAndReadAll(`SELECT column_name, column_type FROM (DESCRIBE ${tableOrSelect})`);
  return new Map(reader.getRowObjects().map((r) => [String(r.column_name), String(r.column_type)]));
}

/** The columns of a table, or of a SELECT (bound, not run). */
export async function columnNames(conn: DuckDBConnection, tableOrSelect: string): Promise<string[]> {
  return [...(await columnTypes(conn, tableOrSelect)).keys()];
}

/** The keys of the objects in the NDJSON `files`, in every file, as DuckDB names them: from every line, or from its sample of them. */
export const ndjsonKeys = (conn: DuckDBConnection, files: readonly string[], o: { everyLine: boolean }): Promise<string[]> =>
  columnNames(conn, `(SELECT * FROM read_json(${sqlList(files)}, format = 'newline_delimited',
    union_by_name = true,${o.everyLine ? " sample_size = -1," : ""} ignore_errors = true))`);
