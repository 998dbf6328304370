// Evaluator rules evaluate.test.ts does not pin: the remaining branch kinds, frequency-cap
// deferral across runs, a campaign's own lateness, and when a goal event counts.
import fs from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BranchOn, Campaign, Config } from "../../src/engine/config/types.ts";
import { evaluate } from "../../src/engine/evaluate/evaluate.ts";
import { explain, loadConfig, messageKey } from "../../src/engine/index.ts";
import { planRecords } from "../../src/engine/ledger/plan-records.ts";
import { brokenCopy } from "../config/_fixture.ts";
import { campaign, D, step, withCampaigns } from "./_campaign-fixture.ts";
import { openData, type Data } from "./_snapshot-files.ts";

// Every user signs up at 02:00 UTC (03:00 Berlin): a first step is due at 08:00 UTC, when the window opens.
const SIGNUP = "2026-11-20T02:00:00.000Z";
const user = (id: string) => ({ user_id: id, email: `${id}@example.com`, first_name: id, created_at: SIGNUP, timezone: "Europe/Berlin" });
const ANN = user("ann");

const plan = async (config: Config, data: Data, now: string) => evaluate(config, await openData({ ...data, users: data.users ?? [ANN] }), new Date(now));
const keyOf = (userId: string, campaignId: string, stepId: string, occurrence = SIGNUP) => messageKey(userId, campaignId, stepId, occurrence);

/** The ledger's intent and sent records of one email. */
function sent(userId: string, campaignId: string, stepId: string, at: string, opts: { occurrence?: string; type?: string } = {}) {
  const { occurrence = SIGNUP, type = "regular" } = opts;
  const key = keyOf(userId, campaignId, stepId, occurrence);
  return [
    { kind: "intent", at, run: "r", key, user_id: userId, campaign: campaignId, step: stepId, template: "welcome-1", type, occurrence, due: at, batch: "b" },
    { kind: "sent", at, run: "r", key, provider_id: "p", transport: "outbox" },
  ];
}

/** An email event on the `hello` email of the welcome campaign, as the webhooks write it. */
const onHello = (userId: string, event: "email.opened" | "email.clicked", ts: string) => ({
  user_id: userId, event, ts, properties: { key: keyOf(userId, "welcome", "hello"), ...(event === "email.clicked" ? { link: "https://x.example" } : {}) },
});
const purchased = (userId: string, ts: string) => ({ user_id: userId, event: "subscription.purchased", ts });

