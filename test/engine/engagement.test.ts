import { beforeAll, describe, expect, it } from "vitest";
import type { Campaign, Config, Engagement } from "../../src/engine/config/types.ts";
import { audienceSnapshot, evaluate, explain, loadConfig } from "../../src/engine/index.ts";
import { openData, type Data } from "./_snapshot-files.ts";

const NOW = new Date("2026-11-20T12:00:00Z");
const DAY = 86_400_000;
const H = 3_600_000;
const origin = { file: "engagement.json", pointer: "" };
const ANN = { user_id: "ann", email: "ann@example.com", first_name: "Ann", created_at: "2026-01-01T09:00:00Z", timezone: "UTC" };

let base: Config;
beforeAll(async () => {
  base = await loadConfig("test/fixtures/config/valid"); // the levels of the README's example, window 90d
});
const only = (more: Partial<Config> = {}): Config => ({ ...base, campaigns: new Map(), tags: new Map(), ...more });

/** An email to `user` sent `daysAgo` (before `now`), then reactions `afterMs` after sending. */
function email(key: string, daysAgo: number, reactions: { event: string; afterMs: number }[] = [], user = "ann", now = NOW) {
  const at = now.getTime() - daysAgo * DAY;
  const row = (event: string, ms: number) => ({ user_id: user, event, ts: new Date(at + ms).toISOString(), properties: { key } });
  return [row("email.sent", 0), row("email.delivered", 1000), ...reactions.map((r) => row(r.event, r.afterMs))];
}
const opened = { event: "email.opened", afterMs: 2 * H };
const clicked = { event: "email.clicked", afterMs: 3 * H };

async function levelOf(events: Record<string, unknown>[], config: Config = only(), now = NOW) {
  const snap = await openData({ users: [ANN], events });
  return (await explain(config, snap, "ann", now)).level;
}

/** What a run at `time` (UTC) on each of `days` sends or holds of `config`'s campaigns: one list of rows per day. */
async function dailyRuns(config: Config, data: Data, days: string[], time: string) {
  const found = [];
  for (const day of days) {
    const p = await evaluate(config, await openData(data), new Date(`${day}T${time}Z`));
    found.push([...p.sends, ...p.held]);
  }
  return found;
}

