import fs from "node:fs";
import path from "node:path";
import { StringDecoder } from "node:string_decoder";
import { NurtureError } from "../errors.ts";
import { sqlList, sqlString } from "../sql/literals.ts";

/** SQL: `filename, n, line` for every line of the text `files`, numbered from 1 in each file, as written (a CRLF line keeps its CR). */
export const fileLinesSql = (files: readonly string[]): string => `SELECT filename, generate_subscripts(lines, 1) AS n, unnest(lines) AS line
  FROM (SELECT filename, string_split(content, chr(10)) AS lines FROM read_text(${sqlList(files)}))`;

/** SQL: a `line` that holds more than blanks (NDJSON readers skip the others). */
export const NOT_BLANK = "trim(line, ' ' || chr(9) || chr(13)) <> ''";

/** The extensions the readers know, by format. */
const EXTENSIONS = { parquet: [".parquet"], csv: [".csv"], ndjson: [".ndjson", ".jsonl"] } as const;

/** Every file under `dir` (recursively, through links), sorted, each once; none when `dir` does not exist. */
function allFilesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  if (!fs.statSync(dir).isDirectory()) {
    throw new NurtureError("bad-snapshot-layout", `${dir} is a file, not a directory`, {
      problems: [{
        code: "bad-snapshot-layout", severity: "error", file: dir,
        message: "each table of a snapshot is a directory of files (one or many), not a single file",
        hint: `move the file into a directory of that name, e.g. ${path.join(dir, `${path.basename(dir)}${path.extname(dir) || ".csv"}`)}`,
      }],
    });
  }
  const files: string[] = [];
  walk(dir, new Set([fs.realpathSync(dir)]), files);
  // A file reached by two names (a link beside its target) is read once, by its first name.
  const seen = new Set<string>();
  return files.sort().filter((f) => {
    const real = fs.realpathSync(f);
    return seen.has(real) ? false : (seen.add(real), true);
  });
}

/**
 * Adds the files under `dir` to `into`, following links (an export's directory is often
 * a link to a mounted share) but entering each real directory once: a link back up the
 * tree would otherwise be followed for ever (Node's own recursive `readdirSync` does,
 * until it runs out of memory). A link to nothing is an error.
 */
function walk(dir: string, entered: Set<string>, into: string[]): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const stat = entry.isSymbolicLink() ? linkTarget(full) : entry;
    if (stat.isFile()) into.push(patternFree(full));
    else if (stat.isDirectory()) {
      const real = fs.realpathSync(full);
      if (entered.has(real)) continue;
      entered.add(real);
      walk(full, entered, into);
    }
  }
}

/**
 * `file`, refused when its path holds `*`, `?` or `[`: DuckDB's readers take those as a
 * pattern, so `ev*.parquet` would read `evX.parquet` a second time (and a path holding a
 * `[` might read nothing), counting rows twice or setting good users aside as duplicates.
 */