describe("branches on the previous email", () => {
  // `hello` went to everyone at 08:00 UTC on the 20th; `next` follows a day later, due
  // 08:00 UTC on the 21st; the plan is made at 09:00 UTC that day.
  const NOW = "2026-11-21T09:00:00Z";
  const branching = (when: BranchOn, extra: Partial<Campaign> = {}) =>
    withCampaigns(campaign({ steps: [step("hello"), step("next", { after: "hello", waitMs: D, when })], ...extra }));
  const everyone = (...ids: string[]) => ({
    users: ids.map(user),
    ledger: ids.flatMap((id) => sent(id, "welcome", "hello", "2026-11-20T08:00:00Z")),
  });
  const goal = { goal: { event: "subscription.purchased", attributionMs: 7 * D } };
  // Ann opened the email and did not click; Bob opened it and clicked.
  const annOpenedBobClicked = [
    onHello("ann", "email.opened", "2026-11-20T12:00:00Z"),
    onHello("bob", "email.opened", "2026-11-20T12:00:00Z"),
    onHello("bob", "email.clicked", "2026-11-20T12:01:00Z"),
  ];

  it("`opened`: taken by a user who opened the email, not by one who did not", async () => {
    const events = [onHello("ann", "email.opened", "2026-11-20T12:00:00Z")];
    const p = await plan(branching("opened"), { ...everyone("ann", "bob"), events }, NOW);
    expect(p.sends.map((s) => [s.userId, s.step])).toEqual([["ann", "next"]]);
    expect(p.held).toEqual([]);
  });

  it("`opened`: a click counts as an open even when no open was recorded", async () => {
    // Tracking pixels are often blocked; a click proves the email was read.
    const events = [onHello("ann", "email.clicked", "2026-11-20T12:00:00Z")];
    const p = await plan(branching("opened"), { ...everyone("ann", "bob"), events }, NOW);
    expect(p.sends.map((s) => [s.userId, s.step])).toEqual([["ann", "next"]]);
  });

  it("`not_clicked`: taken by a user who only opened, not by one who clicked", async () => {
    const events = annOpenedBobClicked;
    const p = await plan(branching("not_clicked"), { ...everyone("ann", "bob"), events }, NOW);
    expect(p.sends.map((s) => [s.userId, s.step])).toEqual([["ann", "next"]]);
  });

  it("`opened_not_clicked`: taken by a user who opened and did not click, not by one who clicked nor one who never opened", async () => {
    const events = annOpenedBobClicked;
    const p = await plan(branching("opened_not_clicked"), { ...everyone("ann", "bob", "cat"), events }, NOW);
    expect(p.sends.map((s) => [s.userId, s.step])).toEqual([["ann", "next"]]);
  });

  it("`clicked_not_converted`: taken by a user who clicked and did not convert, not by one who clicked and converted", async () => {
    const events = [
      onHello("ann", "email.clicked", "2026-11-20T12:00:00Z"),
      onHello("bob", "email.clicked", "2026-11-20T12:00:00Z"),
      purchased("bob", "2026-11-20T13:00:00Z"),
    ];
    const p = await plan(branching("clicked_not_converted", goal), { ...everyone("ann", "bob", "cat"), events }, NOW);
    expect(p.sends.map((s) => [s.userId, s.step])).toEqual([["ann", "next"]]);
    // Had bob's branch been taken, his conversion would have held the row as goal_reached.
    expect(p.held).toEqual([]);
  });

  it("`converted`: taken (and not stopped by the goal) for a user who converted after the email, not for one who did not", async () => {
    const events = [purchased("ann", "2026-11-20T13:00:00Z")];
    const p = await plan(branching("converted", goal), { ...everyone("ann", "bob"), events }, NOW);
    expect(p.sends.map((s) => [s.userId, s.step])).toEqual([["ann", "next"]]);
    expect(p.held).toEqual([]);
  });

  it("`converted` follows a buyer out of the audience; every other step, and a new entry, keeps to it", async () => {
    // A nurture for expired trials: buying makes ann "pro", outside the audience, which is
    // just when her `converted` step is due. Bob left it without buying; cat is still in it;
    // dan was never sent anything and is outside it.
    const c = withCampaigns(campaign({
      ...goal, audience: { kind: "attribute", attribute: "plan", op: "eq", value: "expired" },
      steps: [step("hello"), step("thanks", { after: "hello", waitMs: D, when: "converted" }), step("more", { after: "hello", waitMs: D })],
    }));
    const users = [{ ...user("ann"), plan: "pro" }, { ...user("bob"), plan: "pro" }, { ...user("cat"), plan: "expired" }, { ...user("dan"), plan: "pro" }];
    const ledger = ["ann", "bob", "cat"].flatMap((id) => sent(id, "welcome", "hello", "2026-11-20T08:00:00Z"));
    const snapshot = await openData({ users, ledger, events: [purchased("ann", "2026-11-20T13:00:00Z")] });
    const p = await evaluate(c, snapshot, new Date(NOW));
    expect(p.sends.map((s) => [s.userId, s.step]).sort()).toEqual([["ann", "thanks"], ["cat", "more"]]);
    expect(p.held).toEqual([]);
    expect(p.entered).toEqual([]);
    // explain agrees: ann's `thanks` is due although she is no longer in the audience.
    const ann = (await explain(c, snapshot, "ann", new Date(NOW))).campaigns.find((x) => x.id === "welcome")!;
    expect([ann.verdict, ann.audienceMatches, ann.sends.map((s) => s.step)]).toEqual(["sends_now", false, ["thanks"]]);
  });

  it("`converted` counts a goal event only within the attribution window of the previous email", async () => {
    // One day's attribution, three days' wait: ann bought 5h after the email, bob 2 days after.
    const c = withCampaigns(campaign({
      goal: { event: "subscription.purchased", attributionMs: D },
      steps: [step("hello"), step("next", { after: "hello", waitMs: 3 * D, when: "converted" })],
    }));
    const events = [purchased("ann", "2026-11-20T13:00:00Z"), purchased("bob", "2026-11-22T12:00:00Z")];
    const p = await plan(c, { ...everyone("ann", "bob"), events }, "2026-11-23T09:00:00Z");
    expect(p.sends.map((s) => [s.userId, s.step])).toEqual([["ann", "next"]]);
    expect(p.held).toEqual([]);
  });

  it("`converted` does not count a goal event from before the previous email was sent", async () => {
    // bob's purchase (07:00) reached the snapshot only after `hello` had gone out at 08:00:
    // the email cannot have converted him.
    const events = [purchased("ann", "2026-11-20T13:00:00Z"), purchased("bob", "2026-11-20T07:00:00Z")];
    const p = await plan(branching("converted", goal), { ...everyone("ann", "bob"), events }, NOW);
    expect(p.sends.map((s) => [s.userId, s.step])).toEqual([["ann", "next"]]);
    expect(p.held).toEqual([]);
  });

  it("judges the branch on what the user did by the step's due moment, not by the time of the run", async () => {
    // ann opens at 08:30 UTC on the 21st: after `next` became due (08:00), before the run (09:00).
    const c = withCampaigns(campaign({
      steps: [step("hello"), step("opened", { after: "hello", waitMs: D, when: "opened" }), step("resend", { after: "hello", waitMs: D, when: "not_opened" })],
    }));
    const events = [onHello("ann", "email.opened", "2026-11-21T08:30:00Z")];
    const p = await plan(c, { ...everyone("ann"), events }, NOW);
    expect(p.sends.map((s) => [s.userId, s.step, s.dueAt])).toEqual([["ann", "resend", "2026-11-21T08:00:00.000Z"]]);
  });
});