describe("engagement levels", () => {
  it("is highly_engaged with three emails clicked in the window", async () => {
    expect(await levelOf([...email("a", 5, [clicked]), ...email("b", 20, [clicked]), ...email("c", 80, [clicked])])).toBe("highly_engaged");
  });

  it("counts emails, not clicks: three clicks on one email are one", async () => {
    const three = [clicked, { event: "email.clicked", afterMs: 4 * H }, { event: "email.clicked", afterMs: 5 * H }];
    expect(await levelOf(email("a", 5, three))).toBe("engaged");
  });

  it("leaves clicks older than the window out", async () => {
    expect(await levelOf([...email("a", 5, [clicked]), ...email("b", 20, [clicked]), ...email("c", 100, [clicked])])).toBe("engaged");
  });

  it("takes the window as (now − 90 days, now]: a click exactly 90 days ago is out, one a millisecond later in", async () => {
    const click = (ms: number, id: string) => ({ user_id: "ann", event: "email.clicked", ts: new Date(NOW.getTime() - ms).toISOString(), event_id: id });
    const recent = [click(5 * DAY, "k1"), click(20 * DAY, "k2")];
    expect(await levelOf([...recent, click(90 * DAY, "k3")])).toBe("engaged");
    expect(await levelOf([...recent, click(90 * DAY - 1, "k3")])).toBe("highly_engaged");
  });

  it("counts each email event without a key as an email of its own", async () => {
    const click = (daysAgo: number, id: string) =>
      ({ user_id: "ann", event: "email.clicked", ts: new Date(NOW.getTime() - daysAgo * DAY).toISOString(), event_id: id });
    expect(await levelOf([click(5, "k1"), click(20, "k2"), click(80, "k3")])).toBe("highly_engaged");
    expect(await levelOf([click(5, "k1"), click(20, "k2"), click(20, "k2")])).toBe("engaged"); // a repeated event_id is one click
  });

  it("is neutral with a recent open and no click", async () => {
    expect(await levelOf(email("a", 10, [opened]))).toBe("neutral");
  });

  it("counts days since the last open in whole days: 30 days and 23 hours is 30", async () => {
    expect(await levelOf(email("a", 31, [{ event: "email.opened", afterMs: H }]))).toBe("neutral");
    expect(await levelOf(email("a", 32, [{ event: "email.opened", afterMs: H }]))).toBe("at_risk"); // 31 days and 23 hours
  });

  it("is at_risk with an open in the window but none in the last 30 days", async () => {
    expect(await levelOf(email("a", 60, [opened]))).toBe("at_risk");
  });

  it("is not_engaged without opens, and machine opens are not opens", async () => {
    expect(await levelOf(email("a", 5))).toBe("not_engaged");
    expect(await levelOf(email("a", 5, [{ event: "email.opened", afterMs: 15_000 }]))).toBe("not_engaged");
  });

  it("leaves out a machine open on a late delivery, counted from the delivery", async () => {
    const late = (afterMs: number) => email("a", 5, [{ event: "email.opened", afterMs }]).map((e) =>
      (e.event === "email.delivered" ? { ...e, ts: new Date(NOW.getTime() - 5 * DAY + H).toISOString() } : e));
    expect(await levelOf(late(H + 20_000))).toBe("not_engaged");
    expect(await levelOf(late(H + 5 * 60_000))).toBe("neutral");
  });

  it("ignores email events after now", async () => {
    expect(await levelOf(email("a", -1, [opened]))).toBe("not_engaged");
  });

  it("takes the first rule that matches, in order", async () => {
    const engagement: Engagement = {
      windowMs: 90 * DAY,
      rules: [
        { level: "at_risk", when: { sent: { gte: 2 } } },
        { level: "engaged", when: { opened: { gte: 1 } } },
        { level: "not_engaged", when: {} },
      ],
    };
    const config = only({ engagement });
    expect(await levelOf([...email("a", 5, [opened]), ...email("b", 6)], config)).toBe("at_risk");
    expect(await levelOf(email("a", 5, [opened]), config)).toBe("engaged");
  });

  it("treats never having opened as infinitely long ago: gte holds, lte fails", async () => {
    const engagement: Engagement = {
      windowMs: 90 * DAY,
      rules: [
        { level: "neutral", when: { days_since_open: { lte: 1000 } } },
        { level: "at_risk", when: { days_since_open: { gte: 60 } } },
        { level: "not_engaged", when: {} },
      ],
    };
    expect(await levelOf(email("a", 5), only({ engagement }))).toBe("at_risk");
  });
});

