/**
 * Users' Parquet files that disagree on whether a column is a DATE. Read together, DuckDB
 * widens a DATE column to the other file's TIMESTAMP, and a day ("2026-11-26", which
 * begins at midnight in the user's zone) became midnight UTC: adding another file to the
 * directory moved the moments, and with them the occurrence ids, of every user in the
 * first. Such a column is read as text from every file instead, as CSV and NDJSON give it:
 * a DATE stays a day, a TIMESTAMP stays its instant.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { FILE_COLUMN, LINE_COLUMN, type ReaderSource } from "./_files.ts";
import { columnTypes } from "./_columns.ts";
import { sqlIdent, sqlString } from "../sql/literals.ts";

/** `source` (Parquet) as it is, or, when its files give a column DATE in one and another type in another, one read per file with that column as text. */
export async function keepingDates(conn: DuckDBConnection, source: ReaderSource): Promise<ReaderSource> {
  if (source.format !== "parquet" || source.files.length < 2) return source;
  const schemas = new Map<string, { name: string; type: string }[]>();
  for (const file of source.files) {
    const types = await columnTypes(conn, `(SELECT * FROM read_parquet(${sqlString(file)}))`);
    schemas.set(file, [...types].map(([name, type]) => ({ name, type })));
  }
  // SQL names ignore case, and union_by_name matches them so: `Trial_Ends_At` is `trial_ends_at`.
  const typesOf = new Map<string, Set<string>>();
  for (const schema of schemas.values()) {
    for (const { name, type } of schema) typesOf.set(name.toLowerCase(), (typesOf.get(name.toLowerCase()) ?? new Set()).add(type));
  }
  const mixed = new Set([...typesOf].filter(([, types]) => types.has("DATE") && types.size > 1).map(([column]) => column));
  if (mixed.size === 0) return source;
  const reads = source.files.map((file) => {
    const replaced = schemas.get(file)!.filter((c) => mixed.has(c.name.toLowerCase()))
      .map(({ name }) => `CAST(${sqlIdent(name)} AS VARCHAR) AS ${sqlIdent(name)}`);
    return `SELECT * EXCLUDE (file_row_number)${replaced.length ? ` REPLACE (${replaced.join(", ")})` : ""}, file_row_number AS ${LINE_COLUMN}
      FROM read_parquet(${sqlString(file)}, filename = '${FILE_COLUMN}', file_row_number = true)`;
  });
  return { ...source, sql: reads.join(" UNION ALL BY NAME ") };
}