describe("frequency caps defer by priority until too late", () => {
  // The fixture's cap: one promo a day. Every promo here is due at 08:00 UTC on the 20th
  // unless it starts on a `task.assigned` event.
  const promo = (id: string, priority: number, extra: Partial<Campaign> = {}) =>
    campaign({ id, priority, steps: [step("hello", { type: "promo" })], ...extra });
  const onAssigned = { kind: "trigger" as const, entry: { on: "event" as const, event: "task.assigned" } };
  const assigned = (ts: string) => ({ user_id: "ann", event: "task.assigned", ts });

  it("a capped row stays due and goes out under the same key in a later run, once the cap window has passed", async () => {
    const config = withCampaigns(promo("top", 9), promo("low", 1, { latenessMs: 3 * D }));
    const run1 = await plan(config, {}, "2026-11-20T09:00:00Z");
    expect(run1.sends.map((s) => s.campaign)).toEqual(["top"]);
    expect(run1.held.map((h) => [h.campaign, h.status, h.key])).toEqual([["low", "capped", keyOf("ann", "low", "hello")]]);

    // run 1 sent `top` at 09:00 UTC: the day's promo slot stays taken until 09:00 UTC on the 21st.
    const ledger = sent("ann", "top", "hello", "2026-11-20T09:00:00Z", { type: "promo" });
    const run2 = await plan(config, { ledger }, "2026-11-20T16:00:00Z");
    expect(run2.sends).toEqual([]);
    expect(run2.held.map((h) => [h.campaign, h.status])).toEqual([["low", "capped"]]);

    const run3 = await plan(config, { ledger }, "2026-11-21T10:00:00Z");
    expect(run3.sends.map((s) => [s.campaign, s.key, s.dueAt])).toEqual([["low", keyOf("ann", "low", "hello"), "2026-11-20T08:00:00.000Z"]]);
    expect(run3.held).toEqual([]);
  });

  it("a capped row whose cap lifts only after its lateness allowance is held as too late, not sent", async () => {
    // Due 08:00 UTC on the 20th with a day's lateness; the slot frees at 09:00 UTC on the 21st.
    const config = withCampaigns(promo("top", 9), promo("low", 1, { latenessMs: D }));
    const ledger = sent("ann", "top", "hello", "2026-11-20T09:00:00Z", { type: "promo" });
    const p = await plan(config, { ledger }, "2026-11-21T10:00:00Z");
    expect(p.sends).toEqual([]);
    expect(p.held.map((h) => [h.campaign, h.status])).toEqual([["low", "too_late"]]);
  });

  it("priority, not the earlier due moment, decides which of two due rows gets the slot", async () => {
    // `early` is due 08:00 UTC (signup), `later` 08:30 UTC (the task.assigned event).
    const events = [assigned("2026-11-20T08:30:00Z")];
    const laterWins = await plan(withCampaigns(promo("early", 1), promo("later", 9, onAssigned)), { events }, "2026-11-20T09:00:00Z");
    expect(laterWins.sends.map((s) => [s.campaign, s.dueAt])).toEqual([["later", "2026-11-20T08:30:00.000Z"]]);
    expect(laterWins.held.map((h) => [h.campaign, h.status])).toEqual([["early", "capped"]]);

    const earlyWins = await plan(withCampaigns(promo("early", 9), promo("later", 1, onAssigned)), { events }, "2026-11-20T09:00:00Z");
    expect(earlyWins.sends.map((s) => s.campaign)).toEqual(["early"]);
    expect(earlyWins.held.map((h) => [h.campaign, h.status])).toEqual([["later", "capped"]]);
  });

  it("a row deferred yesterday does not take the slot from a higher-priority row due today", async () => {
    // `low` was capped on the 20th (top took the slot at 09:00 UTC); on the 21st the slot is
    // free again and `urgent` (higher priority) became due at 09:30 UTC.
    const config = withCampaigns(promo("top", 9), promo("low", 1, { latenessMs: 3 * D }), promo("urgent", 5, onAssigned));
    const ledger = sent("ann", "top", "hello", "2026-11-20T09:00:00Z", { type: "promo" });
    const events = [assigned("2026-11-21T09:30:00Z")];
    const p = await plan(config, { ledger, events }, "2026-11-21T10:00:00Z");
    expect(p.sends.map((s) => s.campaign)).toEqual(["urgent"]);
    expect(p.held.map((h) => [h.campaign, h.status, h.dueAt])).toEqual([["low", "capped", "2026-11-20T08:00:00.000Z"]]);
  });
});

