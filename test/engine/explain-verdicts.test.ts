// explain's verdicts on hand-built campaigns: what it says beyond the plan's rows (history,
// what comes next, why nothing does) must be true of the user as of --now.
import { describe, expect, it } from "vitest";
import type { Campaign } from "../../src/engine/config/types.ts";
import { evaluate, explain, messageKey, type Snapshot } from "../../src/engine/index.ts";
import { campaign, D, step, withCampaigns } from "./_campaign-fixture.ts";
import { openData } from "./_snapshot-files.ts";

// Berlin (the settings' zone) is UTC+1 in November; the send window is 09:00–18:00 local.
const SIGNUP = "2026-11-16T10:00:00.250Z";
const ann = { user_id: "ann", email: "ann@example.com", created_at: SIGNUP, plan: "trial" };

/** The records of a run that sent `stepId` of `campaignId` to ann at `at`. */
function sent(campaignId: string, stepId: string, at: string, occurrence = SIGNUP): Record<string, unknown>[] {
  const key = messageKey("ann", campaignId, stepId, occurrence);
  return [
    { kind: "intent", at, run: "r", key, user_id: "ann", campaign: campaignId, step: stepId, template: "welcome-1", type: "regular", occurrence, due: at, batch: "b" },
    { kind: "sent", at, run: "r", key, provider_id: `p-${stepId}`, transport: "outbox" },
  ];
}

/** The record of a run that skipped `stepId` as too late. */
function skipped(campaignId: string, stepId: string, at: string): Record<string, unknown> {
  return {
    kind: "skipped", at, run: "r", key: messageKey("ann", campaignId, stepId, SIGNUP), user_id: "ann", campaign: campaignId, step: stepId,
    occurrence: SIGNUP, due: at, reason: "too_late: due more than 1d ago",
  };
}

/** ann opened the email of `stepId` an hour after `at` (well after any machine open). */
const opened = (campaignId: string, stepId: string, at: string) => ({
  user_id: "ann", event: "email.opened", ts: new Date(Date.parse(at) + 3_600_000).toISOString(),
  event_id: `open-${stepId}`, properties: { key: messageKey("ann", campaignId, stepId, SIGNUP) },
});

async function explained(snap: Snapshot, c: Campaign, now: string) {
  return (await explain(withCampaigns(c), snap, "ann", new Date(now))).campaigns[0]!;
}

describe("explain as of --now", () => {
  const twoSteps = campaign({ steps: [step("hello"), step("next", { after: "hello", waitMs: D })] });
  // next is due a day after hello was sent: 2026-11-17T10:00:00.250Z.
  const ledger = [...sent("welcome", "hello", "2026-11-16T10:00:00.250Z"), ...sent("welcome", "next", "2026-11-17T14:00:00.000Z")];

  it("leaves out of the history and the verdict what runs after --now recorded", async () => {
    const snap = await openData({ users: [ann], ledger });
    const before = await explained(snap, twoSteps, "2026-11-17T09:00:00Z");
    expect(before.history.map((h) => h.step)).toEqual(["hello"]);
    expect(before).toMatchObject({ verdict: "waiting", upcoming: [{ step: "next", due: "2026-11-17T10:00:00.250Z" }] });
    const after = await explained(snap, twoSteps, "2026-11-18T09:00:00Z");
    expect(after.history.map((h) => h.step)).toEqual(["hello", "next"]);
    expect(after.verdict).toBe("finished");
  });

  it("plans as of --now a step a later run sent", async () => {
    const snap = await openData({ users: [ann], ledger });
    // Due at 10:00:00.250Z on the 17th; the run that sent it ran at 14:00Z.
    const plan = await evaluate(withCampaigns(twoSteps), snap, new Date("2026-11-17T12:00:00Z"));
    expect(plan.sends.map((s) => s.step)).toEqual(["next"]);
    expect((await evaluate(withCampaigns(twoSteps), snap, new Date("2026-11-17T15:00:00Z"))).sends).toEqual([]);
  });

  it("gives due times to the millisecond, as the plan does", async () => {
    const snap = await openData({ users: [ann], ledger: sent("welcome", "hello", "2026-11-16T10:00:00.250Z") });
    const c = await explained(snap, twoSteps, "2026-11-17T09:00:00Z");
    expect(c.upcoming[0]!.due).toBe("2026-11-17T10:00:00.250Z");
    expect(c.history[0]!.at).toBe("2026-11-16T10:00:00.250Z");
    // At the second printed before, the step is not due yet; at the instant printed, it is.
    expect((await evaluate(withCampaigns(twoSteps), snap, new Date("2026-11-17T10:00:00.000Z"))).sends).toEqual([]);
    const plan = await evaluate(withCampaigns(twoSteps), snap, new Date(c.upcoming[0]!.due));
    expect(plan.sends.map((s) => [s.step, s.dueAt])).toEqual([["next", "2026-11-17T10:00:00.250Z"]]);
  });
});

