/**
 * Ledger archives: the run files of a past month, compacted (`compact.ts`) into one
 * Parquet file beside them, `archive-YYYY-MM.parquet` (`archive-YYYY-MM-2.parquet`, … for
 * files of that month compacted later; an archive is never rewritten). One row per record:
 *
 *   file     the run file it was read from (its name)
 *   record   the line's JSON text, exactly as the run wrote it: nothing is lost
 *   kind, at TIMESTAMPTZ, key, user_id, …   the ledger table's columns, parsed from it
 *
 * The Parquet key-value metadata `nurture_ledger_files` lists the run files the archive
 * holds (a JSON array of names). Readers skip those files when they are still there: a
 * compaction that stopped between writing the archive and removing the files must not
 * make a record count twice.
 */
import fs from "node:fs";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { NurtureError } from "../errors.ts";
import { sqlList, sqlString } from "../sql/literals.ts";

/** The Parquet metadata key that lists an archive's run files. */
export const ARCHIVE_FILES_KEY = "nurture_ledger_files";

const ARCHIVE_NAME = /^archive-(\d{4})-(\d{2})(?:-(\d+))?\.parquet$/;

/** Whether `name` is an archive's file name. */
export const isArchiveName = (name: string): boolean => ARCHIVE_NAME.test(name);

/** `2026-10`, 2 → `archive-2026-10-2.parquet` (the first of a month has no number). */
export const archiveName = (month: string, n: number): string => `archive-${month}${n > 1 ? `-${n}` : ""}.parquet`;

/** The archives under `dir`, as paths, by name. */
export function listArchives(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter(isArchiveName).sort().map((name) => path.join(dir, name));
}

/**
 * The names of the run files the `archives` hold, read from their metadata (not their
 * rows). An archive that is not readable Parquet, or lacks the list, is an error naming it:
 * without the list its run files would be read twice.
 */
export async function archivedRunFiles(conn: DuckDBConnection, archives: readonly string[]): Promise<Set<string>> {
  const names = new Set<string>();
  if (archives.length === 0) return names;
  let lists: Map<string, string>;
  try {
    // One read of every archive's footer: a query per archive costs more than the reading.
    lists = await fileLists(conn, archives);
  } catch {
    // Some archive is not Parquet: read them one by one to name it.
    lists = new Map();
    for (const archive of archives) {
      try {
        for (const [file, list] of await fileLists(conn, [archive])) lists.set(file, list);
      } catch (error) {
        throw damagedArchive(archive, "is not a readable Parquet file", error);
      }
    }
  }
  for (const archive of archives) {
    let listed: unknown;
    try {
      listed = JSON.parse(lists.get(archive) ?? "null");
    } catch {
      listed = undefined;
    }
    if (!Array.isArray(listed) || !listed.every((f) => typeof f === "string")) {
      throw damagedArchive(archive, `has no list of the run files it holds (Parquet metadata "${ARCHIVE_FILES_KEY}")`);
    }
    for (const name of listed) names.add(name);
  }
  return names;
}

/** Archive path → the text of its list of run files, for the archives that have one. */
async function fileLists(conn: DuckDBConnection, archives: readonly string[]): Promise<Map<string, string>> {
  const reader = await conn.runAndReadAll(`SELECT file_name, decode(value) AS files
    FROM parquet_kv_metadata(${sqlList(archives)}) WHERE decode(key) = ${sqlString(ARCHIVE_FILES_KEY)}`);
  return new Map(reader.getRowObjects().map((r) => [String(r.file_name), String(r.files)]));
}

function damagedArchive(archive: string, what: string, cause?: unknown): NurtureError {
  return new NurtureError("damaged-ledger", `the ledger archive ${archive} ${what}`, {
    cause,
    problems: [{
      code: "damaged-ledger",
      severity: "error",
      message: `${what}; archives are written by \`nurture compact-ledger\` and never changed afterwards`,
      file: archive,
      hint: "restore the file from git (git log -- <file>); if it was never committed, delete it and restore the run files it replaced from git",
    }],
  });
}