describe("a campaign's own lateness", () => {
  // Loaded from files, as `plan` does: settings allow 2 days; three signup triggers (each
  // due 08:00 UTC on the 20th) keep the settings' allowance, shorten it, or lengthen it.
  let dir: string;
  let config: Config;
  const trigger = (lateness?: string) => ({
    $schema: "../../../../../config/schemas/trigger.schema.json",
    name: `Lateness ${lateness ?? "default"}`, on: { signup: true }, template: "nudge", ...(lateness ? { lateness } : {}),
  });
  beforeAll(async () => {
    dir = await brokenCopy(
      { file: "settings.json", edit: (json) => (json.lateness = "2d") },
      { file: "sequences/welcome.json", text: null },
      { file: "triggers/no-task.json", text: null },
      { file: "triggers/license-expiring.json", text: null },
      { file: "triggers/inherits.json", text: JSON.stringify(trigger()) },
      { file: "triggers/short.json", text: JSON.stringify(trigger("6h")) },
      { file: "triggers/long.json", text: JSON.stringify(trigger("3d")) },
    );
    config = await loadConfig(dir);
  });
  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });
  const outcome = async (now: string) => {
    const p = await plan(config, {}, now);
    return Object.fromEntries([...p.sends.map((s) => [s.campaign, "sent"]), ...p.held.map((h) => [h.campaign, h.status])]);
  };

  it("a shorter `lateness` holds a row as too late that the settings' allowance would still send", async () => {
    // 25 hours late (10:00 Berlin, inside the window).
    expect(await outcome("2026-11-21T09:00:00Z")).toEqual({ inherits: "sent", short: "too_late", long: "sent" });
  });

  it("a longer `lateness` still sends a row the settings' allowance holds as too late", async () => {
    // 49 hours late.
    expect(await outcome("2026-11-22T09:00:00Z")).toEqual({ inherits: "too_late", short: "too_late", long: "sent" });
  });
});

