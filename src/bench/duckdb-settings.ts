/**
 * DuckDB settings for every database this process opens, including the engine's own
 * (`openSnapshot` opens an in-memory database with its default cap): lets the benchmark try
 * `memory_limit` or `threads` on the unchanged engine, and keeps the data generator from
 * taking the whole machine. Applies to this process only.
 */
import { DuckDBInstance } from "@duckdb/node-api";

/** DuckDB configuration options by name, e.g. `{ memory_limit: "3GB", threads: "2" }`. */
export type DuckDBSettings = Record<string, string>;

/** Makes every later `DuckDBInstance.create` in this process use `settings`, over the options it passes (the engine's memory cap too). */
export function applyDuckDBSettings(settings: DuckDBSettings): void {
  if (Object.keys(settings).length === 0) return;
  const original = DuckDBInstance.create.bind(DuckDBInstance);
  DuckDBInstance.create = (path?: string, options?: Record<string, string>) => original(path, { ...options, ...settings });
}

/** `memory_limit=3GB,threads=2` → settings; an empty string gives none. */
export function parseDuckDBSettings(text: string): DuckDBSettings {
  const settings: DuckDBSettings = {};
  for (const pair of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const eq = pair.indexOf("=");
    if (eq < 1) throw new Error(`--duckdb "${pair}" must be name=value, e.g. memory_limit=3GB`);
    settings[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return settings;
}
