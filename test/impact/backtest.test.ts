import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backtest, loadConfig, messageKey, openSnapshot } from "../../src/engine/index.ts";
import { eventsToParquet } from "../support/parquet-events.ts";
import { cleanup, listing, makeData, nurture } from "./_fixture.ts";

// Berlin (the fixture's time zone) is UTC+1 in November; the send window is 09:00–18:00
// local; the fixture caps promo email at one a day.
const NOW = "2026-11-22T16:00:00Z";
const ann = { user_id: "uid-ann", email: "secret-ann@example.com", first_name: "Annabel", created_at: "2026-11-20T02:00:00Z", plan: "trial" };
// Signs up after the window: never seen by the replay.
const late = { user_id: "uid-late", email: "secret-late@example.com", first_name: "Lateefa", created_at: "2026-11-23T02:00:00Z", plan: "trial" };
// A send the real ledger recorded inside the window: the replay replaces it with its own.
const welcomeKey = messageKey("uid-ann", "welcome", "welcome", "2026-11-20T02:00:00.000Z");
const realLedger = [
  { kind: "intent", at: "2026-11-20T08:00:00Z", run: "r1", key: welcomeKey, user_id: "uid-ann", campaign: "welcome", step: "welcome", template: "welcome-1", type: "regular", occurrence: "2026-11-20T02:00:00.000Z", due: "2026-11-20T08:00:00Z", batch: "b1" },
  { kind: "sent", at: "2026-11-20T08:00:00Z", run: "r1", key: welcomeKey, provider_id: "p1", transport: "outbox" },
];

let config: string;
let data: string;
beforeAll(() => {
  // Two promo triggers on signup compete for the one-a-day promo cap.
  config = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-backtest-config-"));
  fs.cpSync("test/fixtures/config/valid", config, { recursive: true });
  const trigger = (id: string, extra: Record<string, unknown>) =>
    fs.writeFileSync(path.join(config, `triggers/${id}.json`), JSON.stringify({ name: id, on: { signup: true }, ...extra }));
  trigger("blast-a", { template: "offer", priority: 10 });
  trigger("blast-b", { template: "test-a", priority: 5, lateness: "3d" });
  data = makeData({ users: [ann, late], ledger: realLedger });
});
afterAll(() => cleanup(config, data));

const run = (...extra: string[]) => nurture("backtest", "--config", config, "--data", data, "--now", NOW, "--days", "3", "--run-hours", "9,15", ...extra);

