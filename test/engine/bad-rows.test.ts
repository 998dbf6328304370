import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterEach, describe, expect, it } from "vitest";
import { nurture } from "../support/cli.ts";
import { openSnapshot } from "../../src/engine/index.ts";
import { describeBadRows, withBadRowExamples, type BadRowsWithExamples } from "../../src/engine/data/bad-row-examples.ts";

const CONFIG = "test/fixtures/config/valid";
const user = (id: string, extra: Record<string, unknown> = {}) => ({ user_id: id, email: `${id}@example.com`, created_at: "2026-11-19T10:00:00Z", plan: "trial", ...extra });
const event = (id: string, ts: string) => ({ user_id: id, event: "task.created", ts });

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A data dir holding `files` (path under it → content; an array of objects becomes NDJSON lines). */
function dataDir(files: Record<string, string | object[]>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-bad-rows-"));
  dirs.push(dir);
  for (const table of ["users", "events"]) fs.mkdirSync(path.join(dir, "snapshots", table), { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), typeof content === "string" ? content : content.map((r) => JSON.stringify(r)).join("\n"));
  }
  return dir;
}

/** What the snapshot under `dir` sets aside, with examples, as the CLI reads them. */
async function badRows(dir: string, options: { user?: string } = {}): Promise<BadRowsWithExamples[]> {
  const snapshot = await openSnapshot(dir);
  try {
    return await withBadRowExamples(snapshot.connection, await snapshot.badRows(), { dataDir: dir, ...options });
  } finally {
    snapshot.close();
  }
}

const find = (rows: BadRowsWithExamples[], reason: string) => rows.find((r) => r.reason === reason)!;

