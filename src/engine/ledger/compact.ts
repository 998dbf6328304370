/**
 * `nurture compact-ledger`: the run files of each past month become one Parquet archive
 * (`archive.ts`), then the files are removed. A year of nightly runs at a million users is
 * 4.5 GB of NDJSON that every plan parses again; as archives it is about a twelfth of
 * that on disk and in git, and it loads several times faster.
 *
 * Safe to stop and to repeat at any point:
 * * an archive is written under a temporary name, fsynced, and only then renamed into
 *   place, so a reader sees all of it or none of it;
 * * its run files are removed only after that, and readers skip run files an archive
 *   lists, so a compaction stopped in between counts nothing twice; the next one removes
 *   them;
 * * an archive is never rewritten: files of an archived month compacted later go to a
 *   new one (`archive-2026-10-2.parquet`).
 *
 * A month whose run files add up to more than `maxSourceBytes` (256 MB of NDJSON, about
 * 30 MB of archive) is split over several archives, whole files each, so no archive comes
 * near the 100 MB GitHub refuses in a push (it warns from 50 MB).
 *
 * Only months that ended at least `keepDays` (default 2) before `now` are compacted, so no
 * run can still be writing to one of their files, and `run`, which replays unfinished
 * batches of the last 25 hours from the run files, never needs an archive. A file whose
 * last line is torn (its run was killed mid-write) is left as it is: readers set that line
 * aside, and an archive holds only whole records. Run files whose name does not start
 * with their run's start time are never compacted.
 */
import fs from "node:fs";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { fileLinesSql, NOT_BLANK } from "../data/_files.ts";
import { createDatabase } from "../data/snapshot.ts";
import { sqlString } from "../sql/literals.ts";
import { ARCHIVE_FILES_KEY, archiveName, archivedRunFiles, isArchiveName } from "./archive.ts";
import { fileStart } from "./reader.ts";
import { checkedAtSql, DAMAGED_ROW, LEDGER_STRUCT, LEDGER_TABLE_COLUMNS, tornTail, withLedgerErrors } from "./table.ts";
import { syncDirectory } from "./writer.ts";

const DAY = 86_400_000;
const MAX_SOURCE_BYTES = 256 * 1024 * 1024;

export interface CompactOptions {
  /** The instant compaction is judged at (which months are over). */
  now: Date;
  /** How long after its end a month is compacted, in days; default 2. */
  keepDays?: number;
  /** Run files (NDJSON bytes) per archive before a month is split; default 256 MB. */
  maxSourceBytes?: number;
}

export interface ArchiveWritten {
  /** The archive's file name, under the ledger directory. */
  archive: string;
  /** `YYYY-MM`, the UTC month its run files started in. */
  month: string;
  /** The run files it holds, by name. */
  files: string[];
  records: number;
}

export interface CompactResult {
  archives: ArchiveWritten[];
  /** Run files removed, by name: those just archived, and those an earlier, interrupted compaction had archived. */
  removed: string[];
  /** Run files of a compacted month left as they are, with why. */
  kept: { file: string; reason: string }[];
}

/** `YYYY-MM` of a UTC instant in ms. */
const monthOf = (ms: number): string => new Date(ms).toISOString().slice(0, 7);

/** The instant a UTC month (`YYYY-MM`) ends. */
function monthEnd(month: string): number {
  const [y, m] = month.split("-").map(Number) as [number, number];
  return Date.UTC(y, m, 1);
}

/**
 * Compacts the past months of the ledger under `ledgerDir` (see the module comment). The
 * caller holds the run lock, so no run writes meanwhile.
 *
 * @example
 * const { archives, removed } = await compactLedger("data/ledger", { now: new Date() });
 */
