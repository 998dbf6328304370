import type { DuckDBConnection } from "@duckdb/node-api";

/** A plain row: DuckDB BIGINT/HUGEINT come back as bigint, turned into numbers here. */
export type Row = Record<string, string | number | boolean | null>;

function plain(value: unknown): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "number" || typeof value === "string" || typeof value === "boolean") return value;
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/** Runs one query and returns its rows as plain objects (numbers, strings, ISO strings). */
export async function rows(conn: DuckDBConnection, sql: string, params?: Record<string, string | number>): Promise<Row[]> {
  const reader = await conn.runAndReadAll(sql, params);
  return reader.getRowObjectsJS().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, plain(v)])));
}

/** A SQL string literal: the only way values other than bound parameters enter the site's SQL. */
export const lit = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/** A TIMESTAMPTZ literal for an instant. */
export const ts = (d: Date): string => `TIMESTAMPTZ ${lit(d.toISOString())}`;

export const num = (v: Row[string]): number => (typeof v === "number" ? v : Number(v ?? 0));
export const str = (v: Row[string]): string => (v === null ? "" : String(v));