describe("a goal counts from the moment the occurrence began", () => {
  // A trigger started by each `task.assigned` event, ended by a purchase.
  const goalTrigger = (reentry: Campaign["reentry"] = { policy: "never" }) => withCampaigns(campaign({
    kind: "trigger", entry: { on: "event", event: "task.assigned" }, reentry,
    goal: { event: "subscription.purchased", attributionMs: 7 * D },
  }));
  const assigned = (userId: string, ts: string) => ({ user_id: userId, event: "task.assigned", ts });

  it("a goal event before the occurrence began does not hold it; one after it does", async () => {
    const events = [
      purchased("ann", "2026-11-20T08:05:00Z"), assigned("ann", "2026-11-20T08:10:00Z"),
      assigned("bob", "2026-11-20T08:10:00Z"), purchased("bob", "2026-11-20T08:20:00Z"),
    ];
    const p = await plan(goalTrigger(), { users: [user("ann"), user("bob")], events }, "2026-11-20T09:00:00Z");
    expect(p.sends.map((s) => [s.userId, s.occurrence])).toEqual([["ann", "2026-11-20T08:10:00.000Z"]]);
    expect(p.held.map((h) => [h.userId, h.status])).toEqual([["bob", "goal_reached"]]);
  });

  it("a goal event at the very instant the occurrence began holds it", async () => {
    const events = [assigned("ann", "2026-11-20T08:10:00Z"), purchased("ann", "2026-11-20T08:10:00Z")];
    const p = await plan(goalTrigger(), { events }, "2026-11-20T09:00:00Z");
    expect(p.sends).toEqual([]);
    expect(p.held.map((h) => [h.userId, h.status])).toEqual([["ann", "goal_reached"]]);
  });

  it("with re-entry, a purchase ends the occurrence it fell in but not the next one", async () => {
    const events = [assigned("ann", "2026-11-20T08:10:00Z"), purchased("ann", "2026-11-20T08:20:00Z"), assigned("ann", "2026-11-20T08:40:00Z")];
    const p = await plan(goalTrigger({ policy: "always" }), { events }, "2026-11-20T09:00:00Z");
    expect(p.sends.map((s) => s.occurrence)).toEqual(["2026-11-20T08:40:00.000Z"]);
    expect(p.held.map((h) => [h.occurrence, h.status])).toEqual([["2026-11-20T08:10:00.000Z", "goal_reached"]]);
  });
});

describe("one occurrence, one key", () => {
  it("two events at one instant (one written with an offset) are one occurrence under `always`, so the key is planned once", async () => {
    const trigger = withCampaigns(campaign({ kind: "trigger", entry: { on: "event", event: "task.assigned" }, reentry: { policy: "always" } }));
    const events = [
      { user_id: "ann", event: "task.assigned", ts: "2026-11-20T08:10:00Z" },
      { user_id: "ann", event: "task.assigned", ts: "2026-11-20T09:10:00+01:00" },
    ];
    const p = await plan(trigger, { events }, "2026-11-20T09:00:00Z");
    expect(p.sends.map((s) => [s.userId, s.occurrence])).toEqual([["ann", "2026-11-20T08:10:00.000Z"]]);
  });
});