function patternFree(file: string): string {
  if (!/[*?[]/.test(file)) return file;
  throw new NurtureError("bad-snapshot-layout", `${file}: DuckDB reads "*", "?" and "[" in a path as a pattern`, {
    problems: [{
      code: "bad-snapshot-layout", severity: "error", file,
      message: "the path holds *, ? or [, which DuckDB's readers expand as a pattern, so other files would be read in its place or twice",
      hint: "rename the file (or the directory) without *, ? and [",
    }],
  });
}

/** What a link leads to; a link to nothing may be a share that is not mounted, so its rows would be missed in silence. */
function linkTarget(link: string): fs.Stats {
  try {
    return fs.statSync(link);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ELOOP" ? "a chain of links that never ends" : `${fs.readlinkSync(link)}, which does not exist`;
    throw new NurtureError("bad-snapshot-layout", `${link} is a link to ${reason}`, {
      problems: [{
        code: "bad-snapshot-layout", severity: "error", file: link,
        message: `a link in the snapshot leads to ${reason}, so the rows it should hold cannot be read`,
        hint: "mount or restore what it points to, or remove the link if those rows are gone on purpose",
      }],
    });
  }
}

/** The files among `files` whose name ends with one of `extensions`. */
const withExtension = (files: string[], extensions: readonly string[]): string[] =>
  files.filter((f) => extensions.some((e) => f.toLowerCase().endsWith(e)));

/**
 * Files under `dir` that no reader reads (another extension, e.g. `.json`, `.tsv` or
 * `.csv.gz`), which the loader reports rather than skip in silence. Hidden files (a name
 * starting with a dot, like `.DS_Store` or `.gitkeep`) are not data and are left out.
 */
export function unreadFiles(dir: string): string[] {
  const known = Object.values(EXTENSIONS).flat();
  return allFilesUnder(dir).filter((f) => !path.basename(f).startsWith(".") && !known.some((e) => f.toLowerCase().endsWith(e)));
}

/**
 * The columns the readers add to a file's own: the file a row came from and (Parquet) its
 * place in it. Named so that no export's column can collide with them (`source` and
 * `filename` are common column names).
 */
export const FILE_COLUMN = "__nurture_file";
export const LINE_COLUMN = "__nurture_line";

/** One SELECT over every file of one format, with a `FILE_COLUMN` naming each row's file. */
export interface ReaderSource {
  format: "parquet" | "csv" | "ndjson";
  sql: string;
  files: string[];
}

/**
 * One SELECT per file format present under `dir`, each with a `FILE_COLUMN` naming the
 * file a row came from, ready to be combined with UNION ALL BY NAME. The format is chosen
 * by extension: .parquet, .csv, .ndjson / .jsonl. Parquet sources also carry `LINE_COLUMN`,
 * the row's number inside its file. `jsonColumns` pins NDJSON column types (so a JSON object
 * in `properties` stays JSON instead of becoming a struct). `skipBadJson` skips NDJSON lines
 * that are not JSON, for a caller that has set them aside itself.
 */
export function readerSources(dir: string, options: { jsonColumns?: string; skipBadJson?: boolean } = {}): ReaderSource[] {
  const out: ReaderSource[] = [];
  const files = allFilesUnder(dir);
  const parquet = withExtension(files, EXTENSIONS.parquet);
  const csv = withExtension(files, EXTENSIONS.csv);
  const json = withExtension(files, EXTENSIONS.ndjson).map(withoutByteOrderMark);
  const file = `filename = '${FILE_COLUMN}'`;
  if (parquet.length) {
    out.push({
      format: "parquet",
      files: parquet,
      sql: `SELECT * EXCLUDE (file_row_number), file_row_number AS ${LINE_COLUMN}
        FROM read_parquet(${sqlList(parquet)}, union_by_name = true, ${file}, file_row_number = true)`,
    });
  }
  const csvReads = csvReaders(csv);
  if (csvReads.length) out.push({ format: "csv", files: csv, sql: csvReads.map((read) => `SELECT * FROM ${read}`).join(" UNION ALL BY NAME ") });
  if (json.length) {
    const columns = options.jsonColumns ? `, columns = ${options.jsonColumns}` : "";
    const skip = options.skipBadJson ? ", ignore_errors = true" : "";
    out.push({ format: "ndjson", files: json, sql: `SELECT * FROM read_json(${sqlList(json)}, format = 'newline_delimited', union_by_name = true, ${file}${columns}${skip})` });
  }
  return out;
}

/**
 * `file`, refused when it starts with a UTF-8 byte-order mark (as Windows PowerShell and
 * Notepad write one). DuckDB's NDJSON reader cannot skip the mark, so the first line,
 * a good object, would be set aside as not JSON, and with it a user and all their events.
 */
function withoutByteOrderMark(file: string): string {
  const fd = fs.openSync(file, "r");
  const head = Buffer.alloc(3);
  try {
    fs.readSync(fd, head, 0, 3, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (!head.equals(UTF8_BOM)) return file;
  throw new NurtureError("bad-ndjson", `${file} starts with a byte-order mark, which DuckDB's NDJSON reader cannot read past`, {
    problems: [{
      code: "bad-ndjson", severity: "error", file, line: 1,
      message: "the file starts with a UTF-8 byte-order mark (BOM), so its first line would not be read as JSON and its row would be lost",
      hint: `save the file as UTF-8 without a BOM (PowerShell 7: Out-File -Encoding utf8NoBOM; or sed -i '1s/^\xEF\xBB\xBF//' ${path.basename(file)}), or export it as CSV, which may have one`,
    }],
  });
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * The tables where DuckDB stores the CSV rows it could not parse (see `csvReaders`); the
 * loader sets them aside and drops the tables after each load.
 */
export const CSV_REJECTS = { table: "csv_rejects", scan: "csv_scans" } as const;

/**
 * One `read_csv` per distinct header among `files`, every column as text. The dialect is
 * fixed (RFC 4180: double quotes, a header line; the separator is found on the header, see
 * `csvHeader`) and the columns are the header's, not sniffed: DuckDB's sniffer, given a file with one malformed row, could take that row
 * for the header or every line for a single column, losing or misfiling the good rows.
 * A row that does not parse (too many or too few fields, an unterminated quote) goes to
 * the `CSV_REJECTS` tables instead of stopping the read. Empty files are left out.
 */
function csvReaders(files: string[]): string[] {
  const groups = new Map<string, string[]>();
  for (const file of files) {
    const header = csvHeader(file);
    if (header.names.length === 0) continue;
    const key = JSON.stringify(header);
    groups.set(key, [...(groups.get(key) ?? []), file]);
  }
  return [...groups].map(([key, group]) => {
    const { names, delimiter } = JSON.parse(key) as CsvHeader;
    const columns = names.map((c) => `${sqlString(c)}: 'VARCHAR'`).join(", ");
    return `read_csv(${sqlList(group)}, auto_detect = false, header = true, delim = ${sqlString(delimiter)}, quote = '"', escape = '"', columns = {${columns}},
      filename = '${FILE_COLUMN}', store_rejects = true, rejects_table = '${CSV_REJECTS.table}', rejects_scan = '${CSV_REJECTS.scan}')`;
  });
}

export interface CsvHeader {
  names: string[];
  /** The field separator: a comma, or a semicolon, tab or bar when the header uses one of them instead. */
  delimiter: string;
}

/** Separators a spreadsheet export may use instead of a comma (the header's most frequent wins; ties go to the first). */
const OTHER_DELIMITERS = [";", "\t", "|"];

/**
 * The column names on a CSV file's first line (quoted names may hold separators, quotes
 * and line breaks), and the separator: a comma unless the header has none outside quotes
 * but has semicolons, tabs or bars (a spreadsheet's export in many locales), whichever it
 * has most. An empty name
 * becomes `column<N>` (its 0-based place), as DuckDB names it; two columns of one name
 * are an error, since either could be the one meant.
 */
export function csvHeader(file: string): CsvHeader {
  const fd = fs.openSync(file, "r");
  const decoder = new StringDecoder("utf8");
  let text = "";
  try {
    const chunk = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      text += decoder.write(chunk.subarray(0, n));
      const end = lineEnd(text);
      if (end >= 0 || n === 0) {
        text = end >= 0 ? text.slice(0, end) : text;
        break;
      }
      if (text.length > HEADER_LIMIT) throw badHeader(file, "its first line does not end within 1 MB (an unterminated quote in the header?)", "check the header line's quotes");
    }
  } finally {
    fs.closeSync(fd);
  }
  text = text.replace(/^\uFEFF/, "").replace(/\r$/, "");
  if (text.trim() === "") {
    if (blankFile(file)) return { names: [], delimiter: "," };
    throw badHeader(file, "line 1 is blank, so the header cannot be found and no row can be read", "remove the blank lines before the header: the column names must be on line 1");
  }
  const unquoted = text.replace(/"(?:[^"]|"")*"/g, "");
  const count = (d: string): number => unquoted.split(d).length - 1;
  const other = OTHER_DELIMITERS.reduce((best, d) => (count(d) > count(best) ? d : best));
  const delimiter = count(",") === 0 && count(other) > 0 ? other : ",";
  const names: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted && ch === '"' && text[i + 1] === '"') (field += '"'), i++;
    else if (ch === '"') quoted = !quoted;
    else if (ch === delimiter && !quoted) names.push(field), (field = "");
    else field += ch;
  }
  names.push(field);
  const named = names.map((n, i) => (n.trim() === "" ? `column${i}` : n.trim()));
  // SQL names ignore case: `email` and `Email` are one column twice.
  const lower = named.map((n) => n.toLowerCase());
  const twice = named.find((n, i) => lower.indexOf(n.toLowerCase()) !== i);
  if (twice !== undefined) {
    throw badHeader(file, `the header names the column "${twice}" twice, so its rows cannot say which one is meant`, "rename or remove one of the two columns in the export");
  }
  return { names: named, delimiter };
}

const HEADER_LIMIT = 1024 * 1024;

/** Whether the file holds nothing but blanks and line breaks, after any byte-order mark (read up to its first other character). */
function blankFile(file: string): boolean {
  const fd = fs.openSync(file, "r");
  try {
    const chunk = Buffer.alloc(64 * 1024);
    for (let first = true; ; first = false) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) return true;
      // A byte-order mark alone (a spreadsheet's export of nothing) is as empty as no bytes.
      const start = first && chunk.subarray(0, 3).equals(UTF8_BOM) ? 3 : 0;
      if (chunk.subarray(start, n).some((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d)) return false;
    }
  } finally {
    fs.closeSync(fd);
  }
}

function badHeader(file: string, message: string, hint: string): NurtureError {
  return new NurtureError("bad-csv-header", `cannot read the header of ${file}`, {
    problems: [{ code: "bad-csv-header", severity: "error", file, line: 1, message, hint }],
  });
}

/** Where the first line ends (a line break outside double quotes), or -1 if not yet seen. */
function lineEnd(text: string): number {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') quoted = !quoted;
    else if (text[i] === "\n" && !quoted) return i;
  }
  return -1;
}
