import type { DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Entry, TagRule } from "../../src/engine/config/types.ts";
import { entrySql, tagRuleSql, type EntryContext } from "../../src/engine/sql/entries.ts";
import { loadZones } from "../../src/engine/sql/zones.ts";
import { DAY, NOW, openFixture } from "./_sql-fixture.ts";

let conn: DuckDBConnection;
beforeAll(async () => {
  conn = await openFixture();
});
afterAll(() => conn.closeSync());

const ctx = (now = NOW): EntryContext => ({
  now,
  columns: new Set(["user_id", "created_at", "plan", "overdue_tasks", "trial_ends_at", "timezone"]),
  segments: new Map(),
  timezone: "Europe/Berlin",
});

async function occurrences(entry: Entry, now = NOW): Promise<string[]> {
  const reader = await conn.runAndReadAll(`SELECT user_id, occurrence FROM (${entrySql(entry, ctx(now))}) ORDER BY user_id, occurrence`);
  return reader.getRowObjects().map((r) => `${r.user_id} ${r.occurrence}`);
}

describe("entrySql", () => {
  it.each<[string, Entry, string[]]>([
    ["signup: one occurrence per user at created_at", { on: "signup" }, [
      "ann 2026-11-10T09:00:00.000Z", "bob 2026-09-01T09:00:00.000Z", "cat 2026-11-19T12:00:00.000Z", "dan 2026-11-01T09:00:00.000Z"]],
    ["event: each matching event up to now (the 21st is in the future)", { on: "event", event: "task.created", where: { source: "mobile" } }, [
      "ann 2026-11-10T10:00:00.000Z", "ann 2026-11-11T10:00:00.000Z"]],
    ["no_event after signup: at signup + window, only when the window is over", { on: "no_event", event: "task.created", withinMs: 2 * DAY, after: { kind: "signup" } }, [
      "dan 2026-11-03T09:00:00.000Z"]],
    ["no_event after each anchor event: the paid checkout does not count", { on: "no_event", event: "checkout.completed", withinMs: 4 * 3_600_000, after: { kind: "event", event: "checkout.started" } }, [
      "dan 2026-11-20T11:00:00.000Z"]],
    ["attribute_date with a negative offset (7 days before)", { on: "attribute_date", attribute: "trial_ends_at", offsetMs: -7 * DAY }, [
      "ann 2026-11-10T09:00:00.000Z", "cat 2026-11-19T12:00:00.000Z", "dan 2026-11-01T09:00:00.000Z"]],
    ["attribute_date on a column nobody has gives nothing", { on: "attribute_date", attribute: "license_expires_at", offsetMs: 0 }, []],
    ["inactive: last product activity + 30d; email opens do not reset it", { on: "inactive", forMs: 30 * DAY }, [
      "bob 2026-10-02T10:00:00.000Z"]],
    ["tag_assigned: when the tag was assigned, not in the future", { on: "tag_assigned", tag: "visited-pricing" }, [
      "ann 2026-11-18T10:00:00.000Z"]],
    ["condition: the user's local calendar day (Tokyo is already on the 20th too)", { on: "condition", condition: { kind: "attribute", attribute: "overdue_tasks", op: "gt", value: 0 } }, [
      "ann 2026-11-20", "dan 2026-11-20"]],
  ])("%s", async (_, entry, expected) => {
    expect(await occurrences(entry)).toEqual(expected);
  });

  it("a user who signs up after now has no occurrence yet, so a past --now plans what a run then would have", async () => {
    // cat signs up at 12:00 UTC on the 19th: at 06:00 she does not exist, at 13:00 she does.
    const trial: Entry = { on: "condition", condition: { kind: "attribute", attribute: "plan", op: "eq", value: "trial" } };
    expect((await occurrences(trial, new Date("2026-11-19T06:00:00Z"))).map((o) => o.split(" ")[0])).toEqual(["ann", "dan"]);
    expect((await occurrences(trial, new Date("2026-11-19T13:00:00Z"))).map((o) => o.split(" ")[0])).toEqual(["ann", "cat", "dan"]);
    const quiet: Entry = { on: "inactive", forMs: 0 };
    expect((await occurrences(quiet, new Date("2026-11-19T06:00:00Z"))).map((o) => o.split(" ")[0])).not.toContain("cat");
  });

  it("condition days follow each user's time zone across midnight UTC", async () => {
    // 23:30 UTC: already the 21st in Berlin and Tokyo, still the 20th in New York.
    const late = new Date("2026-11-20T23:30:00Z");
    const entry: Entry = { on: "condition", condition: { kind: "attribute", attribute: "plan", op: "in", value: ["trial", "pro"] } };
    expect(await occurrences(entry, late)).toEqual(["ann 2026-11-21", "bob 2026-11-21", "cat 2026-11-21", "dan 2026-11-20"]);
  });

  it("compiled zones give the same local days and day starts as DuckDB's own conversion, a user without a zone included", async () => {
    // The evaluator reads the users' zones once and compiles CASEs over them (zones.ts);
    // cat has no zone, so she gets the settings' zone (Berlin: already the 21st at 23:30 UTC).
    const late = new Date("2026-11-20T23:30:00Z");
    const entry: Entry = { on: "condition", condition: { kind: "attribute", attribute: "plan", op: "in", value: ["trial", "pro"] } };
    const rows = async (c: EntryContext): Promise<string[]> => (await conn.runAndReadAll(
      `SELECT user_id, occurrence, strftime(timezone('UTC', occurred_at), '%Y-%m-%dT%H:%M') AS start FROM (${entrySql(entry, c)}) ORDER BY user_id`))
      .getRowObjects().map((r) => `${r.user_id} ${r.occurrence} ${r.start}`);
    const compiled = await rows({ ...ctx(late), zones: await loadZones(conn, "Europe/Berlin", late) });
    expect(compiled).toEqual(["ann 2026-11-21 2026-11-20T23:00", "bob 2026-11-21 2026-11-20T15:00", "cat 2026-11-21 2026-11-20T23:00", "dan 2026-11-20 2026-11-20T05:00"]);
    expect(compiled).toEqual(await rows(ctx(late)));
  });

  it("a date without a time of day begins at midnight in the user's zone, as text or as a DATE column", async () => {
    const own = await openFixture();
    try {
      await own.run(`UPDATE users SET trial_ends_at = CASE WHEN user_id = 'bob' THEN NULL ELSE '2026-11-27' END`);
      await own.run("ALTER TABLE users ADD COLUMN renews_on DATE; UPDATE users SET renews_on = DATE '2026-11-27' WHERE user_id <> 'bob'");
      // 02:00 UTC on the 20th: the 20th has begun in Berlin (ann; cat, without a zone, has
      // the settings' Berlin) but not in New York (dan, at 05:00 UTC).
      const early = new Date("2026-11-20T02:00:00Z");
      const columns = new Set([...ctx().columns, "renews_on"]);
      for (const attribute of ["trial_ends_at", "renews_on"]) {
        const entry: Entry = { on: "attribute_date", attribute, offsetMs: -7 * DAY };
        const run = async (c: EntryContext): Promise<string[]> => (await own.runAndReadAll(`SELECT user_id, occurrence FROM (${entrySql(entry, c)}) ORDER BY user_id`))
          .getRowObjects().map((r) => `${r.user_id} ${r.occurrence}`);
        const plain = await run({ ...ctx(early), columns });
        expect(plain).toEqual(["ann 2026-11-19T23:00:00.000Z", "cat 2026-11-19T23:00:00.000Z"]);
        expect(await run({ ...ctx(early), columns, zones: await loadZones(own, "Europe/Berlin", early) })).toEqual(plain);
      }
    } finally {
      own.closeSync();
    }
  });

  it("gives the same occurrences for the same data and now (keys stay stable across reruns)", async () => {
    const entry: Entry = { on: "no_event", event: "task.created", withinMs: 2 * DAY, after: { kind: "signup" } };
    expect(await occurrences(entry)).toEqual(await occurrences(entry));
  });
});