describe("nurture backtest", () => {
  it("gives the hand-computed sends per day, step and type, and respects the caps", async () => {
    const r = await run("--json");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report).toMatchObject({ from: "2026-11-20T00:00:00.000Z", to: "2026-11-22T16:00:00.000Z", runs: 6, sends: 5, usersReached: 1 });
    // 20th 09:00: welcome + blast-a (blast-b capped); 21st 09:00: first-project + blast-b (the cap's day
    // has passed); 22nd 09:00: the no-task nudge (2 days after signup, at the window's opening).
    expect(report.perDay.map((d: { day: string; sends: number }) => [d.day, d.sends])).toEqual([
      ["2026-11-20", 2],
      ["2026-11-21", 2],
      ["2026-11-22", 1],
    ]);
    const sending = report.perStep.filter((s: { sends: number }) => s.sends > 0).map((s: Record<string, unknown>) => `${s.campaign}/${s.step} ${s.sends}`);
    expect(sending).toEqual(["welcome/welcome 1", "welcome/first-project 1", "blast-a/send 1", "blast-b/send 1", "no-task/send 1"]);
    expect(report.perType).toEqual([{ type: "regular", sends: 2 }, { type: "promo", sends: 2 }, { type: "trigger", sends: 1 }]);
    expect(report.held).toEqual([{ status: "capped", messages: 1 }]);
    expect(report.maxPerUser).toEqual({ day: 2, week: 5, marketingWeek: 5 });
    expect(report.caps).toEqual([{ types: ["promo"], max: 1, per: "1d", usersOver: 0, maxPerUser: 1 }]);
  });

  it("prints Markdown tables, the limits of the replay, and a progress line per day on stderr", async () => {
    const r = await run();
    expect(r.code).toBe(0);
    expect(r.out).toContain("## Backtest: last 3 day(s) of the snapshot");
    expect(r.out).toContain("would send **5** emails to 1 users");
    expect(r.out).toContain("Cap at most 1 promo per 1d: held (most per user: 1).");
    expect(r.out).toContain("| 2026-11-21 | 2 | 2 |");
    expect(r.out).toContain("opens and clicks are not simulated");
    expect(r.err.split("\n").filter((l) => /2026-11-2\d {2}runs/.test(l))).toHaveLength(3);
    expect(r.out + r.err).not.toMatch(/secret-|Annabel|uid-/);
  });

  it("warns when the window begins days before the data does, and not otherwise", async () => {
    // Ann, the first user, signs up on the 20th: a 5-day window from the 18th has two days without data.
    const long = await nurture("backtest", "--config", config, "--data", data, "--now", NOW, "--days", "5", "--run-hours", "9,15", "--json");
    expect(JSON.parse(long.out).warnings).toContainEqual(expect.stringContaining("the window's first 2 day(s) replay without data"));
    expect(JSON.parse((await run("--json")).out).warnings.filter((w: string) => w.includes("without data"))).toEqual([]);
  });

  it("without --now replays the days up to the snapshot's end, not up to the wall clock", async () => {
    // This snapshot has no events: it ends at its newest signup, Lateefa's.
    const r = await nurture("backtest", "--config", config, "--data", data, "--days", "2", "--run-hours", "9,15", "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ from: "2026-11-22T00:00:00.000Z", to: "2026-11-23T02:00:00.000Z", runs: 2 });
    expect(r.err).toContain("no --now: replaying up to the snapshot's newest event, 2026-11-23T02:00:00.000Z");
  });

  it("warns when the window ends days after the snapshot does, and not otherwise", async () => {
    const after = await nurture("backtest", "--config", config, "--data", data, "--now", "2026-11-27T16:00:00Z", "--days", "2", "--run-hours", "9,15", "--json");
    expect(JSON.parse(after.out).warnings).toContainEqual(expect.stringContaining(
      "4 day(s) after the snapshot's newest event (2026-11-23T02:00:00.000Z), so its days after that replay no new events; to replay the snapshot's own last days, give --now 2026-11-23T02:00:00.000Z"));
    expect(JSON.parse((await run("--json")).out).warnings.filter((w: string) => w.includes("newest event"))).toEqual([]);
  });

  it("writes nothing to the data directory", async () => {
    const before = listing(data);
    await run();
    await run("--json");
    expect(listing(data)).toEqual(before);
  });

  it("puts the snapshot's tables back after the replay", async () => {
    const snapshot = await openSnapshot(data);
    try {
      const counts = async () => (await snapshot.connection.runAndReadAll(
        "SELECT (SELECT count(*) FROM users) AS u, (SELECT count(*) FROM ledger) AS l",
      )).getRowObjects()[0];
      const before = await counts();
      const report = await backtest(await loadConfig(config), snapshot, { now: new Date(NOW), days: 1, runHours: [9] });
      // The real welcome (20th, before this one-day window) stays in the ledger: the rest of the
      // series is too late by the 22nd; blast-b (3 days' lateness) and the nudge go out.
      expect(report.perStep.filter((x) => x.sends > 0).map((x) => x.campaign)).toEqual(["blast-b", "no-task"]);
      expect(await counts()).toEqual(before);
    } finally {
      snapshot.close();
    }
  });

  it("replays Parquet events, read where they lie, as it replays NDJSON, and puts them back", async () => {
    // A task on the 21st keeps the no-task nudge from going out on the 22nd.
    const events = [{ user_id: "uid-ann", event: "task.created", ts: "2026-11-21T10:00:00Z", properties: { n: 1 }, event_id: "t1" }];
    const asNdjson = makeData({ users: [ann, late], events, ledger: realLedger });
    const asParquet = makeData({ users: [ann, late], events, ledger: realLedger });
    await eventsToParquet(path.join(asParquet, "snapshots/events/events.ndjson"));
    try {
      const replay = async (dir: string) => {
        const snapshot = await openSnapshot(dir);
        try {
          const report = await backtest(await loadConfig(config), snapshot, { now: new Date(NOW), days: 3, runHours: [9, 15] });
          const after = (await snapshot.connection.runAndReadAll("SELECT user_id, event FROM events")).getRowObjects();
          return { report, after };
        } finally {
          snapshot.close();
        }
      };
      const [fromNdjson, fromParquet] = [await replay(asNdjson), await replay(asParquet)];
      expect(fromNdjson.report.perStep.filter((x) => x.sends > 0).map((x) => x.campaign)).not.toContain("no-task");
      expect(fromParquet.report).toEqual(fromNdjson.report);
      expect(fromParquet.after).toEqual([{ user_id: "uid-ann", event: "task.created" }]);
    } finally {
      cleanup(asNdjson, asParquet);
    }
  });

  it.each([
    [["--days", "0"], '--days "0" must be a whole number from 1 to 365'],
    [["--days", "two"], '--days "two" must be a whole number'],
    [["--days", "3", "--run-hours", "8,25"], '--run-hours "8,25" must list UTC hours 0–23'],
  ])("exits 2 on %j", async (args, message) => {
    const r = await nurture("backtest", "--config", config, "--data", data, ...args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });
});