export async function compactLedger(ledgerDir: string, options: CompactOptions): Promise<CompactResult> {
  const result: CompactResult = { archives: [], removed: [], kept: [] };
  if (!fs.existsSync(ledgerDir)) return result;
  const keepMs = (options.keepDays ?? 2) * DAY;
  const names = fs.readdirSync(ledgerDir).sort();
  // A temporary archive is what a stopped compaction left before its rename: never read, so remove it.
  for (const name of names) {
    if (/^\.archive-.*\.tmp$/.test(name)) fs.rmSync(path.join(ledgerDir, name), { force: true });
  }
  const archives = names.filter(isArchiveName);

  const db = await createDatabase();
  const conn = await db.connect();
  try {
    const archived = await archivedRunFiles(conn, archives.map((name) => path.join(ledgerDir, name)));
    const runFiles = names.filter((f) => f.endsWith(".ndjson"));
    const months = new Map<string, string[]>();
    for (const name of runFiles) {
      if (archived.has(name)) {
        result.removed.push(name);
        continue;
      }
      const start = fileStart(name);
      if (start === undefined) continue;
      const month = monthOf(start);
      if (monthEnd(month) + keepMs > options.now.getTime()) continue;
      if (tornTail(path.join(ledgerDir, name)) !== undefined) {
        result.kept.push({ file: name, reason: "its last line is torn (its run was killed while writing it); readers set that line aside, and archives hold whole records only" });
        continue;
      }
      months.set(month, [...(months.get(month) ?? []), name]);
    }
    // Files archived by a compaction that stopped before removing them.
    for (const name of result.removed) fs.rmSync(path.join(ledgerDir, name), { force: true });

    const taken = new Set(archives);
    const groups = [...months].flatMap(([month, files]) =>
      bySize(files, (f) => fs.statSync(path.join(ledgerDir, f)).size, options.maxSourceBytes ?? MAX_SOURCE_BYTES).map((part) => [month, part] as const));
    for (const [month, files] of groups) {
      let n = 1;
      while (taken.has(archiveName(month, n))) n++;
      const archive = archiveName(month, n);
      taken.add(archive);
      const records = await writeArchive(conn, ledgerDir, archive, files);
      for (const name of files) fs.rmSync(path.join(ledgerDir, name), { force: true });
      syncDirectory(ledgerDir);
      result.archives.push({ archive, month, files, records });
      result.removed.push(...files);
    }
    return result;
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** `items` in order, cut into runs whose sizes add up to at most `max` (an item larger than that alone). */
function bySize<T>(items: readonly T[], size: (item: T) => number, max: number): T[][] {
  const parts: T[][] = [];
  let total = 0;
  for (const item of items) {
    const bytes = size(item);
    if (parts.length === 0 || total + bytes > max) {
      parts.push([]);
      total = 0;
    }
    parts[parts.length - 1]!.push(item);
    total += bytes;
  }
  return parts;
}

/** Writes `files` (names under `dir`) as the archive `archive`, durably; returns its record count. */
async function writeArchive(conn: DuckDBConnection, dir: string, archive: string, files: string[]): Promise<number> {
  const temporary = path.join(dir, `.${archive}.tmp`);
  const columns = LEDGER_TABLE_COLUMNS.map((c) => (c === "at" ? `${checkedAtSql()} AS "at"` : `"${c}"`)).join(", ");
  // Lines in file order, files in name order: the archive reads like the files did. The
  // order is by each line's file and number, not the scan's: a parallel read of several
  // files does not keep it. A record no run can have written stops the compaction as it
  // would stop a plan (`withLedgerErrors` finds the file's line).
  await withLedgerErrors(() => conn.run(`COPY (
      SELECT parse_filename(filename) AS file, line AS record, ${columns}
      FROM (SELECT filename, n, line, r.*, TRY_CAST(r."at" AS TIMESTAMPTZ) AS parsed_at FROM (
        SELECT filename, n, line, CASE WHEN json_valid(line) AND json_type(line) = 'OBJECT'
          THEN json_transform(line, ${LEDGER_STRUCT}) ELSE error(${sqlString(DAMAGED_ROW)} || filename) END AS r
        FROM (SELECT filename, n, rtrim(line, chr(13)) AS line FROM (${fileLinesSql(files.map((f) => path.join(dir, f)))}))
        WHERE ${NOT_BLANK}))
      ORDER BY filename, n
    ) TO ${sqlString(temporary)} (FORMAT parquet, COMPRESSION zstd,
      KV_METADATA {${ARCHIVE_FILES_KEY}: ${sqlString(JSON.stringify(files))}})`)).catch((error: unknown) => {
    fs.rmSync(temporary, { force: true });
    throw error;
  });
  const fd = fs.openSync(temporary, "r+");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  const reader = await conn.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM read_parquet(${sqlString(temporary)})`);
  fs.renameSync(temporary, path.join(dir, archive));
  syncDirectory(dir);
  return Number(reader.getRowObjects()[0]!.n);
}