describe("explain's verdicts", () => {
  it("says a user who was sent emails and then left the audience entered, not that the entry never happened", async () => {
    // A daily condition entry: ann was on trial on the 17th, when the trigger sent; she pays now.
    const onTrial = { kind: "attribute", attribute: "plan", op: "eq", value: "trial" } as const;
    const trial = campaign({ id: "trial-tip", kind: "trigger", entry: { on: "condition", condition: onTrial }, audience: onTrial });
    const snap = await openData({ users: [{ ...ann, plan: "pro" }], ledger: sent("trial-tip", "hello", "2026-11-17T09:00:00.000Z", "2026-11-17") });
    const c = await explained(snap, trial, "2026-11-19T10:00:00Z");
    expect(c.entered).toEqual(["2026-11-17"]);
    expect(c.verdict).toBe("not_in_audience");
    expect(c.summary).toContain("1 email(s) sent so far");
  });

  it("counts an occurrence the ledger records as entered (`entered`), though nothing was sent yet", async () => {
    // The trigger's step waits a day; the run of the 17th recorded the day's occurrence, and ann has paid since.
    const onTrial = { kind: "attribute", attribute: "plan", op: "eq", value: "trial" } as const;
    const trial = campaign({ id: "trial-tip", kind: "trigger", entry: { on: "condition", condition: onTrial }, audience: onTrial, steps: [step("hello", { waitMs: D })] });
    const entered = { kind: "entered", at: "2026-11-17T09:00:00.000Z", run: "r", user_id: "ann", campaign: "trial-tip", occurrence: "2026-11-17" };
    const snap = await openData({ users: [{ ...ann, plan: "pro" }], ledger: [entered] });
    const c = await explained(snap, trial, "2026-11-17T20:00:00Z");
    expect(c.entered).toEqual(["2026-11-17"]);
    expect(c.verdict).toBe("not_in_audience");
  });

  // "soon" comes later in the list but is due first, and only when "hello" was not opened.
  const branching = campaign({
    steps: [step("hello"), step("late", { after: "hello", waitMs: 3 * D }), step("soon", { after: "hello", waitMs: D, when: "not_opened" })],
  });
  const helloSent = sent("welcome", "hello", "2026-11-16T10:00:00.000Z");

  it("names the step due next by its moment, with what a branch step needs by then", async () => {
    const snap = await openData({ users: [ann], ledger: helloSent });
    const c = await explained(snap, branching, "2026-11-16T15:00:00Z");
    expect(c.upcoming.map((u) => u.step)).toEqual(["soon", "late"]);
    expect(c.upcoming[0]).toMatchObject({ due: "2026-11-17T10:00:00.000Z", if: '"hello" not opened' });
    expect(c.summary).toContain('next: step "soon" due 2026-11-17T10:00:00.000Z if "hello" not opened by then');
  });

  it("does not wait for a branch step the user has already ruled out", async () => {
    const snap = await openData({ users: [ann], events: [opened("welcome", "hello", "2026-11-16T10:00:00.000Z")], ledger: helloSent });
    const c = await explained(snap, branching, "2026-11-16T15:00:00Z");
    expect(c.upcoming.map((u) => u.step)).toEqual(["late"]);
    expect(c.branchesNotTaken).toEqual([{ step: "soon", needed: '"hello" not opened', due: "2026-11-17T10:00:00.000Z" }]);
    expect(c.summary).toContain('next: step "late"');
  });

  it("says finished, not branch not taken, once the steps after an untaken branch were sent", async () => {
    const events = [opened("welcome", "hello", "2026-11-16T10:00:00.000Z")];
    const snap = await openData({ users: [ann], events, ledger: [...helloSent, ...sent("welcome", "late", "2026-11-19T10:00:00.000Z")] });
    const c = await explained(snap, branching, "2026-11-20T10:00:00Z");
    expect(c.verdict).toBe("finished");
    expect(c.summary).toContain('branch "soon" not taken');
    // When the untaken branch is where the sequence stops, that is the answer.
    const only = campaign({ steps: [step("hello"), step("soon", { after: "hello", waitMs: D, when: "not_opened" })] });
    const stop = await explained(await openData({ users: [ann], events, ledger: helloSent }), only, "2026-11-20T10:00:00Z");
    expect(stop.verdict).toBe("branch_not_taken");
    expect(stop.summary).toContain('step "soon" is only sent if "hello" not opened');
  });

  it("says the sequence stopped at a step skipped as too late, or ended when its goal was reached", async () => {
    const twoSteps = campaign({ steps: [step("hello"), step("next", { after: "hello", waitMs: D })], goal: { event: "bought", attributionMs: 7 * D } });
    const ledger = [skipped("welcome", "hello", "2026-11-18T09:00:00.000Z")];
    const stopped = await explained(await openData({ users: [ann], ledger }), twoSteps, "2026-11-19T10:00:00Z");
    expect(stopped.verdict).toBe("stopped");
    expect(stopped.summary).toContain('step "hello" was skipped (too_late: due more than 1d ago)');
    const bought = { user_id: "ann", event: "bought", ts: "2026-11-17T12:00:00Z", event_id: "b1" };
    const ended = await explained(await openData({ users: [ann], events: [bought], ledger }), twoSteps, "2026-11-19T10:00:00Z");
    expect(ended).toMatchObject({ verdict: "ended", endedBy: "goal" });
  });

  it("says a one-email campaign whose email was skipped stopped, not that every step is done", async () => {
    const ledger = [skipped("welcome", "hello", "2026-11-18T09:00:00.000Z")];
    const c = await explained(await openData({ users: [ann], ledger }), campaign(), "2026-11-19T10:00:00Z");
    expect(c).toMatchObject({ verdict: "stopped", summary: 'stopped: step "hello" was skipped (too_late: due more than 1d ago); 0 email(s) sent so far' });
  });

  it("says why an attribute date has not started the campaign: no such column, empty, unreadable, or still to come", async () => {
    const renewal = campaign({ kind: "trigger", entry: { on: "attribute_date", attribute: "renews_at", offsetMs: -7 * D } });
    const why = async (users: Record<string, unknown>[]) =>
      (await explained(await openData({ users }), renewal, "2026-11-20T10:00:00Z")).summary;
    expect(await why([ann])).toBe('the entry never happened: the users table has no column "renews_at"');
    expect(await why([{ ...ann, renews_at: "" }])).toBe('the entry never happened: "renews_at" is empty for this user');
    expect(await why([{ ...ann, renews_at: "next tuesday" }])).toBe(
      'the entry never happened: "renews_at" is "next tuesday", which is not a date or time it reads (ISO 8601, e.g. 2026-11-26 or 2026-11-26T09:00:00Z)');
    expect(await why([{ ...ann, renews_at: "2026-12-01" }])).toBe(
      'the entry never happened: "renews_at" + the offset is 2026-11-23T23:00:00.000Z, which is still to come'); // Berlin midnight, 7 days before
  });

  it("says why a no_event entry has not happened: the anchor that opens the window never did, or the event followed it", async () => {
    const abandoned = campaign({ kind: "trigger", entry: { on: "no_event", event: "checkout.completed", withinMs: D, after: { kind: "event", event: "checkout.started" } } });
    const at = (event: string, ts: string) => ({ user_id: "ann", event, ts });
    const why = async (events: Record<string, unknown>[]) =>
      (await explained(await openData({ users: [ann], events }), abandoned, "2026-11-20T10:00:00Z")).summary;
    expect(await why([at("task.created", "2026-11-18T10:00:00Z")])).toBe(
      'the entry never happened: no "checkout.started" event up to now, which opens the window');
    expect(await why([at("checkout.started", "2026-11-18T10:00:00Z"), at("checkout.completed", "2026-11-18T11:00:00Z")])).toBe(
      'the entry never happened: "checkout.completed" was done within the window, or the window has not ended yet');
    const byDate = campaign({ kind: "trigger", entry: { on: "no_event", event: "task.created", withinMs: D, after: { kind: "attribute", attribute: "renews_at" } } });
    expect((await explained(await openData({ users: [ann] }), byDate, "2026-11-20T10:00:00Z")).summary).toBe(
      'the entry never happened: "renews_at" is empty or not a date for this user, and it opens the window');
  });
});