describe("set-aside rows: examples", () => {
  it("keeps each count's table, reason and number and adds the row's file, relative to the data dir, and its columns", async () => {
    const dir = dataDir({ "snapshots/users/u.ndjson": [user("u1")], "snapshots/events/e.ndjson": [event("u1", "yesterday")] });
    expect(await badRows(dir)).toEqual([{
      table: "events", reason: "missing or unparseable ts", count: 1,
      examples: [{ file: "snapshots/events/e.ndjson", text: '{"user_id":"u1","event":"task.created","ts":"yesterday"}' }],
    }]);
  });

  it("gives at most three examples per (table, reason), the first by file", async () => {
    const dir = dataDir({
      "snapshots/users/u.ndjson": [user("u1")],
      "snapshots/events/a.ndjson": [event("u1", "bad-a")],
      "snapshots/events/b.ndjson": [event("u1", "bad-b1"), event("u1", "bad-b2"), event("u1", "bad-b3")],
    });
    const bad = find(await badRows(dir), "missing or unparseable ts");
    expect(bad.count).toBe(4);
    expect(bad.examples.map((e) => e.file)).toEqual(["snapshots/events/a.ndjson", "snapshots/events/b.ndjson", "snapshots/events/b.ndjson"]);
  });

  it("gives the line of an NDJSON line that is not a JSON object", async () => {
    const dir = dataDir({ "snapshots/users/u.ndjson": `${JSON.stringify(user("u1"))}\n{"user_id": "u2",\n` });
    expect(find(await badRows(dir), "not a JSON object").examples).toEqual([{ file: "snapshots/users/u.ndjson", line: 2, text: '{"user_id": "u2",' }]);
  });

  it("gives the line, the text and DuckDB's error of a CSV row that does not parse", async () => {
    const dir = dataDir({ "snapshots/users/u.csv": 'user_id,email,created_at\nu1,a@example.com,2026-11-19T10:00:00Z\nu2,"open,2026-11-19T10:00:00Z\n' });
    const [example] = find(await badRows(dir), "malformed CSV row").examples;
    expect(example).toMatchObject({ file: "snapshots/users/u.csv", line: 3, text: 'u2,"open,2026-11-19T10:00:00Z' });
    expect(example!.error).toMatch(/quote/i);
  });

  it("gives the 1-based row of a Parquet users row", async () => {
    const dir = dataDir({});
    fs.mkdirSync(path.join(dir, "snapshots/users"), { recursive: true });
    const db = await DuckDBInstance.create(":memory:");
    const conn = await db.connect();
    await conn.run(`COPY (SELECT * FROM (VALUES ('u1', '2026-11-19T10:00:00Z'), ('u2', 'never')) t(user_id, created_at))
      TO '${path.join(dir, "snapshots/users/u.parquet").replaceAll("'", "''")}' (FORMAT parquet)`);
    conn.closeSync();
    db.closeSync();
    expect(find(await badRows(dir), "missing or unparseable created_at").examples).toEqual([
      { file: "snapshots/users/u.parquet", row: 2, text: '{"user_id":"u2","created_at":"never"}' },
    ]);
  });

  it("gives a torn ledger line's text as written", async () => {
    const dir = dataDir({ "snapshots/users/u.ndjson": [user("u1")], "ledger/r1.ndjson": '{"kind":"sent","at":"2026-11-19T00:00:00Z","key":"k"}\n{"kind":"se' });
    expect((await badRows(dir))[0]).toMatchObject({ table: "ledger", examples: [{ file: "ledger/r1.ndjson", text: '{"kind":"se' }] });
  });

  it("cuts a row's text to 120 characters", async () => {
    const dir = dataDir({ "snapshots/users/u.ndjson": [user("u1"), user("", { note: "x".repeat(300) })] });
    const [example] = find(await badRows(dir), "missing user_id").examples;
    expect(example!.text).toHaveLength(120);
    expect(example!.text).toMatch(/"note":"x+…$/);
  });

  it("shows a row's text on one line, without control characters that could drive a terminal", async () => {
    const dir = dataDir({ "snapshots/users/u.ndjson": `${JSON.stringify(user("u1"))}\nnot\tjson \u001b[31mred\r\n` });
    expect(find(await badRows(dir), "not a JSON object").examples[0]!.text).toBe("not json  [31mred");
  });

  it("shows the given user's rows first", async () => {
    const dir = dataDir({
      "snapshots/users/u.ndjson": [user("u1"), user("u9")],
      "snapshots/events/a.ndjson": [event("u1", "bad-1"), event("u1", "bad-2"), event("u1", "bad-3")],
      "snapshots/events/b.ndjson": [event("u9", "bad-9")],
    });
    const [first] = find(await badRows(dir, { user: "u9" }), "missing or unparseable ts").examples;
    expect(first).toMatchObject({ file: "snapshots/events/b.ndjson", text: expect.stringContaining('"ts":"bad-9"') });
  });

  it("describes each count with its examples indented under it and how many more there are", () => {
    const lines = describeBadRows([{
      table: "events", reason: "missing or unparseable ts", count: 5,
      examples: [{ file: "snapshots/events/e.csv", line: 7, text: "u1,x,soon" }, { file: "snapshots/events/e.parquet", row: 2, text: "{}" }],
    }]);
    expect(lines).toEqual([
      "set aside: 5 events row(s): missing or unparseable ts",
      "    snapshots/events/e.csv line 7: u1,x,soon",
      "    snapshots/events/e.parquet row 2: {}",
      "    … 3 more",
    ]);
  });
});

describe("nurture preview --user", () => {
  /** `preview --user` over a snapshot of u1, and u2 whose row is set aside (its created_at is no time). */
  const previewOf = (userId: string, ...flags: string[]) => {
    const dir = dataDir({ "snapshots/users/u.ndjson": [user("u1"), user("u2", { created_at: "soon" })] });
    return nurture("preview", "--config", CONFIG, "--data", dir, "--out", path.join(dir, "out"), "--template", "welcome-1", "--user", userId, ...flags);
  };

  it("reports the rows set aside while reading the user's data", async () => {
    const r = await previewOf("u1");
    expect(r.code).toBe(0);
    expect(r.err).toContain("set aside: 1 users row(s): missing or unparseable created_at");
    expect(r.err).toContain('    snapshots/users/u.ndjson: {"user_id":"u2"');
  });

  it("says a user whose row was set aside is not unknown, but why the row was set aside", async () => {
    const r = await previewOf("u2");
    expect(r.code).toBe(1);
    expect(r.err).toContain('no user "u2" in the snapshot');
    expect(r.err).toContain("its row was set aside as bad (missing or unparseable created_at)");
  });

  it("adds them to the JSON", async () => {
    const r = await previewOf("u1", "--json");
    expect(JSON.parse(r.out).badRows).toMatchObject([{ table: "users", reason: "missing or unparseable created_at", count: 1, examples: [{ file: "snapshots/users/u.ndjson" }] }]);
  });
});
