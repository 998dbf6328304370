import fs from "node:fs";
import path from "node:path";
import { sqlString } from "../sql/literals.ts";

const list = (files: string[]): string => `[${files.map(sqlString).join(", ")}]`;

/** Every file under `dir` (recursively) whose name ends with one of `extensions`, sorted. */
function filesUnder(dir: string, extensions: string[]): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => extensions.some((e) => f.toLowerCase().endsWith(e)))
    .map((f) => path.join(dir, f))
    .sort();
}

/** One SELECT over every file of one format, with a `source` column naming each row's file. */
export interface ReaderSource {
  format: "parquet" | "csv" | "ndjson";
  sql: string;
  files: string[];
}

/**
 * One SELECT per file format present under `dir`, each with a `source` column naming the
 * file a row came from, ready to be combined with UNION ALL BY NAME. The format is chosen
 * by extension: .parquet, .csv, .ndjson / .jsonl. Parquet sources also carry `_line`, the
 * row's number inside its file. `jsonColumns` pins NDJSON column types (so a JSON object
 * in `properties` stays JSON instead of becoming a struct). `skipBadJson` skips NDJSON lines
 * that are not JSON, for a caller that has set them aside itself.
 */
export function readerSources(dir: string, options: { jsonColumns?: string; skipBadJson?: boolean } = {}): ReaderSource[] {
  const out: ReaderSource[] = [];
  const parquet = filesUnder(dir, [".parquet"]);
  const csv = filesUnder(dir, [".csv"]);
  const json = filesUnder(dir, [".ndjson", ".jsonl"]);
  const renamed = "SELECT * EXCLUDE (filename), filename AS source FROM";
  if (parquet.length) {
    out.push({
      format: "parquet",
      files: parquet,
      sql: `SELECT * EXCLUDE (filename, file_row_number), filename AS source, file_row_number AS _line
        FROM read_parquet(${list(parquet)}, union_by_name = true, filename = true, file_row_number = true)`,
    });
  }
  if (csv.length) out.push({ format: "csv", files: csv, sql: `${renamed} read_csv(${list(csv)}, all_varchar = true, header = true, union_by_name = true, filename = true)` });
  if (json.length) {
    const columns = options.jsonColumns ? `, columns = ${options.jsonColumns}` : "";
    const skip = options.skipBadJson ? ", ignore_errors = true" : "";
    out.push({ format: "ndjson", files: json, sql: `${renamed} read_json(${list(json)}, format = 'newline_delimited', union_by_name = true, filename = true${columns}${skip})` });
  }
  return out;
}
