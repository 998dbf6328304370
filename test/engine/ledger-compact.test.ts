import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterEach, describe, expect, it } from "vitest";
import { openSnapshot } from "../../src/engine/index.ts";
import { compactLedger } from "../../src/engine/ledger/compact.ts";
import { messageKey } from "../../src/engine/evaluate/key.ts";
import { acquireRunLock } from "../../src/engine/send/lock.ts";
import { nurture } from "../support/cli.ts";

const CONFIG = "test/fixtures/config/valid";
const NOW = "2026-11-03T09:00:00Z"; // October ended two days ago: September and October are compacted
const SIGNUP = "2026-09-28T10:00:00.000Z";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** The lines a run writes when it sends `step` of the welcome sequence to u1. */
function sentLines(run: string, step: string, at: string): string[] {
  const key = messageKey("u1", "welcome", step, SIGNUP);
  return [
    { kind: "intent", at, run, key, user_id: "u1", campaign: "welcome", step, template: step, type: "regular", occurrence: SIGNUP, due: at, batch: `${run}-b1` },
    { kind: "sent", at, run, key, provider_id: `p-${step}`, transport: "resend" },
  ].map((r) => JSON.stringify(r));
}

/** A data directory: one trial user who signed up on 28 September, and a run file per send. */
function dataDir(files: Record<string, string[]> = {
  "20260928T150000Z-r1.ndjson": sentLines("r1", "welcome", "2026-09-28T15:00:00.000Z"),
  "20260929T150000Z-r2.ndjson": sentLines("r2", "first-project", "2026-09-29T15:00:00.000Z"),
  "20261001T080000Z-r3.ndjson": sentLines("r3", "offer", "2026-10-01T08:00:00.000Z"),
  "20261102T080000Z-r4.ndjson": sentLines("r4", "subject-test", "2026-11-02T08:00:00.000Z"),
}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-compact-"));
  dirs.push(dir);
  fs.mkdirSync(path.join(dir, "snapshots/users"), { recursive: true });
  fs.mkdirSync(path.join(dir, "snapshots/events"), { recursive: true });
  fs.writeFileSync(path.join(dir, "snapshots/users/u.ndjson"), JSON.stringify({ user_id: "u1", email: "u1@example.com", created_at: SIGNUP, plan: "trial" }));
  fs.writeFileSync(path.join(dir, "snapshots/events/e.ndjson"), "");
  fs.mkdirSync(path.join(dir, "ledger"));
  for (const [name, lines] of Object.entries(files)) fs.writeFileSync(path.join(dir, "ledger", name), lines.map((l) => `${l}\n`).join(""));
  return dir;
}

const ledgerNames = (dir: string): string[] => fs.readdirSync(path.join(dir, "ledger")).sort();

/** Every row of the ledger table a snapshot of `dir` loads, in a stable order. */
async function ledgerRows(dir: string): Promise<Record<string, unknown>[]> {
  const snap = await openSnapshot(dir);
  try {
    const reader = await snap.connection.runAndReadAll(`SELECT * REPLACE ("at"::VARCHAR AS "at") FROM ledger ORDER BY ALL`);
    return reader.getRowObjects();
  } finally {
    snap.close();
  }
}

