import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { openSnapshot, type Snapshot, type SnapshotOptions } from "../../src/engine/index.ts";

let dirs: string[] = [];
let open: Snapshot[] = [];
afterEach(() => {
  for (const s of open) s.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs = [];
  open = [];
});

/** A data dir with the given files (paths relative to it) and, unless there are none, both snapshot tables' directories. */
function dataDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-snap-"));
  dirs.push(dir);
  if (Object.keys(files).length > 0) {
    for (const table of ["users", "events"]) if (!(`snapshots/${table}` in files)) fs.mkdirSync(path.join(dir, "snapshots", table), { recursive: true });
  }
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  return dir;
}

async function snap(dir: string, options: SnapshotOptions = {}): Promise<Snapshot> {
  const s = await openSnapshot(dir, options);
  open.push(s);
  return s;
}

async function rows(s: Snapshot, sql: string): Promise<Record<string, unknown>[]> {
  return (await s.connection.runAndReadAll(sql)).getRowObjects();
}

const USERS_CSV = [
  "user_id,email,first_name,created_at,timezone,plan",
  "u1,ann@example.com,Ann,2026-11-01T10:00:00Z,Europe/Berlin,trial",
  "u2,bob@example.com,Bob,2026-11-02T09:30:00+02:00,,pro",
  ",nobody@example.com,No,2026-11-03T00:00:00Z,,trial",
  "u3,cat@example.com,Cat,not a date,,trial",
  "u1,again@example.com,Ann2,2026-11-05T00:00:00Z,,trial",
].join("\n");

/** A data dir with USERS_CSV and one Parquet event (u1's task.created, id p1), written by DuckDB. */
async function oneParquetEvent(): Promise<string> {
  const dir = dataDir({ "snapshots/users/users.csv": USERS_CSV });
  const first = await snap(dir);
  const file = path.join(dir, "snapshots/events/2026-11.parquet");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await first.connection.run(`COPY (SELECT 'u1' AS user_id, 'task.created' AS event, TIMESTAMPTZ '2026-11-04 12:00:00+00' AS ts,
    '{"n": 1}'::JSON AS properties, 'p1' AS event_id) TO '${file}' (FORMAT parquet)`);
  return dir;
}