describe("occurrences only the day shows are recorded, so their steps stay due", () => {
  // A condition holds on the 20th only (the user's overdue tasks are gone by the 21st), so
  // the snapshot of the 21st no longer gives the occurrence "2026-11-20".
  const overdue = (n: number) => [{ ...ANN, overdue_tasks: n }];
  const daily = (extra: Partial<Campaign> = {}) => campaign({
    id: "overdue", kind: "trigger", entry: { on: "condition", condition: { kind: "attribute", attribute: "overdue_tasks", op: "gt", value: 0 } }, ...extra,
  });
  /** The records a run of `p` writes besides its sends (`skipped`, `entered`, `suppressed`). */
  const recorded = (p: Awaited<ReturnType<typeof plan>>, at: string): Record<string, unknown>[] => planRecords(p, at, "r").map((r) => ({ ...r }));

  it("a first step that waits a day is sent the next day, after the condition stopped holding", async () => {
    const config = withCampaigns(daily({ steps: [step("hello", { waitMs: D })] }));
    const day1 = await plan(config, { users: overdue(2) }, "2026-11-20T09:00:00Z");
    expect(day1.sends).toEqual([]);
    expect(day1.entered).toEqual([{ userId: "ann", campaign: "overdue", occurrence: "2026-11-20" }]);
    const ledger = recorded(day1, "2026-11-20T09:00:00Z");
    expect(ledger).toEqual([{ kind: "entered", at: "2026-11-20T09:00:00Z", run: "r", user_id: "ann", campaign: "overdue", occurrence: "2026-11-20" }]);

    const snap = await openData({ users: overdue(0), ledger });
    const day2 = await evaluate(config, snap, new Date("2026-11-21T09:00:00Z"));
    expect(day2.sends.map((s) => [s.key, s.occurrence])).toEqual([[keyOf("ann", "overdue", "hello", "2026-11-20"), "2026-11-20"]]);
    expect(day2.entered).toEqual([]);
    // explain agrees: the step is due now, for the occurrence of the 20th.
    const told = (await explain(config, snap, "ann", new Date("2026-11-21T09:00:00Z"))).campaigns[0]!;
    expect(told).toMatchObject({ verdict: "sends_now" });
  });

  it("a step held by the cap on its day goes out under the same key the next day", async () => {
    const config = withCampaigns(
      campaign({ id: "top", priority: 9, steps: [step("hello", { type: "promo" })] }),
      daily({ steps: [step("hello", { type: "promo" })], latenessMs: 3 * D }),
    );
    const day1 = await plan(config, { users: overdue(2) }, "2026-11-20T09:00:00Z");
    expect(day1.held.map((h) => [h.campaign, h.status])).toEqual([["overdue", "capped"]]);
    const ledger = [...sent("ann", "top", "hello", "2026-11-20T09:00:00Z", { type: "promo" }), ...recorded(day1, "2026-11-20T09:00:00Z")];

    const day2 = await plan(config, { users: overdue(0), ledger }, "2026-11-21T10:00:00Z");
    expect(day2.sends.map((s) => [s.campaign, s.occurrence])).toEqual([["overdue", "2026-11-20"]]);
  });

  it("a recorded occurrence whose step can no longer be sent is held as too late, and recorded as skipped", async () => {
    const config = withCampaigns(daily({ steps: [step("hello", { waitMs: D })] }));
    const day1 = await plan(config, { users: overdue(2) }, "2026-11-20T09:00:00Z");
    const day4 = await plan(config, { users: overdue(0), ledger: recorded(day1, "2026-11-20T09:00:00Z") }, "2026-11-23T09:00:00Z");
    expect(day4.held.map((h) => [h.occurrence, h.status])).toEqual([["2026-11-20", "too_late"]]);
  });

  it("a day whose step waits for the window is recorded though its midnight is more than the lateness ago, and later held as too late", async () => {
    // The day of the 20th begins at 23:00 UTC on the 19th in Berlin; its step is due when the
    // window opens at 08:00 UTC. At 07:30 that is 6h of lateness away, whatever midnight was.
    const config = withCampaigns(daily({ latenessMs: 6 * 3_600_000, reentry: { policy: "always" } }));
    const early = await plan(config, { users: overdue(2) }, "2026-11-20T07:30:00Z");
    expect(early.sends).toEqual([]);
    expect(early.entered).toEqual([{ userId: "ann", campaign: "overdue", occurrence: "2026-11-20" }]);
    const next = await plan(config, { users: overdue(0), ledger: recorded(early, "2026-11-20T07:30:00Z") }, "2026-11-21T07:30:00Z");
    expect(next.held.map((h) => [h.occurrence, h.status, h.dueAt])).toEqual([["2026-11-20", "too_late", "2026-11-20T08:00:00.000Z"]]);
  });

  it("records an occurrence once, and only for entries the snapshot gives as of now or campaigns that re-enter by policy", async () => {
    const config = withCampaigns(
      daily({ steps: [step("hello", { waitMs: 2 * D })], reentry: { policy: "always" } }),
      campaign({ id: "welcome", steps: [step("hello", { waitMs: 2 * D })] }),
      campaign({ id: "signup-always", steps: [step("hello", { waitMs: 2 * D })], reentry: { policy: "always" } }),
    );
    const day1 = await plan(config, { users: overdue(2) }, "2026-11-20T09:00:00Z");
    expect(day1.entered.map((o) => o.campaign)).toEqual(["overdue", "welcome"]);
    const again = await plan(config, { users: overdue(2), ledger: recorded(day1, "2026-11-20T09:00:00Z") }, "2026-11-20T16:00:00Z");
    expect(again.entered).toEqual([]);
  });
});