/** Rows of a DuckDB query over files, on a throwaway in-memory database. */
async function query(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjects();
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

const compact = (dir: string, ...extra: string[]) => nurture("compact-ledger", "--data", dir, "--now", NOW, ...extra);

describe("nurture compact-ledger", () => {
  it("compacts each past month's run files into one archive, and a plan reads the same ledger as before", async () => {
    const dir = dataDir();
    const planArgs = ["plan", "--config", CONFIG, "--data", dir, "--now", NOW, "--json"];
    const before = await nurture(...planArgs);
    const rowsBefore = await ledgerRows(dir);
    // The ledger matters to this plan: without it the sent steps would be due again (or too late).
    const planned = JSON.parse(before.out) as { sends: { step: string }[]; held: { step: string }[] };
    expect([...planned.sends, ...planned.held].map((s) => s.step)).not.toContain("welcome");

    const r = await compact(dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain("2026-09: 2 run file(s), 4 records");
    expect(r.out).toContain("2026-10: 1 run file(s), 2 records");
    expect(ledgerNames(dir)).toEqual(["20261102T080000Z-r4.ndjson", "archive-2026-09.parquet", "archive-2026-10.parquet"]);

    expect(await ledgerRows(dir)).toEqual(rowsBefore);
    expect(rowsBefore).toHaveLength(8);
    const after = await nurture(...planArgs);
    expect(after.code).toBe(0);
    expect(after.out).toBe(before.out);
  });

  it("keeps every line exactly as the run wrote it, with its file, in file order", async () => {
    const dir = dataDir();
    const original = ["20260928T150000Z-r1.ndjson", "20260929T150000Z-r2.ndjson"].flatMap((f) =>
      fs.readFileSync(path.join(dir, "ledger", f), "utf8").trimEnd().split("\n").map((record) => ({ file: f, record })));
    await compactLedger(path.join(dir, "ledger"), { now: new Date(NOW) });
    expect(await query(`SELECT file, record FROM read_parquet('${path.join(dir, "ledger/archive-2026-09.parquet")}')`)).toEqual(original);
  });

  it("keeps file and line order over many run files of many lines, which a parallel read would mix", async () => {
    const files: Record<string, string[]> = {};
    for (let day = 1; day <= 12; day++) {
      const at = `2026-09-${String(day).padStart(2, "0")}T08:00:00.000Z`;
      files[`${at.slice(0, 10).replaceAll("-", "")}T080000Z-r${day}.ndjson`] =
        Array.from({ length: 2000 }, (_, i) => sentLines(`r${day}`, `step-${i}`, at)).flat();
    }
    const dir = dataDir(files);
    const original = Object.entries(files).flatMap(([file, lines]) => lines.map((record) => ({ file, record })));
    await compactLedger(path.join(dir, "ledger"), { now: new Date(NOW) });
    const archived = await query(`SELECT file, record FROM read_parquet('${path.join(dir, "ledger/archive-2026-09.parquet")}')`);
    expect(archived.length).toBe(original.length);
    expect(archived).toEqual(original);
  });

  it("leaves this month, a month ended less than --keep-days ago and files without a start time as they are", async () => {
    const dir = dataDir({
      "20261031T080000Z-r1.ndjson": sentLines("r1", "welcome", "2026-10-31T08:00:00.000Z"),
      "20261102T080000Z-r2.ndjson": sentLines("r2", "offer", "2026-11-02T08:00:00.000Z"),
      "manual.ndjson": sentLines("m", "first-project", "2026-09-30T08:00:00.000Z"),
    });
    const r = await compact(dir, "--keep-days", "3");
    expect(r.code).toBe(0);
    expect(r.out).toContain("nothing to compact");
    expect(ledgerNames(dir)).toEqual(["20261031T080000Z-r1.ndjson", "20261102T080000Z-r2.ndjson", "manual.ndjson"]);
  });

  it("is safe to repeat, and to stop at any point: nothing is read twice, and the next compaction finishes", async () => {
    const dir = dataDir();
    const rowsBefore = await ledgerRows(dir);
    const saved = new Map(ledgerNames(dir).map((f) => [f, fs.readFileSync(path.join(dir, "ledger", f))]));
    await compact(dir);
    const archives = ledgerNames(dir);

    // Stopped after the archives were in place but before the run files were removed,
    // and while writing another archive.
    for (const [f, content] of saved) fs.writeFileSync(path.join(dir, "ledger", f), content);
    fs.writeFileSync(path.join(dir, "ledger", ".archive-2026-10-2.parquet.tmp"), "half-written");
    expect(await ledgerRows(dir)).toEqual(rowsBefore);

    const again = await compact(dir, "--json");
    expect(again.code).toBe(0);
    const result = JSON.parse(again.out) as { archives: unknown[]; removed: string[] };
    expect(result.archives).toEqual([]);
    expect(result.removed).toEqual(["20260928T150000Z-r1.ndjson", "20260929T150000Z-r2.ndjson", "20261001T080000Z-r3.ndjson"]);
    expect(ledgerNames(dir)).toEqual(archives);
    expect(await ledgerRows(dir)).toEqual(rowsBefore);
    expect((await compact(dir)).out).toContain("nothing to compact");
  });

  it("puts files of an archived month that appear later into a new archive, never rewriting the first", async () => {
    const dir = dataDir();
    await compact(dir);
    const first = fs.readFileSync(path.join(dir, "ledger/archive-2026-09.parquet"));
    fs.writeFileSync(path.join(dir, "ledger/20260930T080000Z-late.ndjson"), `${sentLines("late", "subject-test", "2026-09-30T08:00:00.000Z").join("\n")}\n`);
    const r = await compact(dir);
    expect(r.out).toContain("2026-09: 1 run file(s), 2 records → ");
    expect(r.out).toContain("archive-2026-09-2.parquet");
    expect(fs.readFileSync(path.join(dir, "ledger/archive-2026-09.parquet")).equals(first)).toBe(true);
    expect(await ledgerRows(dir)).toHaveLength(10);
  });

  it("splits a month whose files are large over several archives, whole files each", async () => {
    const dir = dataDir();
    const rowsBefore = await ledgerRows(dir);
    const size = fs.statSync(path.join(dir, "ledger/20260928T150000Z-r1.ndjson")).size;
    const result = await compactLedger(path.join(dir, "ledger"), { now: new Date(NOW), maxSourceBytes: size + 1 });
    expect(result.archives.map((a) => [a.archive, a.files])).toEqual([
      ["archive-2026-09.parquet", ["20260928T150000Z-r1.ndjson"]],
      ["archive-2026-09-2.parquet", ["20260929T150000Z-r2.ndjson"]],
      ["archive-2026-10.parquet", ["20261001T080000Z-r3.ndjson"]],
    ]);
    expect(await ledgerRows(dir)).toEqual(rowsBefore);
  });

  it("leaves a file whose last line is torn as it is, and says why", async () => {
    const torn = sentLines("r1", "welcome", "2026-09-28T15:00:00.000Z");
    const dir = dataDir({ "20260928T150000Z-r1.ndjson": [torn[0]!, torn[1]!.slice(0, 30)] });
    fs.writeFileSync(path.join(dir, "ledger/20260928T150000Z-r1.ndjson"), `${torn[0]}\n${torn[1]!.slice(0, 30)}`);
    const r = await compact(dir);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/left .*20260928T150000Z-r1\.ndjson as it is: its last line is torn/);
    expect(ledgerNames(dir)).toEqual(["20260928T150000Z-r1.ndjson"]);
  });

  it("refuses a damaged line, naming the file and line, and writes and removes nothing", async () => {
    const lines = sentLines("r1", "welcome", "2026-09-28T15:00:00.000Z");
    const dir = dataDir({ "20260928T150000Z-r1.ndjson": [lines[0]!, '{"kind": "sent", oops}', lines[1]!] });
    const r = await compact(dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain("20260928T150000Z-r1.ndjson");
    expect(r.err).toContain("line 2 is not a JSON record");
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(ledgerNames(dir)).toEqual(["20260928T150000Z-r1.ndjson"]);
  });

  it("refuses a record no run writes (an `at` that is not a time, an unknown kind) rather than crash or archive it", async () => {
    const lines = sentLines("r1", "welcome", "2026-09-28T15:00:00.000Z");
    const cases: [string, string][] = [
      ['{"kind": "sent", "at": "yesterday", "run": "r1", "key": "k"}', "line 2 is a `sent` record whose `at` is not a time"],
      ['{"kind": "delivered", "at": "2026-09-28T15:00:00Z", "run": "r1", "key": "k"}', 'line 2 has an unknown kind "delivered"'],
    ];
    for (const [line, said] of cases) {
      const dir = dataDir({ "20260928T150000Z-r1.ndjson": [lines[0]!, line, lines[1]!] });
      const r = await compact(dir);
      expect(r.code).toBe(1);
      expect(r.err).toContain("20260928T150000Z-r1.ndjson");
      expect(r.err).toContain(said);
      expect(r.err).not.toMatch(/this is a bug|\n\s+at /);
      expect(ledgerNames(dir)).toEqual(["20260928T150000Z-r1.ndjson"]);
    }
  });

  it("an archive that is not one is an error naming it, for every reader", async () => {
    const dir = dataDir({});
    fs.writeFileSync(path.join(dir, "ledger/archive-2026-09.parquet"), "not parquet");
    const r = await nurture("plan", "--config", CONFIG, "--data", dir, "--now", NOW);
    expect(r.code).toBe(1);
    expect(r.err).toContain("the ledger archive");
    expect(r.err).toContain("archive-2026-09.parquet is not a readable Parquet file");
    expect(r.err).toContain("restore the file from git");

    // Parquet, but not written by compact-ledger: without its list of files, they would be read twice.
    fs.rmSync(path.join(dir, "ledger/archive-2026-09.parquet"));
    await query(`COPY (SELECT 'sent' AS kind) TO '${path.join(dir, "ledger/archive-2026-10.parquet")}' (FORMAT parquet)`);
    const unlisted = await nurture("plan", "--config", CONFIG, "--data", dir, "--now", NOW);
    expect(unlisted.code).toBe(1);
    expect(unlisted.err).toContain('archive-2026-10.parquet has no list of the run files it holds (Parquet metadata "nurture_ledger_files")');
  });

  it("waits for no run: while a run holds the lock it exits 1 and changes nothing", async () => {
    const dir = dataDir();
    const release = acquireRunLock(path.join(dir, "spool/.run.lock"));
    try {
      const r = await compact(dir);
      expect(r.code).toBe(1);
      expect(ledgerNames(dir)).toHaveLength(4);
    } finally {
      release();
    }
  });

  it("rejects --keep-days under 2 as a usage error", async () => {
    const r = await compact(dataDir(), "--keep-days", "1");
    expect(r.code).toBe(2);
    expect(r.err).toContain("--keep-days 1");
  });
});