describe("openSnapshot", () => {
  it("loads users from CSV and rejects missing ids, bad times and duplicates with reasons", async () => {
    const s = await snap(dataDir({ "snapshots/users/users.csv": USERS_CSV }));
    const users = await rows(s, "SELECT user_id, epoch(created_at)::BIGINT AS t FROM users ORDER BY user_id");
    expect(users.map((u) => u.user_id)).toEqual(["u1", "u2"]);
    // the +02:00 offset is honoured: 09:30+02:00 is 07:30 UTC
    expect(Number(users[1]!.t)).toBe(Date.parse("2026-11-02T07:30:00Z") / 1000);
    expect(await s.badRows()).toEqual([
      { table: "users", reason: "duplicate user_id (the first row, in snapshots/users/users.csv, is kept)", count: 1 },
      { table: "users", reason: "missing or unparseable created_at", count: 1 },
      { table: "users", reason: "missing user_id", count: 1 },
    ]);
    const rejected = await rows(s, "SELECT source, row_json FROM rejected_rows WHERE reason = 'missing user_id'");
    expect(String(rejected[0]!.source)).toMatch(/users\.csv$/);
    expect(String(rejected[0]!.row_json)).toContain("nobody@example.com");
  });

  it("names the file whose row it kept when a second file repeats a user_id (a stray file that sorts first wins)", async () => {
    const s = await snap(dataDir({
      "snapshots/users/users.csv": USERS_CSV,
      "snapshots/users/extra/stray.ndjson": JSON.stringify({ user_id: "u2", email: "stray@example.com", created_at: "2026-11-09T00:00:00Z" }),
    }));
    const u2 = await rows(s, "SELECT email FROM users WHERE user_id = 'u2'");
    expect(u2).toEqual([{ email: "stray@example.com" }]);
    const bad = await s.badRows();
    expect(bad.filter((b) => b.reason.startsWith("duplicate"))).toEqual([
      { table: "users", reason: "duplicate user_id (the first row, in snapshots/users/extra/stray.ndjson, is kept)", count: 1 },
      { table: "users", reason: "duplicate user_id (the first row, in snapshots/users/users.csv, is kept)", count: 1 },
    ]);
  });

  it("loads events from NDJSON and CSV together, dedupes by event_id, and rejects bad rows", async () => {
    const ndjson = [
      { user_id: "u1", event: "task.created", ts: "2026-11-02T10:00:00Z", event_id: "e1", properties: { source: "mobile" } },
      { user_id: "u1", event: "task.created", ts: "2026-11-02T10:00:00Z", event_id: "e1", properties: { source: "mobile" } },
      { user_id: "u2", event: "task.created", ts: "2026-11-02T11:00:00+01:00" },
      { user_id: "ghost", event: "task.created", ts: "2026-11-02T10:00:00Z" },
      { user_id: "u1", event: "task.created", ts: "yesterday" },
      { event: "task.created", ts: "2026-11-02T10:00:00Z" },
    ].map((r) => JSON.stringify(r)).join("\n");
    const csv = 'user_id,event,ts,properties,event_id\nu2,page.viewed,2026-11-03T08:00:00Z,"{""path"": ""/pricing""}",e9\nu2,page.viewed,2026-11-03T08:00:00Z,{broken,e10\n';
    const s = await snap(dataDir({
      "snapshots/users/users.csv": USERS_CSV,
      "snapshots/events/day=2026-11-02/part.ndjson": ndjson,
      "snapshots/events/day=2026-11-03/part.csv": csv,
    }));
    const events = await rows(s, "SELECT user_id, event, properties->>'source' AS source, properties->>'path' AS path FROM events ORDER BY ts");
    expect(events).toEqual([
      { user_id: "u1", event: "task.created", source: "mobile", path: null },
      { user_id: "u2", event: "task.created", source: null, path: null },
      { user_id: "u2", event: "page.viewed", source: null, path: "/pricing" },
    ]);
    const bad = (await s.badRows()).filter((b) => b.table === "events");
    expect(bad).toEqual(expect.arrayContaining([
      { table: "events", reason: "duplicate event_id (counted once)", count: 1 },
      { table: "events", reason: "unknown user", count: 1 },
      { table: "events", reason: "missing or unparseable ts", count: 1 },
      { table: "events", reason: "missing user_id", count: 1 },
      { table: "events", reason: "properties is not valid JSON", count: 1 },
    ]));
    expect(bad.reduce((n, b) => n + b.count, 0)).toBe(5);
  });


  it("sets aside NDJSON lines that are not JSON objects, with their line, and loads every other line", async () => {
    const users = ['{"user_id":"u1","created_at":"2026-11-01T10:00:00Z","plan":"trial"}', "{not json", '{"user_id":"u2","created_at":"2026-11-01T11:00:00Z"}', ""].join("\n");
    const events = ['{"user_id":"u1","event":"a","ts":"2026-11-02T10:00:00Z"}', "[1, 2]", "{}", '{"user_id":"u2","event":"b","ts":"2026-11-02T11:00:00Z"}'].join("\n");
    const s = await snap(dataDir({ "snapshots/users/u.ndjson": users, "snapshots/events/e.ndjson": events }));
    expect(await rows(s, "SELECT user_id, plan FROM users ORDER BY user_id")).toEqual([{ user_id: "u1", plan: "trial" }, { user_id: "u2", plan: null }]);
    expect(await rows(s, "SELECT user_id, event FROM events ORDER BY ts")).toEqual([{ user_id: "u1", event: "a" }, { user_id: "u2", event: "b" }]);
    expect(await s.badRows()).toEqual([
      { table: "events", reason: "not a JSON object", count: 2 },
      { table: "users", reason: "not a JSON object", count: 1 },
    ]);
    expect(await rows(s, "SELECT tbl, row_json FROM rejected_rows ORDER BY tbl, row_json")).toEqual([
      { tbl: "events", row_json: '{"line":2,"text":"[1, 2]"}' },
      { tbl: "events", row_json: '{"line":3,"text":"{}"}' },
      { tbl: "users", row_json: '{"line":2,"text":"{not json"}' },
    ]);
  });
  it("sets aside CSV rows that do not parse, with their line and the error, and loads every other row", async () => {
    // A row with an extra field, one missing a field, and (last) an unterminated quote, which
    // DuckDB's sniffer had taken for the header, losing the good rows.
    const users = [USERS_CSV.split("\n")[0], "u1,ann@example.com,Ann,2026-11-01T10:00:00Z,,trial,extra", "u2,bob@example.com,Bob,2026-11-02T09:30:00Z,,pro", "u3,cat@example.com"].join("\n");
    const events = ["user_id,event,ts", "u2,a,2026-11-03T00:00:00Z", "u2,b,2026-11-04T00:00:00Z,extra,\"unterminated"].join("\n");
    const s = await snap(dataDir({ "snapshots/users/users.csv": users, "snapshots/events/e.csv": events }));
    expect(await rows(s, "SELECT user_id, plan FROM users")).toEqual([{ user_id: "u2", plan: "pro" }]);
    expect(await rows(s, "SELECT user_id, event FROM events")).toEqual([{ user_id: "u2", event: "a" }]);
    expect(await s.badRows()).toEqual([
      { table: "events", reason: "malformed CSV row", count: 1 },
      { table: "users", reason: "malformed CSV row", count: 2 },
    ]);
    expect((await rows(s, "SELECT tbl, row_json FROM rejected_rows ORDER BY tbl, row_json")).map((r) => [r.tbl, JSON.parse(String(r.row_json))])).toEqual([
      ["events", { line: 3, text: 'u2,b,2026-11-04T00:00:00Z,extra,"unterminated', error: "Expected Number of Columns: 3 Found: 4" }],
      ["users", { line: 2, text: "u1,ann@example.com,Ann,2026-11-01T10:00:00Z,,trial,extra", error: "Expected Number of Columns: 6 Found: 7" }],
      ["users", { line: 4, text: "u3,cat@example.com", error: "Expected Number of Columns: 6 Found: 2" }],
    ]);
  });

  it("reads each CSV file by its own header: quoted names, a byte-order mark, CRLF, quoted line breaks, blank lines", async () => {
    const a = '\uFEFFuser_id,"created_at",plan\r\nu1,2026-11-01T10:00:00Z,trial\r\n\r\n';
    const b = 'created_at,user_id,"team, size"\nnot a date,u2,3\n2026-11-02T00:00:00Z,u3,"1,5"\n';
    const events = 'event,user_id,ts,properties\n"two\nlines",u1,2026-11-03T00:00:00Z,"{""n"": 1}"\n';
    const s = await snap(dataDir({ "snapshots/users/a.csv": a, "snapshots/users/b.csv": b, "snapshots/users/empty.csv": "", "snapshots/events/e.csv": events }));
    expect(await rows(s, 'SELECT user_id, plan, "team, size" AS size FROM users ORDER BY user_id')).toEqual([
      { user_id: "u1", plan: "trial", size: null },
      { user_id: "u3", plan: null, size: "1,5" },
    ]);
    expect(await s.badRows()).toEqual([{ table: "users", reason: "missing or unparseable created_at", count: 1 }]);
    expect(await rows(s, "SELECT event, properties->>'n' AS n FROM events")).toEqual([{ event: "two\nlines", n: "1" }]);
  });

  it("reads a CSV file separated by semicolons or tabs, as spreadsheets export it in many locales", async () => {
    const semicolons = 'user_id;created_at;"plan; tier"\nu1;2026-11-01T10:00:00Z;"trial; monthly"\n';
    const tabs = "user_id\tcreated_at\tplan; tier\nu2\t2026-11-02T10:00:00Z\tpro\n";
    const s = await snap(dataDir({ "snapshots/users/a.csv": semicolons, "snapshots/users/b.csv": tabs }));
    expect(await rows(s, 'SELECT user_id, "plan; tier" AS plan FROM users ORDER BY user_id')).toEqual([
      { user_id: "u1", plan: "trial; monthly" },
      { user_id: "u2", plan: "pro" },
    ]);
    expect(await s.badRows()).toEqual([]);
  });

  it("refuses a CSV header that names a column twice, naming the file and the column", async () => {
    const dir = dataDir({ "snapshots/users/users.csv": "user_id,created_at,user_id\nu1,2026-11-01T10:00:00Z,u2\n" });
    await expect(openSnapshot(dir)).rejects.toMatchObject({
      code: "bad-csv-header",
      problems: [{ file: expect.stringMatching(/users\.csv$/), line: 1, message: expect.stringContaining('the header names the column "user_id" twice') }],
    });
  });

  it("reads Parquet written by DuckDB", async () => {
    const dir = await oneParquetEvent();
    const s = await snap(dir);
    expect(await rows(s, "SELECT user_id, properties->>'n' AS n FROM events")).toEqual([{ user_id: "u1", n: "1" }]);
    // event_id serves deduplication and is then dropped, unless the caller writes the events back out
    expect(await rows(s, "SELECT column_name FROM (DESCRIBE events)")).not.toContainEqual({ column_name: "event_id" });
    const kept = await snap(dir, { keepEventIds: true });
    expect(await rows(kept, "SELECT user_id, event_id FROM events")).toEqual([{ user_id: "u1", event_id: "p1" }]);
  });

  it("keeps a Parquet DATE a day when another users file gives the column as a TIMESTAMP, instead of widening it to midnight UTC", async () => {
    const dir = dataDir({ "snapshots/users/none.csv": "" });
    const writer = await snap(dataDir({ "snapshots/users/u.csv": "user_id,created_at\n" }));
    const copy = (select: string, name: string) => writer.connection.run(`COPY (SELECT ${select}) TO '${path.join(dir, "snapshots/users", name)}' (FORMAT parquet)`);
    await copy("'la' AS user_id, TIMESTAMPTZ '2026-11-01 00:00:00+00' AS created_at, 'America/Los_Angeles' AS timezone, DATE '2026-11-26' AS Trial_Ends_At", "part-1.parquet");
    await copy("'ny' AS user_id, TIMESTAMPTZ '2026-11-01 00:00:00+00' AS created_at, TIMESTAMP '2026-11-26 12:00:00' AS trial_ends_at, 3 AS seats", "part-2.parquet");
    await copy("'sf' AS user_id, TIMESTAMPTZ '2026-11-01 00:00:00+00' AS created_at, 4::BIGINT AS seats", "part-3.parquet");
    const s = await snap(dir);
    expect(await s.userAttributes("la")).toMatchObject({ Trial_Ends_At: "2026-11-26", created_at: "2026-11-01T00:00:00.000Z" });
    expect(await s.userAttributes("ny")).toMatchObject({ Trial_Ends_At: "2026-11-26 12:00:00", seats: 3 });
    expect(await s.userAttributes("sf")).toMatchObject({ Trial_Ends_At: null, seats: 4 });
  });

  it("reads Parquet events where they lie, and copies them when the ids are kept or another format is among them", async () => {
    const dir = await oneParquetEvent();
    const kind = async (s: Snapshot) => (await rows(s, "SELECT table_type AS t FROM information_schema.tables WHERE table_name = 'events'"))[0]!.t;
    expect(await kind(await snap(dir))).toBe("VIEW");
    expect(await kind(await snap(dir, { keepEventIds: true }))).toBe("BASE TABLE");
    fs.writeFileSync(path.join(dir, "snapshots/events/late.ndjson"), JSON.stringify({ user_id: "u2", event: "task.created", ts: "2026-11-05T12:00:00Z" }));
    const mixed = await snap(dir);
    expect(await kind(mixed)).toBe("BASE TABLE");
    expect(await rows(mixed, "SELECT user_id FROM events ORDER BY ts")).toEqual([{ user_id: "u1" }, { user_id: "u2" }]);
  });

  it("sets aside an event whose properties are JSON but not an object, in every format, and reads null as none", async () => {
    const dir = dataDir({
      "snapshots/users/users.csv": USERS_CSV,
      "snapshots/events/a.ndjson": [
        '{"user_id":"u1","event":"a","ts":"2026-11-02T10:00:00Z","properties":{"n":1}}',
        '{"user_id":"u1","event":"b","ts":"2026-11-02T10:01:00Z","properties":[1,2]}',
        '{"user_id":"u1","event":"c","ts":"2026-11-02T10:02:00Z","properties":null}',
        '{"user_id":"u1","event":"d","ts":"2026-11-02T10:03:00Z","properties":"[3]"}',
      ].join("\n"),
      "snapshots/events/b.csv": 'user_id,event,ts,properties\nu2,e,2026-11-02T11:00:00Z,42\nu2,f,2026-11-02T11:01:00Z, {"m": 2}\nu2,g,2026-11-02T11:02:00Z,null\n',
    });
    const first = await snap(dir);
    await first.connection.run(`COPY (SELECT 'u1' AS user_id, 'h' AS event, TIMESTAMPTZ '2026-11-02 12:00:00+00' AS ts, '"text"' AS properties
      UNION ALL SELECT 'u1', 'i', TIMESTAMPTZ '2026-11-02 12:01:00+00', '{"k": true}') TO '${path.join(dir, "snapshots/events/c.parquet")}' (FORMAT parquet)`);
    first.close();
    const s = await snap(dir);
    expect(await rows(s, "SELECT event FROM events ORDER BY ts")).toEqual(["a", "c", "f", "g", "i"].map((event) => ({ event })));
    expect((await s.badRows()).filter((b) => b.table === "events")).toEqual([{ table: "events", reason: "properties is not a JSON object", count: 4 }]);
    const shown = await rows(s, "SELECT row_json FROM rejected_rows WHERE reason = 'properties is not a JSON object' ORDER BY row_json");
    expect(shown.map((r) => String(r.row_json))).toEqual(expect.arrayContaining([expect.stringContaining("[1,2]"), expect.stringContaining("42")]));
  });

  it("checks typed Parquet rows as strictly as text: duplicates across files, bad JSON, unknown users, missing times", async () => {
    const dir = dataDir({ "snapshots/users/users.csv": USERS_CSV });
    const first = await snap(dir);
    const events = path.join(dir, "snapshots/events");
    fs.mkdirSync(events, { recursive: true });
    const row = (user: string | null, ts: string | null, properties: string, id: string): string =>
      `SELECT ${user === null ? "NULL" : `'${user}'`} AS user_id, 'task.created' AS event,
        ${ts === null ? "NULL" : `TIMESTAMPTZ '${ts}'`} AS ts, '${properties}' AS properties, '${id}' AS event_id`;
    await first.connection.run(`COPY (${row("u1", "2026-11-04 12:00:00+00", '{"n": 1}', "p1")} UNION ALL ${row("u2", "2026-11-04 13:00:00+00", "{broken", "p2")}
      UNION ALL ${row("ghost", "2026-11-04 14:00:00+00", "{}", "p3")} UNION ALL ${row("u2", null, "{}", "p4")}) TO '${events}/a.parquet' (FORMAT parquet)`);
    await first.connection.run(`COPY (${row("u1", "2026-11-05 12:00:00+00", '{"n": 2}', "p1")} UNION ALL ${row(null, "2026-11-05 12:00:00+00", "{}", "p5")}
      UNION ALL ${row("u1", "2026-11-05 13:00:00+00", "[1]", "p6")})
      TO '${events}/b.parquet' (FORMAT parquet)`);
    const s = await snap(dir);
    expect(await rows(s, "SELECT user_id, properties->>'n' AS n FROM events")).toEqual([{ user_id: "u1", n: "1" }]);
    expect((await s.badRows()).filter((b) => b.table === "events")).toEqual([
      { table: "events", reason: "duplicate event_id (counted once)", count: 1 },
      { table: "events", reason: "missing or unparseable ts", count: 1 },
      { table: "events", reason: "missing user_id", count: 1 },
      { table: "events", reason: "properties is not a JSON object", count: 1 },
      { table: "events", reason: "properties is not valid JSON", count: 1 },
      { table: "events", reason: "unknown user", count: 1 },
    ]);
    const broken = await rows(s, "SELECT source, row_json FROM rejected_rows WHERE reason = 'properties is not valid JSON'");
    expect(String(broken[0]!.source)).toMatch(/a\.parquet$/);
    expect(String(broken[0]!.row_json)).toContain("{broken");
  });

  it("keeps the first good row of a repeated event_id across formats, and never pairs rows without an id", async () => {
    const dir = dataDir({ "snapshots/users/users.csv": USERS_CSV });
    const first = await snap(dir);
    const events = path.join(dir, "snapshots/events");
    fs.mkdirSync(events, { recursive: true });
    fs.writeFileSync(path.join(events, "a.ndjson"), [
      { user_id: "ghost", event: "task.created", ts: "2026-11-04T09:00:00Z", event_id: "e1", properties: { n: 1 } },
      { user_id: "u1", event: "task.created", ts: "2026-11-04T10:00:00Z", event_id: "e1", properties: { n: 2 } },
      { user_id: "u1", event: "page.viewed", ts: "2026-11-04T11:00:00Z", properties: { n: 4 } },
      { user_id: "u1", event: "page.viewed", ts: "2026-11-04T11:00:00Z", properties: { n: 4 } },
    ].map((r) => JSON.stringify(r)).join("\n"));
    await first.connection.run(`COPY (SELECT 'u1' AS user_id, 'task.created' AS event, TIMESTAMPTZ '2026-11-04 08:00:00+00' AS ts,
      '{"n": 3}'::JSON AS properties, 'e1' AS event_id) TO '${events}/b.parquet' (FORMAT parquet)`);
    const s = await snap(dir);
    expect(await rows(s, "SELECT event, properties->>'n' AS n FROM events ORDER BY ts, n")).toEqual([
      { event: "task.created", n: "2" },
      { event: "page.viewed", n: "4" },
      { event: "page.viewed", n: "4" },
    ]);
    expect((await s.badRows()).filter((b) => b.table === "events")).toEqual([
      { table: "events", reason: "duplicate event_id (counted once)", count: 1 },
      { table: "events", reason: "unknown user", count: 1 },
    ]);
    const duplicate = await rows(s, "SELECT source, row_json FROM rejected_rows WHERE tbl = 'events' AND reason LIKE 'duplicate%'");
    expect(String(duplicate[0]!.source)).toMatch(/b\.parquet$/);
    expect(String(duplicate[0]!.row_json)).toContain('\\"n\\": 3');
  });

  it("gives a user's attributes as plain values and undefined for an unknown id", async () => {
    const s = await snap(dataDir({ "snapshots/users/users.csv": USERS_CSV }));
    expect(await s.userAttributes("u1")).toMatchObject({ user_id: "u1", first_name: "Ann", plan: "trial", created_at: "2026-11-01T10:00:00.000Z" });
    expect(await s.userAttributes("nobody")).toBeUndefined();
  });

  it("loads the ledger and gives empty tables when there are no files", async () => {
    const ledger = JSON.stringify({ kind: "sent", at: "2026-11-02T09:00:00Z", run: "r1", key: "k1", provider_id: "x", transport: "outbox" });
    const s = await snap(dataDir({ "snapshots/.keep": "", "ledger/20261102-r1.ndjson": ledger }));
    expect(await rows(s, "SELECT kind, key FROM ledger")).toEqual([{ kind: "sent", key: "k1" }]);
    expect(await rows(s, "SELECT count(*)::INTEGER AS n FROM users")).toEqual([{ n: 0 }]);
    expect(await rows(s, "SELECT count(*)::INTEGER AS n FROM events")).toEqual([{ n: 0 }]);
  });

  describe("a ledger file a run was killed while writing", () => {
    const line = (key: string) => JSON.stringify({ kind: "sent", at: "2026-11-02T09:00:00Z", run: "r1", key, provider_id: "x", transport: "resend" });

    it("keeps its complete lines and sets its torn last line aside, counted by badRows", async () => {
      const torn = `${line("k1")}\n${line("k2")}\n${line("k3").slice(0, 40)}`;
      const dir = dataDir({ "snapshots/.keep": "", "ledger/20261102T090000Z-r1.ndjson": torn, "ledger/20261103T090000Z-r2.ndjson": `${line("k4")}\n` });
      const s = await snap(dir);
      expect(await rows(s, "SELECT key, \"at\"::VARCHAR AS at FROM ledger ORDER BY key")).toEqual(
        ["k1", "k2", "k4"].map((key) => ({ key, at: "2026-11-02 09:00:00+00" })));
      expect(await s.badRows()).toEqual([{ table: "ledger", reason: "torn last line (its run stopped while writing it)", count: 1 }]);
      expect(await rows(s, "SELECT source, row_json FROM rejected_rows")).toEqual([
        { source: path.join(dir, "ledger/20261102T090000Z-r1.ndjson"), row_json: line("k3").slice(0, 40) },
      ]);
    });

    it("sets aside a torn line that is the file's only line", async () => {
      const s = await snap(dataDir({ "snapshots/.keep": "", "ledger/20261102T090000Z-r1.ndjson": '{"kind":"ba' }));
      expect(await rows(s, "SELECT count(*)::INTEGER AS n FROM ledger")).toEqual([{ n: 0 }]);
      expect((await s.badRows()).map((b) => [b.table, b.count])).toEqual([["ledger", 1]]);
    });

    it("refuses a line that is not JSON before the last, naming the file and line", async () => {
      const file = "ledger/20261102T090000Z-r1.ndjson";
      for (const ending of ["\n", ""]) {
        const dir = dataDir({ "snapshots/.keep": "", [file]: `${line("k1")}\n{"kind": "sent", oops}\n${line("k3")}${ending}` });
        const error = await openSnapshot(dir).catch((e: unknown) => e);
        expect(error, `file ending ${JSON.stringify(ending)}`).toMatchObject({
          name: "NurtureError", code: "damaged-ledger",
          problems: [{ code: "damaged-ledger", file: path.join(dir, file), message: expect.stringMatching(/is not a JSON record/), hint: expect.stringMatching(/restore the file from git/) }],
        });
        expect((error as { problems: { line?: number }[] }).problems[0]!.line, `file ending ${JSON.stringify(ending)}`).toBe(2);
      }
    });
  });

  it("caps DuckDB's memory at 2.25GB unless told otherwise, and spills to the temporary directory given", async () => {
    const dir = dataDir({ "snapshots/.keep": "" });
    const setting = async (s: Snapshot, name: string): Promise<string> =>
      String((await rows(s, `SELECT current_setting('${name}') AS v`))[0]!.v);
    expect(await setting(await snap(dir), "memory_limit")).toBe("2.0 GiB"); // 2.25 GB
    const spill = path.join(dir, "spill");
    const small = await snap(dir, { memoryLimit: "1500MB", tempDirectory: spill });
    expect(await setting(small, "memory_limit")).toBe("1.3 GiB");
    expect(await setting(small, "temp_directory")).toBe(spill);
  });

  it("gives each database a spill directory of its own under NURTURE_TEMP_DIR", async () => {
    const dir = dataDir({ "snapshots/.keep": "" });
    vi.stubEnv("NURTURE_TEMP_DIR", path.join(dir, "tmp"));
    try {
      const spills = [];
      for (const s of [await snap(dir), await snap(dir)]) spills.push(String((await rows(s, "SELECT current_setting('temp_directory') AS v"))[0]!.v));
      expect(path.dirname(spills[0]!)).toBe(path.join(dir, "tmp"));
      expect(path.dirname(spills[1]!)).toBe(path.join(dir, "tmp"));
      expect(spills[0]).not.toBe(spills[1]);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("names the directory and how to make data when there is no snapshot", async () => {
    const dir = dataDir({});
    await expect(openSnapshot(dir)).rejects.toMatchObject({ code: "no-snapshot", problems: [expect.objectContaining({ hint: expect.stringContaining("nurture demo") })] });
  });
});

describe("openSnapshot on awkward exports", () => {
  /** A data dir whose events are one Parquet file written by DuckDB from `select` (users from USERS_CSV). */
  async function parquetEvents(select: string): Promise<string> {
    const dir = dataDir({ "snapshots/users/users.csv": USERS_CSV });
    const file = path.join(dir, "snapshots/events/e.parquet");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const writer = await snap(dataDir({ "snapshots/users/u.csv": "" }));
    await writer.connection.run(`COPY (${select}) TO '${file}' (FORMAT parquet)`);
    return dir;
  }

  it("keeps an export's own `source` and `filename` columns apart from the file each row came from", async () => {
    // Row 0 is set aside (unknown user); row 1 is good and must not be taken for it.
    const dir = await parquetEvents(`SELECT * FROM (VALUES ('nobody', 'a', TIMESTAMPTZ '2026-11-04 12:00:00+00', 'web', 'x.png'),
      ('u1', 'b', TIMESTAMPTZ '2026-11-04 13:00:00+00', 'web', 'x.png')) v(user_id, event, ts, source, filename)`);
    fs.writeFileSync(path.join(dir, "snapshots/users/more.csv"), "user_id,created_at,source,filename\nu9,2026-11-01T00:00:00Z,newsletter,me.png\n");
    const s = await snap(dir);
    expect(await rows(s, "SELECT user_id, event FROM events")).toEqual([{ user_id: "u1", event: "b" }]);
    expect(await s.badRows()).toEqual(expect.arrayContaining([{ table: "events", reason: "unknown user", count: 1 }]));
    expect(await rows(s, "SELECT source, filename FROM users WHERE user_id = 'u9'")).toEqual([{ source: "newsletter", filename: "me.png" }]);
    expect(await rows(s, "SELECT DISTINCT source FROM rejected_rows WHERE tbl = 'events'")).toEqual([{ source: path.join(dir, "snapshots/events/e.parquet") }]);
  });

  it("reads columns named in another case (`User_ID`, `Email`) as the columns they name", async () => {
    const s = await snap(dataDir({
      "snapshots/users/u.csv": "User_ID,Email,Created_At\nu1,ann@example.com,2026-11-01T10:00:00Z\n",
      "snapshots/events/e.csv": "User_ID,Event,TS\nu1,a,2026-11-02T10:00:00Z\n",
    }));
    expect(await rows(s, "SELECT user_id, email FROM users")).toEqual([{ user_id: "u1", email: "ann@example.com" }]);
    expect(await rows(s, "SELECT user_id, event FROM events")).toEqual([{ user_id: "u1", event: "a" }]);
    expect(await s.badRows()).toEqual([]);
  });

  it("reads NDJSON events whose keys are spelt in another case (`User_ID`, `Properties`) as the fields they name", async () => {
    const events = [
      '{"User_ID":"u1","Event":"a","TS":"2026-11-02T10:00:00Z","Properties":{"plan":"pro"},"Event_ID":"e1"}',
      '{"User_ID":"u1","Event":"a","TS":"2026-11-02T10:00:00Z","Properties":{"plan":"pro"},"Event_ID":"e1"}',
    ].join("\n");
    const s = await snap(dataDir({ "snapshots/users/u.csv": USERS_CSV, "snapshots/events/e.ndjson": events }));
    expect(await rows(s, "SELECT user_id, event, properties->>'plan' AS plan FROM events")).toEqual([{ user_id: "u1", event: "a", plan: "pro" }]);
    // The second line is the first's duplicate by `Event_ID`, which is read too.
    expect((await s.badRows()).filter((b) => b.table === "events")).toEqual([{ table: "events", reason: "duplicate event_id (counted once)", count: 1 }]);
  });

  it("sets aside an NDJSON object with none of the event fields as missing user_id, by its line, beside a line that is not JSON", async () => {
    const events = ['{"user_id":"u1","event":"a","ts":"2026-11-02T10:00:00Z"}', '{"user_id":"u1","event":', '{"foo":{"bar":1}}', '{"user_id":null}'].join("\n");
    const s = await snap(dataDir({ "snapshots/users/u.csv": USERS_CSV, "snapshots/events/e.ndjson": events }));
    expect(await rows(s, "SELECT event FROM events")).toEqual([{ event: "a" }]);
    expect(await rows(s, "SELECT reason, row_json FROM rejected_rows WHERE tbl = 'events' ORDER BY row_json")).toEqual([
      { reason: "not a JSON object", row_json: '{"line":2,"text":"{\\"user_id\\":\\"u1\\",\\"event\\":"}' },
      { reason: "missing user_id", row_json: '{"line":3,"text":"{\\"foo\\":{\\"bar\\":1}}"}' },
      { reason: "missing user_id", row_json: '{"line":4,"text":"{\\"user_id\\":null}"}' },
    ]);
  });

  it("refuses a CSV header that names one column twice in two cases", async () => {
    const dir = dataDir({ "snapshots/users/u.csv": "user_id,email,created_at,Email\nu1,a@example.com,2026-11-01T10:00:00Z,b@example.com\n" });
    await expect(openSnapshot(dir)).rejects.toMatchObject({ code: "bad-csv-header", problems: [expect.objectContaining({ message: expect.stringContaining('"Email" twice') })] });
  });

  it("refuses a CSV file whose first line is blank instead of reading nothing from it", async () => {
    const dir = dataDir({ "snapshots/users/u.csv": "\nuser_id,created_at\nu1,2026-11-01T10:00:00Z\n" });
    await expect(openSnapshot(dir)).rejects.toMatchObject({ code: "bad-csv-header", problems: [expect.objectContaining({ line: 1, message: expect.stringContaining("line 1 is blank") })] });
  });

  it("reads a CSV file that holds only a byte-order mark as empty, as it reads a file of no bytes", async () => {
    const s = await snap(dataDir({ "snapshots/users/u.csv": "\uFEFF", "snapshots/users/v.csv": "user_id,created_at\nu1,2026-11-01T10:00:00Z\n" }));
    expect(await rows(s, "SELECT user_id FROM users")).toEqual([{ user_id: "u1" }]);
    expect(await s.badRows()).toEqual([]);
  });

  it("stops at an NDJSON file that starts with a byte-order mark, naming it, rather than lose its first line", async () => {
    const dir = dataDir({ "snapshots/users/u.ndjson": '\uFEFF{"user_id":"u1","created_at":"2026-11-01T10:00:00Z"}\n{"user_id":"u2","created_at":"2026-11-01T10:00:00Z"}\n' });
    await expect(openSnapshot(dir)).rejects.toMatchObject({
      code: "bad-ndjson",
      problems: [expect.objectContaining({ file: path.join(dir, "snapshots/users/u.ndjson"), line: 1, message: expect.stringContaining("byte-order mark"), hint: expect.stringContaining("without a BOM") })],
    });
  });

  it("stops at a users file with no user_id column, naming the file and the columns it has, instead of setting every row aside", async () => {
    const dir = dataDir({
      "snapshots/users/u.csv": "id,email,created_at\nu1,a@example.com,2026-11-01T10:00:00Z\nu2,b@example.com,2026-11-01T10:00:00Z\n",
      "snapshots/users/v.csv": "user_id,created_at\nu3,2026-11-01T10:00:00Z\n",
    });
    await expect(openSnapshot(dir)).rejects.toMatchObject({
      code: "missing-column",
      message: "users files lack a column every row needs: u.csv has no user_id",
      problems: [{
        code: "missing-column", severity: "error", file: path.join(dir, "snapshots/users/u.csv"),
        message: 'the users file has no user_id column, which every row needs, so its 2 rows cannot be read; its columns are "id", "email", "created_at"',
        hint: expect.stringContaining("name the column that holds it user_id"),
      }],
    });
  });

  it("stops at events files with no event or ts column, in Parquet and NDJSON, and still only sets aside a blank value of a column a file has", async () => {
    const dir = dataDir({
      "snapshots/users/u.csv": "user_id,created_at\nu1,2026-11-01T10:00:00Z\n",
      "snapshots/events/good.csv": "user_id,event,ts\nu1,a,2026-11-02T10:00:00Z\nu1,b,\n",
      "snapshots/events/n.ndjson": '{"user_id":"u1","name":"a","time":"2026-11-02T10:00:00Z"}\n',
    });
    const writer = await snap(dataDir({ "snapshots/users/u.csv": "user_id,created_at\n" }));
    await writer.connection.run(`COPY (SELECT 'u1' AS User_Id, 'a' AS EVENT, TIMESTAMPTZ '2026-11-02 10:00:00+00' AS happened_at)
      TO '${path.join(dir, "snapshots/events/p.parquet")}' (FORMAT parquet)`);
    const error = await openSnapshot(dir).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "missing-column", message: "events files lack a column every row needs: n.ndjson has no event and ts; p.parquet has no ts" });
    expect((error as { problems: { file: string; message: string }[] }).problems.map((p) => [path.basename(p.file), p.message])).toEqual([
      ["n.ndjson", 'the events file has no event and ts columns, which every row needs, so its one row cannot be read; its columns are "user_id", "name", "time"'],
      ["p.parquet", 'the events file has no ts column, which every row needs, so its one row cannot be read; its columns are "User_Id", "EVENT", "happened_at"'],
    ]);
    fs.rmSync(path.join(dir, "snapshots/events/n.ndjson"));
    fs.rmSync(path.join(dir, "snapshots/events/p.parquet"));
    expect(await (await snap(dir)).badRows()).toEqual([{ table: "events", reason: "missing or unparseable ts", count: 1 }]);
  });

  it("keeps the good row of a repeated user_id when the first row is the bad one", async () => {
    const s = await snap(dataDir({ "snapshots/users/u.csv": "user_id,created_at,plan\nu1,not a date,trial\nu1,2026-11-01T10:00:00Z,pro\n" }));
    expect(await rows(s, "SELECT user_id, plan FROM users")).toEqual([{ user_id: "u1", plan: "pro" }]);
    expect(await s.badRows()).toEqual([{ table: "users", reason: "missing or unparseable created_at", count: 1 }]);
  });

  it("sets aside `infinity` as a time, in NDJSON users and in events", async () => {
    const s = await snap(dataDir({
      "snapshots/users/u.ndjson": '{"user_id":"u1","created_at":"infinity"}\n{"user_id":"u2","created_at":"2026-11-01T10:00:00Z"}\n',
      "snapshots/events/e.csv": "user_id,event,ts\nu2,a,-infinity\nu2,b,2026-11-02T10:00:00Z\n",
    }));
    expect(await rows(s, "SELECT user_id FROM users")).toEqual([{ user_id: "u2" }]);
    expect(await rows(s, "SELECT event FROM events")).toEqual([{ event: "b" }]);
    expect(await s.badRows()).toEqual([
      { table: "events", reason: "missing or unparseable ts", count: 1 },
      { table: "users", reason: "missing or unparseable created_at", count: 1 },
    ]);
  });

  it("reads ISO 8601 times without seconds, and sets aside a time with a zone name instead of letting it move the rows after it", async () => {
    const s = await snap(dataDir({
      "snapshots/users/u.csv": "user_id,created_at\nu1,2026-11-01T10:00Z\nu2,2026-11-01T11:00+01:00\n",
      "snapshots/events/e.csv": "user_id,event,ts\nu1,a,2026-11-19 14:00:00 Europe/Berlin\nu1,b,2026-11-19T15:00:00\nu1,c,2026-11-19 16:00:00 UTC\nu2,d,2026-11-19T17:30+01:00\n",
    }));
    const iso = "strftime(timezone('UTC', %), '%Y-%m-%dT%H:%M:%SZ')";
    expect(await rows(s, `SELECT user_id, ${iso.replace("%", "created_at")} AS at FROM users ORDER BY user_id`)).toEqual([
      { user_id: "u1", at: "2026-11-01T10:00:00Z" }, { user_id: "u2", at: "2026-11-01T10:00:00Z" },
    ]);
    expect(await rows(s, `SELECT event, ${iso.replace("%", "ts")} AS at FROM events ORDER BY event`)).toEqual([
      { event: "b", at: "2026-11-19T15:00:00Z" }, { event: "c", at: "2026-11-19T16:00:00Z" }, { event: "d", at: "2026-11-19T16:30:00Z" },
    ]);
    expect(await s.badRows()).toEqual([{ table: "events", reason: "missing or unparseable ts", count: 1 }]);
  });

  it("sets aside a users NDJSON line whose field changes type after the lines DuckDB samples, instead of failing the load", async () => {
    const good = Array.from({ length: 20_500 }, (_, i) => JSON.stringify({ user_id: `u${i}`, created_at: "2026-11-01T10:00:00Z", overdue_tasks: i % 5 }));
    const s = await snap(dataDir({ "snapshots/users/u.ndjson": [...good, '{"user_id":"late","created_at":"yesterday","overdue_tasks":"many"}'].join("\n") }));
    expect(Number((await rows(s, "SELECT count(*) AS n FROM users"))[0]!.n)).toBe(20_500);
    expect(await s.badRows()).toEqual([{ table: "users", reason: "missing or unparseable created_at", count: 1 }]);
  });

  it("names the file DuckDB cannot read (an empty or cut-short Parquet file) and says what to check, without a crash", async () => {
    const dir = dataDir({ "snapshots/users/u.csv": USERS_CSV, "snapshots/events/cut.parquet": "PAR1 not really" });
    const file = path.join(dir, "snapshots/events/cut.parquet");
    await expect(openSnapshot(dir)).rejects.toMatchObject({
      code: "unreadable-snapshot",
      problems: [expect.objectContaining({ file, message: expect.stringContaining("DuckDB could not read the events"), hint: expect.stringContaining("complete") })],
    });
  });

  it("counts a file of a format it does not read as set aside, once per file, and passes over hidden files", async () => {
    const s = await snap(dataDir({
      "snapshots/users/u.csv": USERS_CSV,
      "snapshots/events/e.csv": "user_id,event,ts\nu1,a,2026-11-02T10:00:00Z\n",
      "snapshots/events/more.json": "[]",
      "snapshots/events/old/more.csv.gz": "x",
      "snapshots/events/.DS_Store": "x",
    }));
    expect((await s.badRows()).filter((b) => b.table === "events")).toEqual([
      { table: "events", reason: expect.stringMatching(/^a whole file not read: only \.parquet, \.csv, \.ndjson and \.jsonl are/), count: 2 },
    ]);
    expect(await rows(s, "SELECT event FROM events")).toEqual([{ event: "a" }]);
  });

  it("follows links in a table's directory, reads each file once, and ends at a link that loops back", async () => {
    const dir = dataDir({
      "snapshots/users/u.csv": USERS_CSV,
      "snapshots/events/2026/e.csv": "user_id,event,ts\nu1,a,2026-11-02T10:00:00Z\n",
      "elsewhere/more.csv": "user_id,event,ts\nu1,b,2026-11-02T11:00:00Z\n",
    });
    const events = path.join(dir, "snapshots/events");
    fs.symlinkSync(path.join(dir, "elsewhere"), path.join(events, "mounted")); // a directory elsewhere
    fs.symlinkSync("..", path.join(events, "2026/up")); // a loop back to events/
    fs.symlinkSync("2026", path.join(events, "latest")); // a second name for 2026/
    fs.symlinkSync("2026/e.csv", path.join(events, "same.csv")); // a second name for e.csv
    const s = await snap(dir);
    expect(await rows(s, "SELECT event FROM events ORDER BY event")).toEqual([{ event: "a" }, { event: "b" }]);
    expect((await s.badRows()).filter((b) => b.table === "events")).toEqual([]);
  });

  it("refuses a file whose name DuckDB would read as a pattern (ev*.parquet beside evX.parquet), naming it", async () => {
    const dir = dataDir({
      "snapshots/users/u.csv": "user_id,created_at\nu1,2026-11-01T10:00:00Z\n",
      "snapshots/events/ev*.csv": "user_id,event,ts\nu1,a,2026-11-02T10:00:00Z\n",
      "snapshots/events/evX.csv": "user_id,event,ts\nu1,b,2026-11-02T11:00:00Z\n",
    });
    await expect(snap(dir)).rejects.toMatchObject({
      code: "bad-snapshot-layout", message: expect.stringContaining(path.join(dir, "snapshots/events/ev*.csv")),
    });
  });

  it("refuses a link to nothing (a share not mounted) instead of planning without its rows", async () => {
    const dir = dataDir({ "snapshots/users/u.csv": USERS_CSV, "snapshots/events/e.csv": "user_id,event,ts\nu1,a,2026-11-02T10:00:00Z\n" });
    const link = path.join(dir, "snapshots/events/2025");
    fs.symlinkSync("/mnt/not-mounted/2025", link);
    await expect(openSnapshot(dir)).rejects.toMatchObject({
      code: "bad-snapshot-layout", message: `${link} is a link to /mnt/not-mounted/2025, which does not exist`,
      problems: [expect.objectContaining({ file: link, hint: expect.stringContaining("mount or restore") })],
    });
  });

  it("takes a blank event_id for no id, so events without one are never paired as duplicates", async () => {
    const events = ['{"user_id":"u1","event":"a","ts":"2026-11-02T10:00:00Z","event_id":""}', '{"user_id":"u1","event":"b","ts":"2026-11-02T11:00:00Z","event_id":" "}'].join("\n");
    const s = await snap(dataDir({ "snapshots/users/u.csv": USERS_CSV, "snapshots/events/e.ndjson": events }));
    expect(await rows(s, "SELECT event FROM events ORDER BY event")).toEqual([{ event: "a" }, { event: "b" }]);
    expect((await s.badRows()).filter((b) => b.table === "events")).toEqual([]);
  });

  it("names a table given as a file instead of a directory, and how to fix it", async () => {
    const dir = dataDir({ "snapshots/users": USERS_CSV });
    await expect(openSnapshot(dir)).rejects.toMatchObject({ code: "bad-snapshot-layout", problems: [expect.objectContaining({ file: path.join(dir, "snapshots/users") })] });
  });

  it("refuses a snapshot without its events (or users) directory, which would read as no one ever doing anything", async () => {
    const dir = dataDir({ "snapshots/users/u.csv": USERS_CSV });
    fs.rmSync(path.join(dir, "snapshots/events"), { recursive: true });
    await expect(openSnapshot(dir)).rejects.toMatchObject({ code: "no-snapshot", problems: [expect.objectContaining({ file: path.join(dir, "snapshots/events") })] });
    fs.mkdirSync(path.join(dir, "snapshots/events"));
    expect(Number((await rows(await snap(dir), "SELECT count(*) AS n FROM events"))[0]!.n)).toBe(0);
  });
});