describe("under `never`, an occurrence a run saw on time stays the entry", () => {
  // A checkout at 08:00 on the 20th starts a `never` trigger; a second checkout follows on
  // the 21st. Only an occurrence no run saw while it was on time gives way to a later one.
  const checkout = (ts: string) => ({ user_id: "ann", event: "checkout.started", ts });
  const purchase = { user_id: "ann", event: "subscription.purchased", ts: "2026-11-20T08:30:00Z" };
  const abandon = () => withCampaigns(campaign({
    id: "abandon", kind: "trigger", entry: { on: "event", event: "checkout.started" },
    goal: { event: "subscription.purchased", attributionMs: 7 * D },
  }));
  const users = [{ ...ANN, created_at: "2026-11-01T00:00:00Z" }];
  const records = (p: Awaited<ReturnType<typeof plan>>, at: string) => planRecords(p, at, "r").map((r) => ({ ...r }));

  it("held back by its goal on its day, it is recorded, and a later checkout does not start the trigger again", async () => {
    const day1 = await plan(abandon(), { users, events: [checkout("2026-11-20T08:00:00Z"), purchase] }, "2026-11-20T09:00:00Z");
    expect(day1.held.map((h) => [h.occurrence, h.status])).toEqual([["2026-11-20T08:00:00.000Z", "goal_reached"]]);
    expect(day1.entered).toEqual([{ userId: "ann", campaign: "abandon", occurrence: "2026-11-20T08:00:00.000Z" }]);
    const events = [checkout("2026-11-20T08:00:00Z"), purchase, checkout("2026-11-21T10:00:00Z")];
    const day3 = await plan(abandon(), { users, events, ledger: records(day1, "2026-11-20T09:00:00Z") }, "2026-11-22T09:00:00Z");
    expect(day3.sends).toEqual([]);
    expect(day3.held.map((h) => [h.occurrence, h.status])).toEqual([["2026-11-20T08:00:00.000Z", "too_late"]]);
  });

  it("sent by a run killed before it recorded the outcome, it is not replaced by a later checkout", async () => {
    const day1 = await plan(abandon(), { users, events: [checkout("2026-11-20T08:00:00Z")] }, "2026-11-20T09:00:00Z");
    const [send] = day1.sends;
    expect(send?.occurrence).toBe("2026-11-20T08:00:00.000Z");
    // What the killed run left: the records written before sending, and the intent; no outcome.
    const intent = { kind: "intent", at: "2026-11-20T09:00:01Z", run: "r", key: send!.key, user_id: "ann", campaign: "abandon", step: "hello",
      template: "welcome-1", type: "regular", occurrence: send!.occurrence, due: send!.dueAt, batch: "b" };
    const ledger = [...records(day1, "2026-11-20T09:00:00Z"), intent];
    const day2 = await plan(abandon(), { users, events: [checkout("2026-11-20T08:00:00Z"), checkout("2026-11-21T08:30:00Z")], ledger }, "2026-11-21T09:00:01Z");
    expect(day2.sends).toEqual([]);
    expect(day2.held.map((h) => [h.occurrence, h.status])).toEqual([["2026-11-20T08:00:00.000Z", "too_late"]]);
  });

  it("first seen past saving (the campaign launched after it), it is skipped without becoming the entry, and a later checkout starts the trigger", async () => {
    const launch = await plan(abandon(), { users, events: [checkout("2026-11-10T08:00:00Z")] }, "2026-11-20T09:00:00Z");
    expect(launch.held.map((h) => [h.occurrence, h.status])).toEqual([["2026-11-10T08:00:00.000Z", "too_late"]]);
    expect(launch.entered).toEqual([]);
    const ledger = records(launch, "2026-11-20T09:00:00Z");
    expect(ledger.map((r) => r.kind)).toEqual(["skipped"]);
    const events = [checkout("2026-11-10T08:00:00Z"), checkout("2026-11-21T08:00:00Z")];
    const later = await plan(abandon(), { users, events, ledger }, "2026-11-21T09:00:00Z");
    expect(later.sends.map((s) => s.occurrence)).toEqual(["2026-11-21T08:00:00.000Z"]);
    expect(later.held).toEqual([]);
  });

  it("seen on time and held back until it was skipped as too late, it stays the entry", async () => {
    // No email address on the 20th: held, and recorded as entered; the address arrives too late for it.
    const day1 = await plan(abandon(), { users: [{ ...users[0]!, email: "" }], events: [checkout("2026-11-20T08:00:00Z")] }, "2026-11-20T09:00:00Z");
    expect(day1.held.map((h) => h.status)).toEqual(["no_email"]);
    const day3 = await plan(abandon(), { users, events: [checkout("2026-11-20T08:00:00Z")], ledger: records(day1, "2026-11-20T09:00:00Z") }, "2026-11-22T09:00:00Z");
    expect(day3.held.map((h) => h.status)).toEqual(["too_late"]);
    const ledger = [...records(day1, "2026-11-20T09:00:00Z"), ...records(day3, "2026-11-22T09:00:00Z")];
    const events = [checkout("2026-11-20T08:00:00Z"), checkout("2026-11-23T08:00:00Z")];
    const day4 = await plan(abandon(), { users, events, ledger }, "2026-11-23T09:00:00Z");
    expect(day4.sends).toEqual([]);
    expect(day4.held).toEqual([]);
  });

  it("judges an occurrence past saving by its due in the send window, not by the checkout's instant", async () => {
    // A checkout at 21:00 Berlin is due when the window opens at 09:00 (08:00 UTC): at 08:30
    // it is on time under a 6h lateness, though the checkout was 12h30 ago. Held back (no
    // email address yet), it is recorded as entered, so it stays the entry.
    const config = withCampaigns({ ...abandon().campaigns.get("abandon")!, latenessMs: 6 * 3_600_000 });
    const evening = checkout("2026-11-19T20:00:00Z");
    const day1 = await plan(config, { users: [{ ...users[0]!, email: "" }], events: [evening] }, "2026-11-20T08:30:00Z");
    expect(day1.held.map((h) => [h.occurrence, h.status, h.dueAt])).toEqual([["2026-11-19T20:00:00.000Z", "no_email", "2026-11-20T08:00:00.000Z"]]);
    expect(day1.entered).toEqual([{ userId: "ann", campaign: "abandon", occurrence: "2026-11-19T20:00:00.000Z" }]);
    // With a second checkout that morning it is still the on-time first one that is the entry.
    const both = await plan(config, { users, events: [evening, checkout("2026-11-20T06:00:00Z")] }, "2026-11-20T08:30:00Z");
    expect(both.sends.map((s) => s.occurrence)).toEqual(["2026-11-19T20:00:00.000Z"]);
  });

  it("under a cooldown, one first seen past saving and skipped does not keep a later one within the cooldown out", async () => {
    const config = withCampaigns({ ...abandon().campaigns.get("abandon")!, reentry: { policy: "cooldown", cooldownMs: 30 * D } });
    const launch = await plan(config, { users, events: [checkout("2026-11-10T08:00:00Z")] }, "2026-11-20T09:00:00Z");
    const events = [checkout("2026-11-10T08:00:00Z"), checkout("2026-11-21T08:00:00Z")];
    const later = await plan(config, { users, events, ledger: records(launch, "2026-11-20T09:00:00Z") }, "2026-11-21T09:00:00Z");
    expect(later.sends.map((s) => s.occurrence)).toEqual(["2026-11-21T08:00:00.000Z"]);
  });
});