describe("entry engagement_changed", () => {
  const winback: Campaign = {
    id: "winback", kind: "trigger", name: "Winback", entry: { on: "engagement_changed", to: "at_risk", lookbackMs: DAY },
    steps: [{ id: "miss-you", template: "welcome-1", waitMs: 0, origin }], reentry: { policy: "never" }, priority: 0, latenessMs: DAY, origin,
  };
  // Opened at 2026-10-20T10:00Z: at the start of 20 Nov that is 30.6 days (neutral), at the start of 21 Nov 31.6 (at_risk).
  const events = email("k", 0, [{ event: "email.opened", afterMs: H }], "ann", new Date("2026-10-20T09:00:00Z"));
  const plan = async (now: string) =>
    evaluate(only({ campaigns: new Map([["winback", winback]]) }), await openData({ users: [ANN], events }), new Date(now));

  it("starts on the local day the level became the one named", async () => {
    const p = await plan("2026-11-21T12:00:00Z");
    // Due at the start of that day, moved to the opening of the send window (09:00).
    expect(p.sends.map((s) => [s.userId, s.occurrence, s.dueAt])).toEqual([["ann", "2026-11-21", "2026-11-21T09:00:00.000Z"]]);
  });

  it("gives every run of that day the same occurrence", async () => {
    expect((await plan("2026-11-21T09:30:00Z")).sends.map((s) => s.key)).toEqual((await plan("2026-11-21T17:00:00Z")).sends.map((s) => s.key));
  });

  it("does not start the day before, nor the day after", async () => {
    expect((await plan("2026-11-20T12:00:00Z")).sends).toEqual([]);
    expect((await plan("2026-11-22T12:00:00Z")).sends).toEqual([]);
  });

  it("follows the user's local day", async () => {
    // At 01:00 UTC on the 21st: in Tokyo (10:00 on the 21st) the day began 31 days and
    // 5 hours after the open, so the change has happened; in Los Angeles (17:00 on the 20th)
    // the day began 30 days and 22 hours after it, so it has not.
    const la = { ...ANN, user_id: "bob", email: "b@example.com", timezone: "America/Los_Angeles" };
    const snap = await openData({ users: [{ ...ANN, timezone: "Asia/Tokyo" }, la], events: [
      ...events, ...events.map((e) => ({ ...e, user_id: "bob", properties: { key: "kb" } })),
    ] });
    const p = await evaluate(only({ campaigns: new Map([["winback", winback]]) }), snap, new Date("2026-11-21T01:00:00Z"));
    expect(p.sends.map((s) => [s.userId, s.occurrence])).toEqual([["ann", "2026-11-21"]]);
    expect(p.held).toEqual([]);
  });
});

describe("entry engagement_changed with a lookback of several days", () => {
  // As above: neutral until the start of 21 Nov, at_risk from then on (UTC).
  const events = email("k", 0, [{ event: "email.opened", afterMs: H }], "ann", new Date("2026-10-20T09:00:00Z"));
  const winback = (lookbackMs: number): Campaign => ({
    id: "winback", kind: "trigger", name: "Winback", entry: { on: "engagement_changed", to: "at_risk", lookbackMs },
    steps: [{ id: "miss-you", template: "welcome-1", waitMs: 0, origin }], reentry: { policy: "always" }, priority: 0, latenessMs: 7 * DAY, origin,
  });
  const config = (lookbackMs: number) => only({ campaigns: new Map([["winback", winback(lookbackMs)]]) });
  const occurrences = async (lookbackMs: number, days: string[]): Promise<string[]> =>
    (await dailyRuns(config(lookbackMs), { users: [ANN], events }, days, "12:00:00")).flat().map((s) => s.occurrence);

  it("gives every day of the lookback the one day of the change, so one change is one occurrence", async () => {
    expect(await occurrences(3 * DAY, ["2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24"]))
      .toEqual(["2026-11-21", "2026-11-21", "2026-11-21"]);
  });

  it("lets a run that missed the day of the change find it, due at that day's start", async () => {
    const p = await evaluate(config(3 * DAY), await openData({ users: [ANN], events }), new Date("2026-11-23T12:00:00Z"));
    expect(p.sends.map((s) => [s.occurrence, s.dueAt])).toEqual([["2026-11-21", "2026-11-21T09:00:00.000Z"]]);
  });

  it("counts the days back on the user's calendar, across a 25-hour day", async () => {
    // New York falls back on 1 Nov; the open is then 2026-09-30T13:00Z, so at_risk from the start of 1 Nov (local).
    const nyc = { ...ANN, timezone: "America/New_York" };
    const early = email("k", 0, [{ event: "email.opened", afterMs: H }], "ann", new Date("2026-09-30T12:00:00Z"));
    const found = await dailyRuns(config(2 * DAY), { users: [nyc], events: early }, ["2026-10-31", "2026-11-01", "2026-11-02", "2026-11-03"], "16:00:00");
    expect(found.map((rows) => rows.map((s) => `${s.occurrence} ${s.dueAt}`))).toEqual([[], ["2026-11-01 2026-11-01T14:00:00.000Z"], ["2026-11-01 2026-11-01T14:00:00.000Z"], []]);
  });

  it("keeps a lookback of one day to the day itself", async () => {
    expect(await occurrences(DAY, ["2026-11-20", "2026-11-21", "2026-11-22"])).toEqual(["2026-11-21"]);
  });
});

