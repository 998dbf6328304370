import { describe, expect, it } from "vitest";
import type { Campaign, Config, Step, TagRule } from "../../src/engine/config/types.ts";
import { evaluate } from "../../src/engine/evaluate/evaluate.ts";
import { explain } from "../../src/engine/explain/explain.ts";
import { messageKey } from "../../src/engine/index.ts";
import { planRecords } from "../../src/engine/ledger/plan-records.ts";
import { campaign, D, fixtureConfig, origin, step, withCampaigns } from "./_campaign-fixture.ts";
import { openData, type Data } from "./_snapshot-files.ts";

const ANN = { user_id: "ann", email: "ann@example.com", first_name: "Ann", created_at: "2026-11-20T02:00:00Z", timezone: "Europe/Berlin" };

const plan = async (config: Config, data: Data, now: string) => evaluate(config, await openData({ ...data, users: data.users ?? [ANN] }), new Date(now));
const sent = (key: string, at: string, occurrence = "2026-11-20T02:00:00.000Z", stepId = "hello") => [
  { kind: "intent", at, run: "r", key, user_id: "ann", campaign: "welcome", step: stepId, template: "welcome-1", type: "regular", occurrence, due: at, batch: "b" },
  { kind: "sent", at, run: "r", key, provider_id: "p", transport: "outbox" },
];
const keyOf = (stepId: string, occurrence = "2026-11-20T02:00:00.000Z") => messageKey("ann", "welcome", stepId, occurrence);