describe("an attribute's date that moves", () => {
  // "Your trial has ended", due at the end of the trial (UTC midnight in Berlin is 01:00, before the window opens at 09:00 local).
  const ended = () => withCampaigns(campaign({
    id: "trial-ended", kind: "trigger", entry: { on: "attribute_date", attribute: "trial_ends_at", offsetMs: 0 }, reentry: { policy: "never" },
  }));
  const trial = (ends: string) => [{ ...ANN, created_at: "2026-11-01T00:00:00Z", trial_ends_at: ends }];
  const records = (p: Awaited<ReturnType<typeof plan>>, at: string) => planRecords(p, at, "r").map((r) => ({ ...r }));

  it("drops the old date's occurrence a run recorded before its email went out, and sends on the new date", async () => {
    const early = await plan(ended(), { users: trial("2026-11-08") }, "2026-11-08T00:30:00Z");
    expect(early.sends).toEqual([]); // due when the window opens at 09:00 local
    expect(early.entered.map((o) => o.occurrence)).toEqual(["2026-11-07T23:00:00.000Z"]);
    const ledger = records(early, "2026-11-08T00:30:00Z");
    expect(ledger.map((r) => r.kind)).toEqual(["entered"]);
    // The next export extends the trial by a week.
    const later = await plan(ended(), { users: trial("2026-11-15"), ledger }, "2026-11-08T10:00:00Z");
    expect(later.sends).toEqual([]);
    expect(later.held).toEqual([]);
    const end = await plan(ended(), { users: trial("2026-11-15"), ledger }, "2026-11-15T10:00:00Z");
    expect(end.sends.map((s) => s.occurrence)).toEqual(["2026-11-14T23:00:00.000Z"]);
  });

  it("keeps the old date's occurrence once its email went out: under `never` the new date does not send again", async () => {
    const day = await plan(ended(), { users: trial("2026-11-08") }, "2026-11-08T10:00:00Z");
    const [send] = day.sends;
    const ledger = [...records(day, "2026-11-08T10:00:00Z"), ...sent("ann", "trial-ended", "hello", "2026-11-08T10:00:01Z", { occurrence: send!.occurrence })];
    const end = await plan(ended(), { users: trial("2026-11-15"), ledger }, "2026-11-15T10:00:00Z");
    expect(end.sends).toEqual([]);
  });
});
