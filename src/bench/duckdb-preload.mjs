/**
 * Preload for processes the benchmark does not write itself (the `astro build` of the
 * site benchmark): `node --import ./src/bench/duckdb-preload.mjs` applies the DuckDB
 * settings in NURTURE_BENCH_DUCKDB (JSON, e.g. {"memory_limit":"14GB"}) to every database
 * the process opens, as duckdb-settings.ts does in the benchmark's own children. Plain
 * JavaScript so it needs no TypeScript loader.
 */
import { DuckDBInstance } from "@duckdb/node-api";

const settings = JSON.parse(process.env.NURTURE_BENCH_DUCKDB || "{}");
if (Object.keys(settings).length > 0) {
  const original = DuckDBInstance.create.bind(DuckDBInstance);
  DuckDBInstance.create = (path, options) => original(path, { ...options, ...settings });
}