describe("entry engagement_changed across clock changes", () => {
  // A click makes a user engaged; a 1d lookback compares the starts of consecutive local days.
  const welcome: Campaign = {
    id: "welcome-engaged", kind: "trigger", name: "Engaged", entry: { on: "engagement_changed", to: "engaged", lookbackMs: DAY },
    steps: [{ id: "hi", template: "welcome-1", waitMs: 0, origin }], reentry: { policy: "always" }, priority: 0, latenessMs: DAY, origin,
  };
  const nyc = { ...ANN, timezone: "America/New_York" };

  /** The occurrences planned by a run at 16:00 UTC (11:00 or 12:00 in New York) on each day. */
  async function occurrences(clickAt: string, days: string[]): Promise<string[]> {
    const events = [{ user_id: "ann", event: "email.clicked", ts: clickAt, properties: { key: "k", link: "x" } }];
    const config = only({ campaigns: new Map([["welcome-engaged", welcome]]) });
    return (await dailyRuns(config, { users: [nyc], events }, days, "16:00:00")).flat().map((s) => s.occurrence);
  }

  it("starts once, the next day, after a click in the first hour of a 25-hour day", async () => {
    // 00:30 EDT on 1 Nov 2026, the day New York falls back: 1 Nov began before the click, 2 Nov after it.
    expect(await occurrences("2026-11-01T04:30:00Z", ["2026-10-31", "2026-11-01", "2026-11-02", "2026-11-03"])).toEqual(["2026-11-02"]);
  });

  it("starts once, not on two days, after a click in the last hour before a 23-hour day", async () => {
    // 23:30 EST on 7 Mar 2026; 8 Mar, the day New York springs forward, is the first to begin engaged.
    expect(await occurrences("2026-03-08T04:30:00Z", ["2026-03-07", "2026-03-08", "2026-03-09", "2026-03-10"])).toEqual(["2026-03-08"]);
  });

  it("starts once, the next day, after a click in the first hour of a 24-hour day", async () => {
    // The control: 00:30 EST on 11 Jan 2026, far from any clock change.
    expect(await occurrences("2026-01-11T05:30:00Z", ["2026-01-10", "2026-01-11", "2026-01-12", "2026-01-13"])).toEqual(["2026-01-12"]);
  });
});

describe("audienceSnapshot", () => {
  it("counts users who had signed up by then per level, band and tag", async () => {
    const bob = { ...ANN, user_id: "bob", email: "bob@example.com" };
    const late = { ...ANN, user_id: "cat", email: "cat@example.com", created_at: "2026-12-01T00:00:00Z" };
    const snap = await openData({
      users: [ANN, bob, late],
      events: [
        ...email("a", 5, [clicked]),
        ...email("b", 10, [opened], "bob"),
        { user_id: "ann", event: "webinar.registered", ts: "2026-11-19T10:00:00Z" },
        { user_id: "ann", event: "webinar.registered", ts: "2026-11-18T10:00:00Z" },
      ],
    });
    const tags = new Map([["webinar", { id: "webinar", name: "webinar", entry: { on: "event" as const, event: "webinar.registered" }, origin }]]);
    const counts = await audienceSnapshot(only({ tags }), snap, NOW);
    expect(counts.levels).toEqual({ not_engaged: 0, at_risk: 0, neutral: 1, engaged: 1, highly_engaged: 0 });
    // ann: two webinars (10 each, decay 60d) + one opened email (1) ≈ 20.8 → warm; bob: 1 → cold
    expect(counts.bands).toEqual({ hot: 0, warm: 1, cold: 1 });
    expect(counts.tags).toEqual({ webinar: 1 });
  });

  it("agrees with itself at an earlier instant: later events are not counted", async () => {
    const snap = await openData({ users: [ANN], events: email("a", 5, [clicked]) });
    const counts = await audienceSnapshot(only(), snap, new Date(NOW.getTime() - 6 * DAY));
    expect(counts.levels.not_engaged).toBe(1);
  });
});