describe("tagRuleSql", () => {
  const rule = (extra: Partial<TagRule> = {}): TagRule => ({
    id: "pricing-visitor",
    name: "Visited pricing",
    entry: { on: "event", event: "page.viewed", where: { path: { contains: "pricing" } } },
    origin: { file: "tags.json", pointer: "/tags/pricing-visitor" },
    ...extra,
  });

  it("assigns the tag at the first occurrence", async () => {
    const reader = await conn.runAndReadAll(`SELECT user_id, tag, ${"strftime(assigned_at, '%Y-%m-%d %H:%M')"} AS at FROM (${tagRuleSql(rule(), ctx())})`);
    expect(reader.getRowObjects()).toEqual([{ user_id: "ann", tag: "pricing-visitor", at: "2026-11-18 10:00" }]);
  });

  it("assigns nothing when the rule's condition does not hold", async () => {
    const gated = rule({ condition: { kind: "attribute", attribute: "plan", op: "eq", value: "pro" } });
    const reader = await conn.runAndReadAll(`SELECT * FROM (${tagRuleSql(gated, ctx())})`);
    expect(reader.getRowObjects()).toEqual([]);
  });

  it("assigns a tag from a condition entry anew at the start of each local day the condition holds", async () => {
    const daily = rule({ entry: { on: "condition", condition: { kind: "attribute", attribute: "plan", op: "eq", value: "pro" } } });
    const at = async (now: Date): Promise<unknown[]> => (await conn.runAndReadAll(`SELECT user_id,
      strftime(timezone('UTC', assigned_at), '%Y-%m-%dT%H:%MZ') AS at FROM (${tagRuleSql(daily, ctx(now))})`)).getRowObjects();
    // bob is in Tokyo (+09:00): his local day begins at 15:00Z the day before.
    expect(await at(NOW)).toEqual([{ user_id: "bob", at: "2026-11-19T15:00Z" }]);
    expect(await at(new Date(NOW.getTime() + DAY))).toEqual([{ user_id: "bob", at: "2026-11-20T15:00Z" }]);
  });
});
