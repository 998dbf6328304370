import type { DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Condition, Segment } from "../../src/engine/config/types.ts";
import { compileCondition } from "../../src/engine/sql/conditions.ts";
import { DAY, NOW, openFixture } from "./_sql-fixture.ts";

let conn: DuckDBConnection;
beforeAll(async () => {
  conn = await openFixture();
});
afterAll(() => conn.closeSync());

const segments = new Map<string, Segment>([
  ["trial", { id: "trial", name: "Trial", condition: { kind: "attribute", attribute: "plan", op: "eq", value: "trial" }, origin: { file: "segments/trial.json", pointer: "" } }],
]);

async function matching(condition: Condition): Promise<string[]> {
  const columns = new Set(["user_id", "created_at", "plan", "overdue_tasks", "trial_ends_at", "timezone"]);
  const where = compileCondition(condition, { now: NOW, columns, segments });
  const reader = await conn.runAndReadAll(`SELECT user_id FROM users u WHERE ${where} ORDER BY user_id`);
  return reader.getRowObjects().map((r) => String(r.user_id));
}

describe("compileCondition", () => {
  it.each<[string, Condition, string[]]>([
    ["event performed at least 5 times (events after now are invisible)", { kind: "event", event: "task.created", min: 5 }, ["ann"]],
    ["event performed at most 1 time", { kind: "event", event: "task.created", min: 1, max: 1 }, ["bob"]],
    ["event within the last 7 days", { kind: "event", event: "task.created", min: 1, withinMs: 7 * DAY }, ["ann"]],
    ["event with a property match", { kind: "event", event: "task.created", min: 2, where: { source: "mobile" } }, ["ann"]],
    ["property contains", { kind: "event", event: "page.viewed", min: 1, where: { path: { contains: "pricing" } } }, ["ann"]],
    ["property numeric range", { kind: "event", event: "page.viewed", min: 1, where: { seconds: { gte: 30, lte: 60 } } }, ["ann"]],
    ["property numeric range that misses", { kind: "event", event: "page.viewed", min: 1, where: { seconds: { gte: 41 } } }, []],
    ["no task within 2 days of signup (window must be over: cat's is not)", { kind: "no_event", event: "task.created", withinMs: 2 * DAY, after: { kind: "signup" } }, ["dan"]],
    ["checkout not completed within 4h of a checkout.started", { kind: "no_event", event: "checkout.completed", withinMs: 4 * 3_600_000, after: { kind: "event", event: "checkout.started" } }, ["dan"]],
    ["checkout window not yet over", { kind: "no_event", event: "checkout.completed", withinMs: 6 * 3_600_000, after: { kind: "event", event: "checkout.started" } }, []],
    ["no task within 1 day after the trial ended", { kind: "no_event", event: "task.created", withinMs: DAY, after: { kind: "attribute", attribute: "trial_ends_at" } }, ["ann", "dan"]],
    ["attribute eq", { kind: "attribute", attribute: "plan", op: "eq", value: "pro" }, ["bob"]],
    ["attribute neq includes missing values", { kind: "attribute", attribute: "overdue_tasks", op: "neq", value: 0 }, ["ann", "cat", "dan"]],
    ["attribute numeric gt on a text column", { kind: "attribute", attribute: "overdue_tasks", op: "gt", value: 2 }, ["ann", "dan"]],
    ["attribute in", { kind: "attribute", attribute: "plan", op: "in", value: ["pro", "team"] }, ["bob"]],
    ["attribute exists", { kind: "attribute", attribute: "trial_ends_at", op: "exists" }, ["ann", "cat", "dan"]],
    ["attribute date within the next 7 days", { kind: "attribute", attribute: "trial_ends_at", op: "within_next", durationMs: 7 * DAY }, ["cat"]],
    ["attribute date within the last 5 days", { kind: "attribute", attribute: "trial_ends_at", op: "within_last", durationMs: 5 * DAY }, ["ann"]],
    ["attribute date more than 7 days ago", { kind: "attribute", attribute: "trial_ends_at", op: "more_than_ago", durationMs: 7 * DAY }, ["dan"]],
    ["an attribute no user has is missing, not an error", { kind: "attribute", attribute: "company_size", op: "exists" }, []],
    ["inactive for 30 days (email events are not activity)", { kind: "inactive", forMs: 30 * DAY }, ["bob"]],
    ["tag assigned by now (a future assignment does not count)", { kind: "tag", tag: "visited-pricing" }, ["ann"]],
    ["tag assigned only in the future", { kind: "tag", tag: "future-tag" }, []],
    ["score band", { kind: "score", band: "cold" }, ["cat", "dan"]],
    ["score range", { kind: "score", gte: 12, lt: 55 }, ["bob", "dan"]],
    ["engagement levels", { kind: "engagement", levels: ["at_risk", "not_engaged"] }, ["bob", "cat"]],
    ["segment reference", { kind: "segment", segment: "trial" }, ["ann", "cat", "dan"]],
    ["unknown segment matches nobody", { kind: "segment", segment: "nope" }, []],
    ["all", { kind: "all", of: [{ kind: "segment", segment: "trial" }, { kind: "score", band: "cold" }] }, ["cat", "dan"]],
    ["any", { kind: "any", of: [{ kind: "attribute", attribute: "plan", op: "eq", value: "pro" }, { kind: "tag", tag: "visited-pricing" }] }, ["ann", "bob"]],
    ["not (unknown counts as false, so not() of it is true)", { kind: "not", of: { kind: "attribute", attribute: "overdue_tasks", op: "gt", value: 2 } }, ["bob", "cat"]],
  ])("%s", async (_, condition, expected) => {
    expect(await matching(condition)).toEqual(expected);
  });

  describe("compares by value whatever the column's type or the name's case", () => {
    // x: a Parquet-like DOUBLE 5.0 and a time with an offset; y: text. `Plan` is spelt with a capital.
    beforeAll(async () => {
      await conn.run(`CREATE TABLE users_typed AS SELECT * FROM (VALUES
        ('x', 5.0::DOUBLE, '2026-11-30T23:00:00-05:00', 'n/a', 'trial', NULL::VARCHAR),
        ('y', NULL, '2026-11-30T23:00:00Z', '6', 'pro', NULL)) v(user_id, seats, ends_at, vip, "Plan", timezone)`);
    });
    const typed = async (condition: Condition): Promise<string[]> => {
      const columns = new Set(["user_id", "seats", "ends_at", "vip", "Plan", "timezone"]);
      const where = compileCondition(condition, { now: NOW, columns, segments, timezone: "UTC" });
      return (await conn.runAndReadAll(`SELECT user_id FROM users_typed u WHERE ${where} ORDER BY user_id`)).getRowObjects().map((r) => String(r.user_id));
    };

    it.each<[string, Condition, string[]]>([
      ["`in` with a number matches 5.0", { kind: "attribute", attribute: "seats", op: "in", value: [5, 7] }, ["x"]],
      ["`not_in` with a number leaves 5.0 out", { kind: "attribute", attribute: "seats", op: "not_in", value: [5] }, ["y"]],
      ["`neq` holds for a value that is no number", { kind: "attribute", attribute: "vip", op: "neq", value: 6 }, ["x"]],
      ["a time compares as the instant it names, its offset included", { kind: "attribute", attribute: "ends_at", op: "gte", value: "2026-12-01" }, ["x"]],
      ["`lt` a date is before that day began", { kind: "attribute", attribute: "ends_at", op: "lt", value: "2026-12-01T00:00:00Z" }, ["y"]],
      ["`eq` a time matches the same instant written otherwise", { kind: "attribute", attribute: "ends_at", op: "eq", value: "2026-12-01T04:00:00Z" }, ["x"]],
      ["an attribute named in another case than its column", { kind: "attribute", attribute: "plan", op: "eq", value: "trial" }, ["x"]],
    ])("%s", async (_name, condition, expected) => {
      expect(await typed(condition)).toEqual(expected);
    });
  });

  describe("reads what is plainly no number, and times written in other ISO 8601 forms", () => {
    // p: NaN (a Parquet DOUBLE); q: Spark's text "NaN"; r: infinity; s: 4. Times without seconds, and a date without zero padding.
    beforeAll(async () => {
      await conn.run(`CREATE TABLE users_odd AS SELECT * FROM (VALUES
        ('p', 'NaN'::DOUBLE, 'NaN', '2026-12-01T00:00Z', '2026-11-6', 'America/New_York'),
        ('q', NULL, 'NaN', '2026-12-01T01:00+01:00', NULL, 'America/New_York'),
        ('r', 'inf'::DOUBLE, 'Infinity', NULL, NULL, 'UTC'),
        ('s', 4.0, '4', '2026-11-30T23:59Z', '2026-11-07', 'America/New_York')) v(user_id, n, t, ends, day, timezone)`);
    });
    const odd = async (condition: Condition): Promise<string[]> => {
      const columns = new Set(["user_id", "n", "t", "ends", "day", "timezone"]);
      const where = compileCondition(condition, { now: NOW, columns, segments, timezone: "UTC" });
      return (await conn.runAndReadAll(`SELECT user_id FROM users_odd u WHERE ${where} ORDER BY user_id`)).getRowObjects().map((r) => String(r.user_id));
    };

    it.each<[string, Condition, string[]]>([
      ["NaN and infinity pass no `gt` threshold", { kind: "attribute", attribute: "n", op: "gt", value: 0 }, ["s"]],
      ["nor one written as text", { kind: "attribute", attribute: "t", op: "gte", value: 3 }, ["s"]],
      ["nor an `lt` one", { kind: "attribute", attribute: "n", op: "lt", value: 100 }, ["s"]],
      ["`neq` holds for NaN, as for any value that is no number", { kind: "attribute", attribute: "t", op: "neq", value: 4 }, ["p", "q", "r"]],
      ["a time with minutes and an offset but no seconds is that instant", { kind: "attribute", attribute: "ends", op: "gte", value: "2026-12-01T00:00:00Z" }, ["p", "q"]],
      ["and so is such a value in the config", { kind: "attribute", attribute: "ends", op: "lt", value: "2026-12-01T00:00Z" }, ["s"]],
      ["a date without zero padding is a calendar day in the user's zone", { kind: "attribute", attribute: "day", op: "eq", value: "2026-11-06" }, ["p"]],
    ])("%s", async (_name, condition, expected) => {
      expect(await odd(condition)).toEqual(expected);
    });
  });

  it("quotes values so a hostile config string stays a string", async () => {
    expect(await matching({ kind: "attribute", attribute: "plan", op: "eq", value: "x' OR '1'='1" })).toEqual([]);
  });
});