describe("evaluate", () => {
  it("makes a signup step due at the opening of the user's local send window", async () => {
    // Signed up 03:00 Berlin; the window opens 09:00 Berlin = 08:00 UTC.
    const p = await plan(withCampaigns(campaign()), {}, "2026-11-20T08:30:00Z");
    expect(p.sends.map((s) => [s.userId, s.step, s.dueAt])).toEqual([["ann", "hello", "2026-11-20T08:00:00.000Z"]]);
    expect(p.sends[0]!.key).toBe(keyOf("hello"));
  });

  it("uses the settings' time zone for a user whose zone is unknown, instead of failing the run", async () => {
    // The fixture's default zone is Europe/Berlin: the same moment as for a Berlin user.
    const p = await plan(withCampaigns(campaign()), { users: [{ ...ANN, timezone: "Mars/Olympus_Mons" }] }, "2026-11-20T08:30:00Z");
    expect(p.sends.map((s) => [s.userId, s.dueAt])).toEqual([["ann", "2026-11-20T08:00:00.000Z"]]);
    expect(p.warnings).toEqual([expect.stringMatching(/^1 user\(s\) have a time zone that is not an IANA name: "Mars\/Olympus_Mons" \(1\); they are planned in the settings' zone Europe\/Berlin/)]);
  });

  it("reads a zone written in another case as that zone, as the renderer does, and warns of nothing", async () => {
    // 09:00 in New York is 14:00 UTC; Berlin's window (the fallback) opened at 08:00 UTC.
    const users = [{ ...ANN, timezone: "america/new_york" }, { ...ANN, user_id: "bob", timezone: " America/New_York " }];
    const p = await plan(withCampaigns(campaign()), { users }, "2026-11-20T14:00:00Z");
    expect(p.sends.map((s) => [s.userId, s.dueAt]).sort()).toEqual([["ann", "2026-11-20T14:00:00.000Z"], ["bob", "2026-11-20T14:00:00.000Z"]]);
    expect(p.held).toEqual([]);
    expect(p.warnings).toEqual([]);
  });

  it("runs with the settings' zone written in another case", async () => {
    const config = withCampaigns(campaign());
    const lower = { ...config, settings: { ...config.settings, timezone: "europe/berlin" } };
    const p = await plan(lower, { users: [{ ...ANN, timezone: null }] }, "2026-11-20T08:30:00Z");
    expect(p.sends.map((s) => s.dueAt)).toEqual(["2026-11-20T08:00:00.000Z"]);
  });

  /** The one-step signup sequence under a send window from `start` to `end` (minutes after local midnight). */
  const inWindow = (start = 9 * 60, end = 18 * 60): Config => {
    const config = withCampaigns(campaign());
    return { ...config, settings: { ...config.settings, sendWindow: { startMinute: start, endMinute: end } } };
  };
  /** The due moments of the sends `config` plans for `users` at `now`. */
  const dues = async (config: Config, users: Data["users"], now: string): Promise<string[]> =>
    (await plan(config, { users }, now)).sends.map((s) => s.dueAt);
  /** Checks that `users`' one send is not due at `before` (default: a minute earlier) and is due at `at`. */
  const expectDueAt = async (config: Config, users: Data["users"], at: string, before = new Date(Date.parse(at) - 60_000).toISOString()): Promise<void> => {
    expect(await dues(config, users, before)).toEqual([]);
    expect(await dues(config, users, at)).toEqual([new Date(at).toISOString()]);
  };

  it("opens the send window in the user's own zone", async () => {
    // Signed up 02:00 UTC = 21:00 the day before in New York; the window opens 09:00 New York = 14:00 UTC.
    const users = [{ ...ANN, timezone: "America/New_York" }];
    await expectDueAt(inWindow(), users, "2026-11-20T14:00:00Z");
  });

  it("opens the send window at 09:00 local on the day clocks spring forward", async () => {
    // New York, 2026-03-08: 02:00 EST becomes 03:00 EDT. Signed up 01:00 EST (06:00 UTC);
    // 09:00 that day is EDT, 13:00 UTC, not the 14:00 UTC it was the day before.
    const users = [{ ...ANN, timezone: "America/New_York", created_at: "2026-03-08T06:00:00Z" }];
    await expectDueAt(inWindow(), users, "2026-03-08T13:00:00Z");
  });

  it("opens a window whose start falls in the hour clocks skip when the clock jumps into it", async () => {
    // New York, 2026-03-08: 02:00 EST becomes 03:00 EDT (07:00 UTC), so 02:30 does not
    // exist that day; the clock shows 03:00, inside 02:30–18:00, from 07:00 UTC. Signed up 01:00 EST.
    const users = [{ ...ANN, timezone: "America/New_York", created_at: "2026-03-08T06:00:00Z" }];
    await expectDueAt(inWindow(150), users, "2026-03-08T07:00:00Z");
    // St John's changed its clock at 00:01 until 2011, not on a quarter hour: on 2009-03-08
    // 00:01 NST (03:31 UTC) became 01:01 NDT, inside 00:30–01:15. Signed up 23:30 the evening before.
    const stJohns = [{ ...ANN, timezone: "America/St_Johns", created_at: "2009-03-08T03:00:00Z" }];
    await expectDueAt(inWindow(30, 75), stJohns, "2009-03-08T03:31:00Z");
  });

  it("opens a window lying wholly in the hour clocks skip that long after the change, for as long as it lasts", async () => {
    // Sydney, 2026-10-04: 02:00 AEST becomes 03:00 AEDT (16:00 UTC on the 3rd), so a
    // 02:00–02:45 window runs 03:00–03:45 AEDT, 16:00–16:45 UTC, that day. Signed up 00:30 AEST.
    const sydney = inWindow(120, 165);
    const users = [{ ...ANN, timezone: "Australia/Sydney", created_at: "2026-10-03T14:30:00Z" }];
    expect(await dues(sydney, users, "2026-10-03T15:59:00Z")).toEqual([]);
    expect(await dues(sydney, users, "2026-10-03T16:30:00Z")).toEqual(["2026-10-03T16:00:00.000Z"]);
    const after = await plan(sydney, { users }, "2026-10-03T16:45:00Z");
    expect(after.held.map((h) => [h.status, h.dueAt])).toEqual([["outside_window", "2026-10-03T16:00:00.000Z"]]);
    // Signed up 03:10 AEDT, after 02:45 by the clock but inside that day's window: due at once.
    const late = [{ ...ANN, timezone: "Australia/Sydney", created_at: "2026-10-03T16:10:00Z" }];
    expect(await dues(sydney, late, "2026-10-03T16:10:00Z")).toEqual(["2026-10-03T16:10:00.000Z"]);
    // The day after, the window is 02:00–02:45 AEDT again (15:00–15:45 UTC): 03:10 is past it.
    const dayAfter = [{ ...ANN, timezone: "Australia/Sydney", created_at: "2026-10-04T16:10:00Z" }];
    await expectDueAt(sydney, dayAfter, "2026-10-05T15:00:00Z", "2026-10-04T16:10:00Z");
  });

  it("opens the send window at 09:00 local on the day clocks fall back", async () => {
    // New York, 2026-11-01: 02:00 EDT becomes 01:00 EST. Signed up 23:00 EDT the evening
    // before (03:00 UTC); 09:00 on the 1st is EST, 14:00 UTC (13:00 UTC would be 08:00).
    const users = [{ ...ANN, timezone: "America/New_York", created_at: "2026-11-01T03:00:00Z" }];
    await expectDueAt(inWindow(), users, "2026-11-01T14:00:00Z");
  });

  it("makes a moment in the hour the clocks turn back due at that moment, not an hour later", async () => {
    // New York, 2026-11-01: 01:00–02:00 local happens twice. Signed up 05:30 UTC, 01:30 EDT
    // (the first 01:30); a window open all day leaves the moment as it is.
    const users = [{ ...ANN, timezone: "America/New_York", created_at: "2026-11-01T05:30:00Z" }];
    expect(await dues(inWindow(0, 24 * 60), users, "2026-11-01T05:30:00Z")).toEqual(["2026-11-01T05:30:00.000Z"]);
  });

  it("opens a window whose start falls in the hour the clocks turn back at the first of the two, not an hour later", async () => {
    // New York, 2026-11-01: 01:30 comes twice, at 05:30 UTC (EDT) and 06:30 UTC (EST). A
    // window opening at 01:30 opens at the first; signed up 00:00 EDT (04:00 UTC).
    const users = [{ ...ANN, timezone: "America/New_York", created_at: "2026-11-01T04:00:00Z" }];
    expect(await dues(inWindow(90), users, "2026-11-01T05:29:00Z")).toEqual([]);
    expect(await dues(inWindow(90), users, "2026-11-01T05:45:00Z")).toEqual(["2026-11-01T05:30:00.000Z"]);
    // Lord Howe turns back half an hour (02:00 +11 becomes 01:30 +10:30 on 2026-04-05): a
    // window opening at 01:45 opens at 14:45 UTC, not at 15:15.
    const lordHowe = [{ ...ANN, timezone: "Australia/Lord_Howe", created_at: "2026-04-04T13:00:00Z" }];
    expect(await dues(inWindow(105), lordHowe, "2026-04-04T14:50:00Z")).toEqual(["2026-04-04T14:45:00.000Z"]);
    // Troll turns back two hours (03:00 +02 becomes 01:00 +00 on 2026-10-25): a window opening
    // at 01:30 opens at 23:30 UTC the day before, not at 01:30 UTC.
    const troll = [{ ...ANN, timezone: "Antarctica/Troll", created_at: "2026-10-24T22:00:00Z" }];
    expect(await dues(inWindow(90, 105), troll, "2026-10-24T23:35:00Z")).toEqual(["2026-10-24T23:30:00.000Z"]);
  });

  it("never makes a moment due before itself: a moment in the second pass of a repeated hour waits for the second opening", async () => {
    // New York, 2026-11-01: signed up at the second 01:10 (EST, 06:10 UTC), under a 01:30–01:45
    // window. The first 01:30 (05:30 UTC) is already past; the window opens at the second, 06:30 UTC.
    const users = [{ ...ANN, timezone: "America/New_York", created_at: "2026-11-01T06:10:00Z" }];
    await expectDueAt(inWindow(90, 105), users, "2026-11-01T06:30:00Z", "2026-11-01T06:20:00Z");
  });

  it("moves a moment to the next day when the clock skips the whole window", async () => {
    // Lord Howe, 2026-10-04: 02:00 +10:30 becomes 02:30 +11 (15:30 UTC on the 3rd), so a
    // 02:00–02:30 window never opens that day; the next opening is 02:00 +11 on the 5th,
    // 15:00 UTC on the 4th. Signed up 01:00 +10:30.
    const users = [{ ...ANN, timezone: "Australia/Lord_Howe", created_at: "2026-10-03T14:30:00Z" }];
    const skipped = await plan(inWindow(120, 150), { users }, "2026-10-03T15:40:00Z");
    expect([skipped.sends, skipped.held]).toEqual([[], []]);
    expect(await dues(inWindow(120, 150), users, "2026-10-04T15:00:00Z")).toEqual(["2026-10-04T15:00:00.000Z"]);
    // Nuuk, 2026-03-28: 23:00 -02 becomes 00:00 -01 on the 29th (01:00 UTC), so a 23:00–23:59
    // window never opens on the 28th: read an hour later it would fall on the 29th, whose
    // own window is 23:00 -01 (00:00 UTC on the 30th). Signed up at noon on the 28th.
    const nuuk = [{ ...ANN, timezone: "America/Nuuk", created_at: "2026-03-28T14:00:00Z" }];
    expect(await dues(inWindow(23 * 60, 23 * 60 + 59), nuuk, "2026-03-29T23:59:00Z")).toEqual([]);
    expect(await dues(inWindow(23 * 60, 23 * 60 + 59), nuuk, "2026-03-30T00:00:00Z")).toEqual(["2026-03-30T00:00:00.000Z"]);
  });

  it("moves a moment after the window's close by the clock to an opening later that day when the clock changes over it", async () => {
    // New York, 2026-11-01: 01:00–02:00 comes twice. A 01:00–01:45 window is open 05:00–05:45
    // UTC (EDT) and again 06:00–06:45 UTC (EST). Signed up at the first 01:50 (05:50 UTC): due
    // at the second 01:00, not 24 hours later.
    const users = [{ ...ANN, timezone: "America/New_York", created_at: "2026-11-01T05:50:00Z" }];
    await expectDueAt(inWindow(60, 105), users, "2026-11-01T06:00:00Z");
    // Signed up at the second 01:50 (06:50 UTC): the next opening is the next night's.
    const second = [{ ...ANN, timezone: "America/New_York", created_at: "2026-11-01T06:50:00Z" }];
    await expectDueAt(inWindow(60, 105), second, "2026-11-02T06:00:00Z", "2026-11-01T06:55:00Z");
    // A 00:30–01:15 window has no second opening, but the clock turns back into it at 06:00
    // UTC (01:00 EST): a moment at the first 01:20 (05:20 UTC) is due then.
    const back = [{ ...ANN, timezone: "America/New_York", created_at: "2026-11-01T05:20:00Z" }];
    await expectDueAt(inWindow(30, 75), back, "2026-11-01T06:00:00Z");
    // St John's, 2009-11-01: 00:01 NDT turned back to 23:01 NST at 02:31 UTC, into a
    // 22:50–23:10 window; signed up at 23:20 NDT (01:50 UTC), due at the turn.
    const stJohns = [{ ...ANN, timezone: "America/St_Johns", created_at: "2009-11-01T01:50:00Z" }];
    await expectDueAt(inWindow(22 * 60 + 50, 23 * 60 + 10), stJohns, "2009-11-01T02:31:00Z");
    // New York, 2026-03-08: 02:00 EST becomes 03:00 EDT, so a 02:30–02:40 window runs
    // 03:30–03:40 EDT. Signed up at 03:10 EDT (07:10 UTC): due at 03:30 that day.
    const spring = [{ ...ANN, timezone: "America/New_York", created_at: "2026-03-08T07:10:00Z" }];
    await expectDueAt(inWindow(150, 160), spring, "2026-03-08T07:30:00Z");
  });

  it("honours a clock change in the evening, where a zone changes its clock at night's end elsewhere", async () => {
    // Nuuk, 2026-10-25 01:00 UTC: 00:00 -01 becomes 23:00 -02, so 23:00–00:00 comes twice.
    // A 22:00–23:15 window is open again from 01:00 UTC; signed up at the first 23:20
    // (00:20 UTC): due at the turn back, not the next evening.
    const users = [{ ...ANN, timezone: "America/Nuuk", created_at: "2026-10-25T00:20:00Z" }];
    await expectDueAt(inWindow(22 * 60, 23 * 60 + 15), users, "2026-10-25T01:00:00Z");
    // A Berlin user beside them changes nothing.
    const both = [...users, { ...ANN, user_id: "u2", email: "u2@example.com", created_at: "2026-10-25T00:20:00Z" }];
    expect(await dues(inWindow(22 * 60, 23 * 60 + 15), both, "2026-10-25T01:00:00Z")).toEqual(["2026-10-25T01:00:00.000Z"]);
  });

  it("waits exactly 24 hours for `1d` across a clock change, not until the same wall time", async () => {
    // The first email went at 09:00 EST (14:00 UTC) on 2026-03-07; a day later is 14:00 UTC,
    // 10:00 EDT, inside the window, so that is when the next step is due.
    const occurrence = "2026-03-07T12:00:00.000Z";
    const users = [{ ...ANN, timezone: "America/New_York", created_at: occurrence }];
    const c = campaign({ steps: [step("hello"), step("next", { after: "hello", waitMs: D })] });
    const ledger = sent(keyOf("hello", occurrence), "2026-03-07T14:00:00Z", occurrence);
    expect((await plan(withCampaigns(c), { users, ledger }, "2026-03-08T13:59:00Z")).sends).toEqual([]);
    const p = await plan(withCampaigns(c), { users, ledger }, "2026-03-08T14:00:00Z");
    expect(p.sends.map((s) => [s.step, s.dueAt])).toEqual([["next", "2026-03-08T14:00:00.000Z"]]);
  });

  it("plans nothing before the moment has come", async () => {
    const p = await plan(withCampaigns(campaign()), {}, "2026-11-20T07:59:00Z");
    expect(p.sends).toEqual([]);
    expect(p.held).toEqual([]);
  });

  it("never plans a key the ledger records as sent, but re-plans an intent with no outcome", async () => {
    const done = await plan(withCampaigns(campaign()), { ledger: sent(keyOf("hello"), "2026-11-20T08:01:00Z") }, "2026-11-20T09:00:00Z");
    expect(done.sends).toEqual([]);
    const crashed = await plan(withCampaigns(campaign()), { ledger: sent(keyOf("hello"), "2026-11-20T08:01:00Z").slice(0, 1) }, "2026-11-20T09:00:00Z");
    expect(crashed.sends.map((s) => s.key)).toEqual([keyOf("hello")]);
  });

  it("never plans a key sent with no intent record, though the ledger does not say whose step it was", async () => {
    const p = await plan(withCampaigns(campaign()), { ledger: sent(keyOf("hello"), "2026-11-20T08:01:00Z").slice(1) }, "2026-11-20T09:00:00Z");
    expect(p.sends).toEqual([]);
  });

  it("never plans a key whose intent record names another occurrence than the key was made from", async () => {
    const p = await plan(withCampaigns(campaign()), { ledger: sent(keyOf("hello"), "2026-11-20T08:01:00Z", "edited") }, "2026-11-20T09:00:00Z");
    expect(p.sends).toEqual([]);
  });

  it("chains a step on a previous send whose intent record is missing", async () => {
    const c = campaign({ steps: [step("hello"), step("next", { after: "hello", waitMs: D })] });
    const p = await plan(withCampaigns(c), { ledger: sent(keyOf("hello"), "2026-11-20T08:05:00Z").slice(1) }, "2026-11-21T08:06:00Z");
    expect(p.sends.map((s) => [s.step, s.dueAt, s.key])).toEqual([["next", "2026-11-21T08:05:00.000Z", keyOf("next")]]);
  });

  it("chains a step on the previous step's send time plus its wait", async () => {
    const c = campaign({ steps: [step("hello"), step("next", { after: "hello", waitMs: D })] });
    const ledger = sent(keyOf("hello"), "2026-11-20T08:05:00Z");
    expect((await plan(withCampaigns(c), { ledger }, "2026-11-21T08:04:00Z")).sends).toEqual([]);
    const p = await plan(withCampaigns(c), { ledger }, "2026-11-21T08:06:00Z");
    expect(p.sends.map((s) => [s.step, s.dueAt])).toEqual([["next", "2026-11-21T08:05:00.000Z"]]);
  });

  it("branches on the previous email: a click takes `clicked`, a machine open alone counts as not opened", async () => {
    const c = campaign({
      steps: [step("hello"), step("clicked", { after: "hello", waitMs: D, when: "clicked" }), step("resend", { after: "hello", waitMs: D, when: "not_opened" })],
    });
    const ledger = sent(keyOf("hello"), "2026-11-20T08:00:00Z");
    const props = { key: keyOf("hello") };
    const machineOpen = [{ user_id: "ann", event: "email.opened", ts: "2026-11-20T08:00:30Z", properties: props }];
    const p1 = await plan(withCampaigns(c), { ledger, events: machineOpen }, "2026-11-21T09:00:00Z");
    expect(p1.sends.map((s) => s.step)).toEqual(["resend"]);
    const click = [{ user_id: "ann", event: "email.clicked", ts: "2026-11-20T12:00:00Z", properties: { ...props, link: "https://x.example" } }];
    const p2 = await plan(withCampaigns(c), { ledger, events: click }, "2026-11-21T09:00:00Z");
    expect(p2.sends.map((s) => s.step)).toEqual(["clicked"]);
  });

  it("counts the machine-open window from the delivery: an open seconds after a late delivery is no person's", async () => {
    const c = campaign({
      steps: [step("hello"), step("opened", { after: "hello", waitMs: D, when: "opened" }), step("resend", { after: "hello", waitMs: D, when: "not_opened" })],
    });
    const ledger = sent(keyOf("hello"), "2026-11-20T08:00:00Z");
    const props = { key: keyOf("hello") };
    const delivered = { user_id: "ann", event: "email.delivered", ts: "2026-11-20T08:30:00Z", properties: props };
    const open = (ts: string) => ({ user_id: "ann", event: "email.opened", ts, properties: props });
    const stepAfter = async (events: Record<string, unknown>[]) =>
      (await plan(withCampaigns(c), { ledger, events }, "2026-11-21T09:00:00Z")).sends.map((s) => s.step);
    expect(await stepAfter([delivered, open("2026-11-20T08:30:20Z")])).toEqual(["resend"]); // the proxy fetched it on delivery
    expect(await stepAfter([delivered, open("2026-11-20T08:20:00Z")])).toEqual(["resend"]); // before its delivery: no person either
    expect(await stepAfter([delivered, open("2026-11-20T08:32:01Z")])).toEqual(["opened"]);
    expect(await stepAfter([open("2026-11-20T08:01:00Z")])).toEqual(["resend"]); // no delivery known: from the send
    expect(await stepAfter([open("2026-11-20T08:30:20Z")])).toEqual(["opened"]);
  });

  it("holds a step missed by more than the lateness allowance as too late", async () => {
    const p = await plan(withCampaigns(campaign()), {}, "2026-11-21T08:00:01Z");
    expect(p.sends).toEqual([]);
    expect(p.held.map((h) => h.status)).toEqual(["too_late"]);
  });

  it("suppresses marketing email to an unsubscribed user but still sends service email", async () => {
    const events = [{ user_id: "ann", event: "unsubscribed", ts: "2026-11-20T02:30:00Z" }];
    const marketing = await plan(withCampaigns(campaign()), { events }, "2026-11-20T09:00:00Z");
    expect(marketing.held.map((h) => h.status)).toEqual(["suppressed"]);
    const service = await plan(withCampaigns(campaign({ steps: [step("hello", { type: "service" })] })), { events }, "2026-11-20T09:00:00Z");
    expect(service.sends).toHaveLength(1);
  });

  it("holds service email for a user suppressed for any reason the service rule names, not only the first", async () => {
    const events = [
      { user_id: "ann", event: "email.bounced", ts: "2026-11-20T02:30:00Z", properties: { bounce_type: "Permanent" } },
      { user_id: "ann", event: "email.complained", ts: "2026-11-20T02:40:00Z" },
    ];
    const config = withCampaigns(campaign({ steps: [step("hello", { type: "service" })] }));
    const strict = { ...config, settings: { ...config.settings, suppression: { ...config.settings.suppression, service: ["complained" as const] } } };
    const p = await plan(strict, { events }, "2026-11-20T09:00:00Z");
    expect(p.held.map((h) => [h.status, h.reason])).toEqual([["suppressed", "complained: no service email"]]);
  });

  it("lists a suppression the events show and the ledger does not record yet, and not once it is recorded", async () => {
    const events = [
      { user_id: "ann", event: "unsubscribed", ts: "2026-11-20T02:30:00Z" },
      { user_id: "ann", event: "email.bounced", ts: "2026-11-20T02:20:00Z", properties: { bounce_type: "Transient" } },
    ];
    const fresh = await plan(withCampaigns(campaign()), { events }, "2026-11-20T09:00:00Z");
    expect(fresh.suppressions).toEqual([{ userId: "ann", reason: "unsubscribed", since: "2026-11-20T02:30:00.000Z" }]);
    const ledger = [{ kind: "suppressed", at: "2026-11-20T03:00:00Z", run: "r", user_id: "ann", reason: "unsubscribed", since: "2026-11-20T02:30:00.000Z" }];
    expect((await plan(withCampaigns(campaign()), { events, ledger }, "2026-11-20T09:00:00Z")).suppressions).toEqual([]);
  });

  it("keeps a suppression the ledger recorded after the snapshot dropped its event, from the moment it was recorded", async () => {
    // A rolling export no longer holds Ann's unsubscribe; the ledger does.
    const ledger = [{ kind: "suppressed", at: "2026-11-20T09:30:00Z", run: "r", user_id: "ann", reason: "unsubscribed", since: "2026-08-01T10:00:00.000Z" }];
    const p = await plan(withCampaigns(campaign()), { ledger }, "2026-11-20T10:00:00Z");
    expect(p.held.map((h) => [h.status, h.reason])).toEqual([["suppressed", "unsubscribed: no marketing email"]]);
    expect(p.suppressions).toEqual([]);
    // As of an instant before the record was written (a backtest, a reproduced run), it does not hold yet.
    const before = await plan(withCampaigns(campaign()), { ledger }, "2026-11-20T09:00:00Z");
    expect(before.sends.map((s) => s.userId)).toEqual(["ann"]);
  });

  it("holds users without an email address", async () => {
    const p = await plan(withCampaigns(campaign()), { users: [{ ...ANN, email: "" }] }, "2026-11-20T09:00:00Z");
    expect(p.held.map((h) => h.status)).toEqual(["no_email"]);
  });

  it("holds a due step while the user's local time is outside the send window", async () => {
    // 18:30 Berlin: due since 09:00, not too late, but not a time to send.
    const p = await plan(withCampaigns(campaign()), {}, "2026-11-20T17:30:00Z");
    expect(p.held.map((h) => h.status)).toEqual(["outside_window"]);
  });

  it("admits one promo a day by priority and defers the other", async () => {
    const promo = (id: string, priority: number) => campaign({ id, priority, steps: [step("hello", { type: "promo" })] });
    const p = await plan(withCampaigns(promo("low", 1), promo("high", 9)), {}, "2026-11-20T09:00:00Z");
    expect(p.sends.map((s) => s.campaign)).toEqual(["high"]);
    expect(p.held.map((h) => [h.campaign, h.status])).toEqual([["low", "capped"]]);
    expect(p.held[0]!.reason).toBe("cap of 1 promo email(s) per 1d reached; deferred");
  });

  it("names a cap's window as the settings write it, not rounded to hours", async () => {
    const config = withCampaigns(campaign({ id: "a", steps: [step("hello", { type: "promo" })] }), campaign({ id: "b", steps: [step("hello", { type: "promo" })] }));
    const twenty = { ...config, settings: { ...config.settings, caps: [{ types: ["promo" as const], max: 1, perMs: 20 * 60_000 }] } };
    const p = await plan(twenty, {}, "2026-11-20T09:00:00Z");
    expect(p.held.map((h) => h.reason)).toEqual(["cap of 1 promo email(s) per 20m reached; deferred"]);
  });

  it("counts the ledger's recent sends against the cap", async () => {
    const promo = campaign({ id: "offer", steps: [step("hello", { type: "promo" })] });
    const ledger = sent("other", "2026-11-20T08:30:00Z").map((r) => ({ ...r, type: "promo" }));
    const p = await plan(withCampaigns(promo), { ledger }, "2026-11-20T09:00:00Z");
    expect(p.held.map((h) => h.status)).toEqual(["capped"]);
  });

  it("counts a recent send once when its intent was recorded twice, and not a send older than the cap's window", async () => {
    const promo = campaign({ id: "offer", steps: [step("hello", { type: "promo" })] });
    const two = withCampaigns(promo);
    const config = { ...two, settings: { ...two.settings, caps: [{ types: ["promo" as const], max: 2, perMs: D }] } };
    // A replayed batch writes the intent again; the key was still sent once.
    const [intent, send] = sent("other", "2026-11-20T08:30:00Z").map((r) => ({ ...r, type: "promo" }));
    const replayed = await plan(config, { ledger: [intent!, { ...intent!, run: "r2" }, send!] }, "2026-11-20T09:00:00Z");
    expect(replayed.sends.map((s) => s.campaign)).toEqual(["offer"]);
    // Two sends, but one of them a day and a minute ago: outside the window.
    const older = sent("older", "2026-11-19T08:59:00Z").map((r) => ({ ...r, type: "promo" }));
    const oneRecent = await plan(config, { ledger: [intent!, send!, ...older] }, "2026-11-20T09:00:00Z");
    expect(oneRecent.sends.map((s) => s.campaign)).toEqual(["offer"]);
    const both = sent("newer", "2026-11-20T07:00:00Z").map((r) => ({ ...r, type: "promo" }));
    const capped = await plan(config, { ledger: [intent!, send!, ...both] }, "2026-11-20T09:00:00Z");
    expect(capped.held.map((h) => h.status)).toEqual(["capped"]);
  });

  it("warns of a user attribute the snapshot has no column for, which matches no one or everyone in silence", async () => {
    const typo = campaign({ audience: { kind: "attribute", attribute: "overdue_taks", op: "not_exists" } });
    const p = await plan(withCampaigns(typo), {}, "2026-11-20T09:00:00Z");
    expect(p.sends.map((s) => s.userId)).toEqual(["ann"]); // not_exists holds for everyone
    expect(p.warnings).toEqual([
      `attribute "overdue_taks" (sequences/t.json) is not a column of the users snapshot, so every condition on it reads it as empty: "exists" holds for no one and "not_exists" for everyone. Check its spelling, or export the column`,
    ]);
    // A column spelt in another case is the column.
    const named = campaign({ audience: { kind: "attribute", attribute: "First_Name", op: "exists" } });
    expect((await plan(withCampaigns(named), {}, "2026-11-20T09:00:00Z")).warnings).toEqual([]);
    // A segment counts where a campaign reads it (the fixture's trial-users tests `plan`, which ann lacks).
    const inSegment = campaign({ audience: { kind: "segment", segment: "trial-users" } });
    expect((await plan(withCampaigns(inSegment), {}, "2026-11-20T09:00:00Z")).warnings).toEqual([
      expect.stringMatching(/^attribute "plan" \(segments\/trial-users\.json\) is not a column of the users snapshot/)]);
  });

  it("holds an email address no mail server takes as no_email, and sends to one with a plus or an apostrophe", async () => {
    const users = ["not-an-email", "ann@example", "ann@@example.com", "ann@example.com, bob@example.com", "ann+news@example.com", "o'brien@example.ie"]
      .map((email, i) => ({ ...ANN, user_id: `u${i}`, email }));
    const p = await plan(withCampaigns(campaign()), { users }, "2026-11-20T09:00:00Z");
    expect(p.sends.map((s) => s.userId).sort()).toEqual(["u4", "u5"]);
    expect(p.held.map((h) => [h.userId, h.status, h.reason]).sort()).toEqual([0, 1, 2, 3].map((i) =>
      [`u${i}`, "no_email", "the user's email address is not one mail can be sent to (fix it in the users snapshot)"]));
    expect(JSON.stringify(p.held)).not.toContain("not-an-email"); // a reason never carries the address
  });

  it("ends the occurrence when the goal event happened after entry", async () => {
    const c = campaign({ goal: { event: "subscription.purchased", attributionMs: 7 * D } });
    const events = [{ user_id: "ann", event: "subscription.purchased", ts: "2026-11-20T05:00:00Z" }];
    const p = await plan(withCampaigns(c), { events }, "2026-11-20T09:00:00Z");
    expect(p.held.map((h) => h.status)).toEqual(["goal_reached"]);
  });

  it("once past the lateness allowance, a row its goal or exit holds is too late (recorded as skipped), not held again in every run", async () => {
    const c = campaign({ goal: { event: "subscription.purchased", attributionMs: 7 * D }, exit: { kind: "event", event: "task.created", min: 1 } });
    const converted = [{ user_id: "ann", event: "subscription.purchased", ts: "2026-11-20T05:00:00Z" }];
    const quit = [{ user_id: "ann", event: "task.created", ts: "2026-11-20T05:00:00Z" }];
    // Due at 08:00 UTC on the 20th; the allowance (1d) runs out at 08:00 on the 21st.
    for (const [events, within, past] of [[converted, "goal_reached", 'goal "subscription.purchased" reached'], [quit, "exited", "exit condition holds"]] as const) {
      expect((await plan(withCampaigns(c), { events }, "2026-11-21T08:00:00Z")).held.map((h) => h.status)).toEqual([within]);
      const late = (await plan(withCampaigns(c), { events }, "2026-11-21T08:00:01Z")).held;
      expect(late.map((h) => h.status)).toEqual(["too_late"]);
      expect(late[0]!.reason).toContain(past);
    }
  });

  it("holds the step when the exit condition holds", async () => {
    const c = campaign({ exit: { kind: "event", event: "task.created", min: 1 } });
    const events = [{ user_id: "ann", event: "task.created", ts: "2026-11-20T05:00:00Z" }];
    expect((await plan(withCampaigns(c), { events }, "2026-11-20T09:00:00Z")).held.map((h) => h.status)).toEqual(["exited"]);
  });

  it("starts nothing from an event before the user's signup as of a --now before it: the user does not exist yet", async () => {
    const c = campaign({ kind: "trigger", entry: { on: "event", event: "page.viewed" }, latenessMs: 3 * D });
    const events = [{ user_id: "ann", event: "page.viewed", ts: "2026-11-19T10:00:00Z" }]; // browsing merged into her account at signup (20th, 02:00)
    const before = await plan(withCampaigns(c), { events }, "2026-11-19T12:00:00Z");
    expect([...before.sends, ...before.held]).toEqual([]);
    const after = await plan(withCampaigns(c), { events }, "2026-11-20T09:00:00Z");
    expect(after.sends.map((s) => s.occurrence)).toEqual(["2026-11-19T10:00:00.000Z"]);
  });

  /**
   * A sequence of `steps` whose exit (a login within 1d) holds from `loginAt` (UTC) for a day;
   * "hello" went out on the 20th at 09:00, and a run at `now` recorded what the plan held.
   */
  async function exitRun(steps: Step[], loginAt: string, now: string) {
    const config = withCampaigns(campaign({ steps, exit: { kind: "event", event: "login", min: 1, withinMs: D }, latenessMs: 3 * D }));
    const users = [{ ...ANN, timezone: "UTC" }];
    const events = [{ user_id: "ann", event: "login", ts: loginAt }];
    const helloSent = sent(keyOf("hello"), "2026-11-20T09:00:00Z");
    const held = await plan(config, { users, events, ledger: helloSent }, now);
    return { config, users, events, held, ledger: [...helloSent, ...planRecords(held, now, "r2")] };
  }

  it("ends the occurrence at an exit: a run records the held step as skipped, so it and the steps after it stay unsent once the condition stops holding", async () => {
    // The exit holds until the 22nd, 10:00.
    const { config, users, events, held, ledger } = await exitRun(
      [step("hello"), step("next", { after: "hello", waitMs: D }), step("last", { after: "next", waitMs: D })],
      "2026-11-21T10:00:00Z", "2026-11-21T11:00:00Z",
    );
    expect(held.held.map((h) => [h.step, h.status])).toEqual([["next", "exited"]]);
    expect(ledger.at(-1)).toMatchObject({ kind: "skipped", step: "next", reason: "exited: the campaign's exit condition holds" });
    for (const now of ["2026-11-22T10:30:00Z", "2026-11-23T11:00:00Z"]) {
      const later = await plan(config, { users, events, ledger }, now);
      expect([...later.sends, ...later.held]).toEqual([]);
    }
    const why = await explain(config, await openData({ users, events, ledger }), "ann", new Date("2026-11-22T10:30:00Z"));
    expect(why.campaigns[0]).toMatchObject({ verdict: "ended", endedBy: "exit" });
    expect(why.campaigns[0]!.summary).toContain('step "next" was skipped because its exit condition (sequences/t.json /exit) held, which ended the occurrence');
  });

  it("ends the whole occurrence at an exit: a sibling branch after the same email stays unsent once the condition stops holding", async () => {
    // "nudge" and "later" both follow "hello"; the exit holds when "nudge" is due (until the
    // 22nd, 08:00), and has lapsed by the time "later" is.
    const { config, users, events, held, ledger } = await exitRun(
      [step("hello"), step("nudge", { after: "hello", waitMs: D }), step("later", { after: "hello", waitMs: 2 * D })],
      "2026-11-21T08:00:00Z", "2026-11-21T10:00:00Z",
    );
    expect(held.held.map((h) => [h.step, h.status])).toEqual([["nudge", "exited"]]);
    const later = await plan(config, { users, events, ledger }, "2026-11-22T10:00:00Z");
    expect(later.sends).toEqual([]);
    expect(later.held.map((h) => [h.step, h.status, h.reason])).toEqual([
      ["later", "exited", "the campaign's exit condition held at an earlier step, which ended the occurrence"],
    ]);
    // explain, after the exit lapsed and before "later" is due (09:00), does not promise it.
    const why = await explain(config, await openData({ users, events, ledger }), "ann", new Date("2026-11-22T08:30:00Z"));
    expect(why.campaigns[0]).toMatchObject({ verdict: "ended", endedBy: "exit", upcoming: [] });
  });

  it("`no_event`: an event at exactly anchor + within counts as done within the window; a millisecond later it does not", async () => {
    const c = campaign({
      kind: "trigger", reentry: { policy: "always" },
      entry: { on: "no_event", event: "checkout.completed", withinMs: 4 * 3_600_000, after: { kind: "event", event: "checkout.started" } },
    });
    const checkout = (paid: string) => [
      { user_id: "ann", event: "checkout.started", ts: "2026-11-20T04:00:00Z" },
      { user_id: "ann", event: "checkout.completed", ts: paid },
    ];
    expect((await plan(withCampaigns(c), { events: checkout("2026-11-20T08:00:00Z") }, "2026-11-20T09:00:00Z")).sends).toEqual([]);
    const late = await plan(withCampaigns(c), { events: checkout("2026-11-20T08:00:00.001Z") }, "2026-11-20T09:00:00Z");
    expect(late.sends.map((x) => x.occurrence)).toEqual(["2026-11-20T08:00:00.000Z"]);
  });

  it("re-entry: `never` sends for the first occurrence only, `always` for each", async () => {
    const assigned = (ts: string) => ({ user_id: "ann", event: "task.assigned", ts });
    const events = [assigned("2026-11-20T08:10:00Z"), assigned("2026-11-20T08:20:00Z")];
    const trigger = (policy: "never" | "always") => campaign({ kind: "trigger", entry: { on: "event", event: "task.assigned" }, reentry: { policy } });
    expect((await plan(withCampaigns(trigger("never")), { events }, "2026-11-20T09:00:00Z")).sends).toHaveLength(1);
    expect((await plan(withCampaigns(trigger("always")), { events }, "2026-11-20T09:00:00Z")).sends).toHaveLength(2);
  });

  it("assigns a chain of tags whatever order tags.json lists them in", async () => {
    const tag = (id: string, entry: Campaign["entry"], condition?: TagRule["condition"]): TagRule => ({ id, name: id, entry, condition, origin });
    const rules = [
      tag("c", { on: "tag_assigned", tag: "b" }),
      tag("b", { on: "signup" }, { kind: "tag", tag: "a" }),
      tag("a", { on: "signup" }),
    ];
    const config = { ...withCampaigns(campaign({ kind: "trigger", entry: { on: "tag_assigned", tag: "c" } })), tags: new Map(rules.map((r) => [r.id, r])) };
    expect((await plan(config, {}, "2026-11-20T09:00:00Z")).sends.map((s) => s.campaign)).toEqual(["welcome"]);
  });

  describe("re-entry counts the occurrences the ledger records", () => {
    const overdue = (n: number) => [{ ...ANN, overdue_tasks: n }];
    const daily = (reentry: Campaign["reentry"], steps = [step("hello")]) => campaign({
      kind: steps.length > 1 ? "sequence" : "trigger", reentry, steps,
      entry: { on: "condition", condition: { kind: "attribute", attribute: "overdue_tasks", op: "gt", value: 0 } },
    });
    const day1 = sent(keyOf("hello", "2026-11-20"), "2026-11-20T09:00:01Z", "2026-11-20");

    it("`never`: a condition that still holds the next day does not start the trigger again", async () => {
      const c = withCampaigns(daily({ policy: "never" }));
      expect((await plan(c, { users: overdue(3) }, "2026-11-20T09:00:00Z")).sends.map((s) => s.occurrence)).toEqual(["2026-11-20"]);
      expect((await plan(c, { users: overdue(3), ledger: day1 }, "2026-11-21T09:00:00Z")).sends).toEqual([]);
    });

    it("`cooldown`: a daily condition starts again only once the cooldown has passed since the last occurrence", async () => {
      const c = withCampaigns(daily({ policy: "cooldown", cooldownMs: 7 * D }));
      expect((await plan(c, { users: overdue(3), ledger: day1 }, "2026-11-26T09:00:00Z")).sends).toEqual([]);
      expect((await plan(c, { users: overdue(3), ledger: day1 }, "2026-11-27T09:00:00Z")).sends.map((s) => s.occurrence)).toEqual(["2026-11-27"]);
    });

    it("`cooldown` counts local days as whole days across a clock change", async () => {
      // New York springs forward on 2026-03-08: local midnights of the 6th and the 9th are
      // 71 hours apart, and a 3-day cooldown still lets the trigger start again on the 9th.
      const c = withCampaigns(daily({ policy: "cooldown", cooldownMs: 3 * D }));
      const users = [{ ...ANN, overdue_tasks: 3, timezone: "America/New_York", created_at: "2026-01-01T00:00:00Z" }];
      const march6 = sent(keyOf("hello", "2026-03-06"), "2026-03-06T14:00:01Z", "2026-03-06");
      expect((await plan(c, { users, ledger: march6 }, "2026-03-08T14:00:00Z")).sends).toEqual([]);
      const march9 = await plan(c, { users, ledger: march6 }, "2026-03-09T13:00:00Z");
      // Failed once in a full-suite run (never reproduced): the held rows say why, should it fail again.
      expect(march9.sends.map((s) => s.occurrence), `held: ${JSON.stringify(march9.held)}`).toEqual(["2026-03-09"]);
    });

    it("`cooldown` counts from the last occurrence kept, not the last one seen", async () => {
      // Every two days under a 3-day cooldown: the 10th is kept, the 12th is too soon, the
      // 14th is four days after the last one kept, the 16th too soon again.
      const events = ["10", "12", "14", "16"].map((d) => ({ user_id: "ann", event: "task.assigned", ts: `2026-11-${d}T10:00:00Z` }));
      const c = campaign({ kind: "trigger", entry: { on: "event", event: "task.assigned" }, reentry: { policy: "cooldown", cooldownMs: 3 * D }, latenessMs: 30 * D });
      const p = await plan(withCampaigns(c), { users: [{ ...ANN, created_at: "2026-11-01T00:00:00Z" }], events }, "2026-11-17T10:00:00Z");
      expect([...p.sends, ...p.held].map((s) => s.occurrence).sort()).toEqual(["2026-11-10T10:00:00.000Z", "2026-11-14T10:00:00.000Z"]);
    });

    it("a sequence a condition started goes on to its later steps after the condition stops holding", async () => {
      const c = withCampaigns(daily({ policy: "never" }, [step("hello"), step("next", { after: "hello", waitMs: 2 * D })]));
      const p = await plan(c, { users: overdue(0), ledger: day1 }, "2026-11-22T10:00:00Z");
      expect(p.sends.map((s) => [s.step, s.occurrence, s.dueAt])).toEqual([["next", "2026-11-20", "2026-11-22T09:00:01.000Z"]]);
    });

    it("`never`: a second quiet spell does not start an `inactive` trigger again", async () => {
      const c = withCampaigns(campaign({ kind: "trigger", entry: { on: "inactive", forMs: 7 * D } }));
      const users = [{ ...ANN, created_at: "2026-10-01T00:00:00Z" }];
      const events = [{ user_id: "ann", event: "task.created", ts: "2026-11-01T00:00:00Z" }];
      const first = sent(keyOf("hello", "2026-10-08T00:00:00.000Z"), "2026-10-08T08:00:01Z", "2026-10-08T00:00:00.000Z");
      expect((await plan(c, { users, events }, "2026-11-08T09:00:00Z")).sends.map((s) => s.occurrence)).toEqual(["2026-11-08T00:00:00.000Z"]);
      expect((await plan(c, { users, events, ledger: first }, "2026-11-08T09:00:00Z")).sends).toEqual([]);
    });

    it("`inactive`, as an entry and as a condition, does not count the settings' passive events (a teammate's assignment) as activity", async () => {
      const users = [{ ...ANN, created_at: "2026-10-01T00:00:00Z" }];
      const events = [
        { user_id: "ann", event: "task.created", ts: "2026-11-01T00:00:00Z" },
        { user_id: "ann", event: "task.assigned", ts: "2026-11-05T00:00:00Z" },
      ];
      const quiet = { kind: "inactive" as const, forMs: 7 * D };
      const config = withCampaigns(campaign({ kind: "trigger", entry: { on: "inactive", forMs: 7 * D }, audience: quiet }));
      const passive = { ...config, settings: { ...config.settings, passiveEvents: ["task.assigned"] } };
      const due = async (c: Config) => (await plan(c, { users, events }, "2026-11-08T09:00:00Z")).sends.map((s) => s.occurrence);
      expect(await due(config)).toEqual([]); // the assignment on the 5th counts: quiet only from the 12th
      expect(await due(passive)).toEqual(["2026-11-08T00:00:00.000Z"]);
      const why = await explain(passive, await openData({ users, events }), "ann", new Date("2026-11-08T09:00:00Z"));
      expect(why.campaigns.map((c) => c.verdict)).toEqual(["sends_now"]);
    });

    describe("an event that arrives late", () => {
      const purchase = (ts: string) => ({ user_id: "ann", event: "subscription.purchased", ts });
      const onPurchase = (reentry: Campaign["reentry"], steps = [step("hello")]) =>
        campaign({ kind: steps.length > 1 ? "sequence" : "trigger", entry: { on: "event", event: "subscription.purchased" }, reentry, steps });
      const first = sent(keyOf("hello", "2026-11-20T08:00:00.000Z"), "2026-11-20T09:00:00Z", "2026-11-20T08:00:00.000Z");

      it("`never`: dated before the occurrence the ledger holds, it does not start the campaign a second time", async () => {
        const c = withCampaigns(onPurchase({ policy: "never" }));
        const events = [purchase("2026-11-20T08:00:00Z"), purchase("2026-11-20T07:00:00Z")]; // the 07:00 one came in a later export
        expect((await plan(c, { events, ledger: first }, "2026-11-20T12:00:00Z")).sends).toEqual([]);
      });

      it("`never`: the recorded occurrence goes on to its later steps, and the late one is not held as too late", async () => {
        const c = withCampaigns(onPurchase({ policy: "never" }, [step("hello"), step("next", { after: "hello", waitMs: 2 * D })]));
        const events = [purchase("2026-11-20T08:00:00Z"), purchase("2026-11-17T08:00:00Z")];
        const p = await plan(c, { events, ledger: first }, "2026-11-22T10:00:00Z");
        expect(p.sends.map((s) => [s.step, s.occurrence])).toEqual([["next", "2026-11-20T08:00:00.000Z"]]);
        expect(p.held).toEqual([]);
      });

      it("`cooldown`: dated within the cooldown before the occurrence the ledger holds, it neither is planned nor ends that one", async () => {
        const c = withCampaigns(onPurchase({ policy: "cooldown", cooldownMs: 7 * D }, [step("hello"), step("next", { after: "hello", waitMs: 2 * D })]));
        const events = [purchase("2026-11-20T08:00:00Z"), purchase("2026-11-17T08:00:00Z")];
        const p = await plan(c, { events, ledger: first }, "2026-11-22T10:00:00Z");
        expect(p.sends.map((s) => [s.step, s.occurrence])).toEqual([["next", "2026-11-20T08:00:00.000Z"]]);
        expect(p.held).toEqual([]);
      });

      it("`cooldown`: an occurrence still held back stays due after a later one went out, when the cooldown lies between them", async () => {
        // The 10th's step is still owed (held back until now); the 12th's went out. Three days apart under a 2-day cooldown.
        const c = withCampaigns({ ...onPurchase({ policy: "cooldown", cooldownMs: 2 * D }), latenessMs: 5 * D });
        const twelfth = sent(keyOf("hello", "2026-11-12T20:00:00.000Z"), "2026-11-12T20:00:01Z", "2026-11-12T20:00:00.000Z");
        const events = [purchase("2026-11-10T08:00:00Z"), purchase("2026-11-12T20:00:00Z")];
        const p = await plan(c, { users: [{ ...ANN, created_at: "2026-11-01T00:00:00Z" }], events, ledger: twelfth }, "2026-11-13T09:00:00Z");
        expect(p.sends.map((s) => s.occurrence)).toEqual(["2026-11-10T08:00:00.000Z"]);
      });

      it("`never`: an occurrence past saving that no run recorded (the user was outside the audience then) gives way to a later one", async () => {
        const pro = { kind: "attribute", attribute: "plan", op: "eq", value: "pro" } as const;
        const c = withCampaigns({ ...onPurchase({ policy: "never" }), audience: pro });
        const users = [{ ...ANN, plan: "pro", created_at: "2026-11-01T00:00:00Z" }];
        const events = [purchase("2026-11-10T08:00:00Z"), purchase("2026-11-20T08:00:00Z")];
        const p = await plan(c, { users, events }, "2026-11-20T09:00:00Z");
        expect(p.sends.map((s) => s.occurrence)).toEqual(["2026-11-20T08:00:00.000Z"]);
        expect(p.held).toEqual([]);
        // With no later occurrence, the one past saving is held as too late (and recorded as skipped), as before.
        const alone = await plan(c, { users, events: events.slice(0, 1) }, "2026-11-20T09:00:00Z");
        expect(alone.held.map((h) => [h.occurrence, h.status])).toEqual([["2026-11-10T08:00:00.000Z", "too_late"]]);
      });

      it("`never`: an occurrence whose first step can still be sent is kept before a later one", async () => {
        // The 18th's step waits a day, so it is due on the 19th: within the 1-day lateness at 09:00 on the 20th.
        const c = withCampaigns(onPurchase({ policy: "never" }, [step("hello", { waitMs: D })]));
        const events = [purchase("2026-11-18T10:00:00Z"), purchase("2026-11-20T08:00:00Z")];
        const p = await plan(c, { users: [{ ...ANN, created_at: "2026-11-01T00:00:00Z" }], events }, "2026-11-20T09:00:00Z");
        expect(p.sends.map((s) => s.occurrence)).toEqual(["2026-11-18T10:00:00.000Z"]);
      });

      it("`cooldown`: an occurrence past saving gives way to a later one within the cooldown, and is kept when none is", async () => {
        const c = withCampaigns(onPurchase({ policy: "cooldown", cooldownMs: 30 * D }));
        const users = [{ ...ANN, created_at: "2026-10-01T00:00:00Z" }];
        const p = await plan(c, { users, events: [purchase("2026-11-10T08:00:00Z"), purchase("2026-11-20T08:00:00Z")] }, "2026-11-20T09:00:00Z");
        expect(p.sends.map((s) => s.occurrence)).toEqual(["2026-11-20T08:00:00.000Z"]);
        expect(p.held).toEqual([]);
        const apart = await plan(c, { users, events: [purchase("2026-10-10T08:00:00Z"), purchase("2026-11-20T08:00:00Z")] }, "2026-11-20T09:00:00Z");
        expect(apart.sends.map((s) => s.occurrence)).toEqual(["2026-11-20T08:00:00.000Z"]);
        expect(apart.held.map((h) => [h.occurrence, h.status])).toEqual([["2026-10-10T08:00:00.000Z", "too_late"]]);
      });

      it("`always`: a sequence goes on to its later steps after the snapshot dropped the event that started it", async () => {
        const c = withCampaigns(onPurchase({ policy: "always" }, [step("hello"), step("next", { after: "hello", waitMs: 2 * D })]));
        const p = await plan(c, { events: [], ledger: first }, "2026-11-22T10:00:00Z");
        expect(p.sends.map((s) => [s.step, s.occurrence])).toEqual([["next", "2026-11-20T08:00:00.000Z"]]);
      });
    });
  });

  it("plans the same whatever the order or format of the event rows, and counts a repeated event_id once", async () => {
    // The shipped fixture config (welcome sequence, no-task trigger, tags, scoring) over a
    // few users: in file order, then reversed with every event also repeated (the copy
    // first), as NDJSON and as Parquet, and the plan and the per-user facts must not move.
    const users = [
      { ...ANN, plan: "trial" },
      { ...ANN, user_id: "bob", email: "bob@example.com", timezone: "America/New_York", plan: "free", created_at: "2026-11-19T02:00:00Z" },
      { ...ANN, user_id: "cat", email: "cat@example.com", plan: "trial" },
    ];
    const ledger = sent(keyOf("welcome"), "2026-11-20T08:00:00Z", undefined, "welcome");
    const events = [
      { user_id: "ann", event: "page.viewed", ts: "2026-11-20T09:00:00Z", properties: { path: "/pricing" } },
      { user_id: "ann", event: "task.created", ts: "2026-11-20T09:30:00Z" },
      { user_id: "ann", event: "email.opened", ts: "2026-11-20T10:00:00Z", properties: { key: keyOf("welcome") } },
      { user_id: "ann", event: "task.created", ts: "2026-11-20T11:00:00Z" },
      { user_id: "cat", event: "subscription.purchased", ts: "2026-11-20T12:00:00Z" },
      { user_id: "bob", event: "page.viewed", ts: "2026-11-20T15:00:00Z", properties: { path: "/docs" } },
    ].map((e, i) => ({ ...e, event_id: `ev${i}` }));
    const shuffled = [...events].reverse().flatMap((e) => [e, { ...e }]);
    const now = "2026-11-21T10:00:00Z";
    const a = await openData({ users, ledger, events });
    const b = await openData({ users, ledger, events: shuffled });
    // Parquet is read where it lies, not copied (data/snapshot.ts): the same rows set aside, the same plan.
    const c = await openData({ users, ledger, events: shuffled, eventsFormat: "parquet" });
    const [inOrder, repeated] = [await evaluate(fixtureConfig(), a, new Date(now)), await evaluate(fixtureConfig(), b, new Date(now))];
    expect(await evaluate(fixtureConfig(), c, new Date(now))).toEqual(repeated);
    expect(inOrder.sends.map((x) => [x.userId, x.campaign, x.step])).toEqual([["ann", "welcome", "first-project"]]);
    // Cat bought before her welcome email was due, and it is now past its allowance.
    expect(inOrder.held.map((x) => [x.userId, x.campaign, x.step, x.status])).toEqual([["cat", "welcome", "welcome", "too_late"]]);
    expect(repeated.sends).toEqual(inOrder.sends);
    expect(repeated.held).toEqual(inOrder.held);
    expect(repeated.events).toBe(events.length);
    expect(repeated.badRows).toEqual([{ table: "events", reason: "duplicate event_id (counted once)", count: events.length }]);
    // The same explanation, but for the repeated rows it reports as set aside.
    const explained = async (snapshot: typeof a, user: string) => ({ ...(await explain(fixtureConfig(), snapshot, user, new Date(now))), badRows: [] });
    for (const user of ["ann", "bob", "cat"]) {
      expect(await explained(b, user), user).toEqual(await explained(a, user));
      expect(await explained(c, user), user).toEqual(await explained(a, user));
    }
  });

  it("picks a stable variant for a subject-line test", async () => {
    const c = campaign({ steps: [step("test", { template: undefined, variants: [{ id: "a", template: "test-a", weight: 1 }, { id: "b", template: "test-b", weight: 1 }] })] });
    const first = await plan(withCampaigns(c), {}, "2026-11-20T09:00:00Z");
    const again = await plan(withCampaigns(c), {}, "2026-11-20T09:00:00Z");
    expect(first.sends[0]!.variant).toMatch(/^[ab]$/);
    expect(again.sends[0]!.variant).toBe(first.sends[0]!.variant);
    expect(first.sends[0]!.template).toBe(`test-${first.sends[0]!.variant}`);
  });
});
