import { beforeAll, describe, expect, it } from "vitest";
import type { DuckDBConnection } from "@duckdb/node-api";
import { emptyConnection, fixtureConnection } from "./_tables.ts";
import { buildMessages } from "../../src/site/messages.ts";
import { stepFunnels, totalFunnel, typeFunnels } from "../../src/site/metrics/campaigns.ts";
import { activationCohorts, activationInPeriod } from "../../src/site/metrics/activation.ts";
import { subjectTests } from "../../src/site/metrics/variants.ts";
import { npsReport } from "../../src/site/metrics/nps.ts";
import { headline } from "../../src/site/metrics/overview.ts";
import { DAY_MS } from "../../src/engine/duration.ts";

const MACHINE_MS = 2 * 60_000;
const goals = [{ campaign: "welcome", event: "subscription.purchased", attributionMs: 7 * DAY_MS }];
const activation = { event: "task.created", count: 5, windowMs: 7 * DAY_MS };
const asOf = new Date("2026-03-28T12:00:00Z");

let conn: DuckDBConnection;
beforeAll(async () => {
  conn = await fixtureConnection();
  await buildMessages(conn, { machineOpenMs: MACHINE_MS, goals });
});

describe("email funnel of welcome/welcome (k = 1: nothing hidden)", () => {
  const welcome = async () => (await stepFunnels(conn, 1)).find((s) => s.campaign === "welcome" && s.step === "welcome")!.funnel;

  it("counts sends from the ledger once, ignoring an intent that never got its sent record", async () => {
    // 8 intent+sent pairs; u09's intent has no outcome; email.sent webhook rows do not double count.
    expect((await welcome()).sent).toBe(8);
  });

  it.each([
    // [rate, numerator (what), denominator (what), value]
    ["deliveryRate", 7, 8, 7 / 8], // delivered ÷ sent (u08 bounced)
    ["openRate", 6, 7, 6 / 7], // any open ÷ delivered: u01 u02 u03 u04 u05 u07
    ["adjustedOpenRate", 4, 7, 4 / 7], // person opens ÷ delivered: u01 and u04 opened within 2m only
    ["clickRate", 3, 7, 3 / 7], // clicked ÷ delivered: u02 u03 u05
    ["clickToOpen", 3, 4, 3 / 4], // clicked ÷ person opens
    ["conversionRate", 1, 7, 1 / 7], // converted in 7d ÷ delivered: only u02 (u03 too late, u05 before)
    ["unsubscribeRate", 1, 7, 1 / 7], // unsubscribed ÷ delivered: u06
    ["bounceRate", 1, 8, 1 / 8], // bounced ÷ sent: u08
    ["complaintRate", 1, 7, 1 / 7], // complained ÷ delivered: u07
  ] as const)("%s = %i ÷ %i", async (name, numerator, denominator, value) => {
    const r = (await welcome())[name];
    expect(r.numerator).toBe(numerator);
    expect(r.denominator).toBe(denominator);
    expect(r.rate).toBeCloseTo(value, 10);
  });

  it("hides every cell built from fewer than k users, never showing the number", async () => {
    const f = (await stepFunnels(conn, 5)).find((s) => s.campaign === "welcome" && s.step === "welcome")!.funnel;
    expect(f.sent).toBe(8); // 8 users
    expect(f.clicked).toBe("hidden"); // 3 users
    expect(f.clickRate).toEqual({ numerator: "hidden", denominator: 7, rate: "hidden" }); // 3/7 would give the 3 away
    expect(f.clickToOpen).toEqual({ numerator: "hidden", denominator: "hidden", rate: "hidden" }); // 4 person opens
    expect(f.unsubscribed).toBe("hidden");
  });
});

describe("conversion attribution window", () => {
  it.each([
    [7 * DAY_MS, 1], // u02 bought 3d after the email
    [2 * DAY_MS, 0], // too short for u02
    [11 * DAY_MS, 2], // now u03's purchase 10d later counts too; u05 bought before the email
  ])("window %d ms → %i conversions on welcome/welcome", async (attributionMs, converted) => {
    const c = await fixtureConnection();
    await buildMessages(c, { machineOpenMs: MACHINE_MS, goals: [{ campaign: "welcome", event: "subscription.purchased", attributionMs }] });
    const f = (await stepFunnels(c, 1)).find((s) => s.step === "welcome")!.funnel;
    expect(f.conversionRate.numerator).toBe(converted);
  });

  it("has no conversion rate for campaigns without a goal", async () => {
    const survey = (await stepFunnels(conn, 1)).find((s) => s.campaign === "nps-survey")!.funnel;
    expect(survey.conversionRate).toEqual({ numerator: 0, denominator: 0, rate: null });
  });
});

describe("message sources and types", () => {
  it("adds a send known only from its email.sent event", async () => {
    const f = (await stepFunnels(conn, 1)).find((s) => s.campaign === "no-first-task")!.funnel;
    expect([f.sent, f.delivered]).toEqual([1, 1]);
  });

  it("groups by message type in the fixed order", async () => {
    const types = await typeFunnels(conn, 1);
    expect(types.map((t) => [t.type, t.funnel.sent])).toEqual([
      ["regular", 16], // welcome 8 + subject-test 8
      ["trigger", 3], // detractor follow-up 2 + no-first-task 1
      ["survey", 7],
    ]);
  });

  it("keeps steps in config order when given", async () => {
    const steps = await stepFunnels(conn, 1, new Map([["welcome", ["welcome", "subject-test"]]]));
    expect(steps.filter((s) => s.campaign === "welcome").map((s) => s.step)).toEqual(["welcome", "subject-test"]);
  });
});

describe("activation: activated and registered from the same signup cohort", () => {
  const opts = () => ({ conn, activation, timezone: "Europe/Berlin", asOf, k: 1 });

  it("weekly cohorts (Monday, Berlin time) with incomplete young cohorts", async () => {
    const weeks = await activationCohorts(opts(), "week");
    expect(weeks.map((w) => [w.cohort, w.activation.numerator, w.activation.denominator, w.incomplete])).toEqual([
      ["2026-03-02", 3, 6, false], // u01 u02 u05; u03's 5th task came on day 8, u04 made 2
      ["2026-03-09", 1, 3, false], // u07
      ["2026-03-23", 1, 3, true], // u10 already; u11/u12 still inside their 7 days
    ]);
    expect(weeks[0]!.activation.rate).toBe(0.5);
  });

  it("monthly cohort", async () => {
    const [march] = await activationCohorts(opts(), "month");
    expect([march!.cohort, march!.activation.numerator, march!.activation.denominator, march!.incomplete]).toEqual(["2026-03-01", 5, 12, true]);
  });

  it.each([
    // week cohorts: 3 of 6, 1 of 3, 1 of 3 activated
    [1, [0.5, 1 / 3, 1 / 3]],
    [3, [0.5, "hidden", "hidden"]], // 1 activated user is below k
    [5, ["hidden", "hidden", "hidden"]], // 3 activated users are below k
  ])("k = %i hides cohort rates built from fewer than k users", async (k, shown) => {
    const weeks = await activationCohorts({ ...opts(), k }, "week");
    expect(weeks.map((w) => w.activation.rate)).toEqual(shown);
  });

  it("a period counts only users who signed up in it", async () => {
    const p = await activationInPeriod(opts(), new Date("2026-03-09T00:00:00Z"), new Date("2026-03-12T00:00:00Z"));
    expect([p.activation.numerator, p.activation.denominator, p.incomplete]).toEqual([1, 3, false]);
  });
});

describe("subject-line test", () => {
  it("per variant sent, clicks, click rate and a two-proportion z-test on clicks", async () => {
    const [test] = await subjectTests(conn, 1);
    expect(test!.variants).toEqual([
      { variant: "a", clickRate: { numerator: 2, denominator: 4, rate: 0.5 } },
      { variant: "b", clickRate: { numerator: 1, denominator: 4, rate: 0.25 } },
    ]);
    // pooled p = 3/8, se = √(.375·.625·(1/4 + 1/4)) = .34233, z = .25 / .34233
    expect(test!.z).toBeCloseTo(0.7303, 4);
    expect(test!.p).toBeCloseTo(0.4652, 3);
    expect(test!.verdict).toMatch(/no significant difference/);
  });

  it("says not enough data when a variant is hidden", async () => {
    const [test] = await subjectTests(conn, 5);
    expect(test!.verdict).toBe("not enough data yet");
    expect(test!.variants[0]!.clickRate.rate).toBe("hidden");
  });
});

describe("NPS report", () => {
  it("monthly score from each user's latest answer, with the small-n margin of error", async () => {
    const report = await npsReport(conn, { k: 1, timezone: "Europe/Berlin", followUpCampaigns: ["nps-detractor"] });
    const [march] = report.months;
    // Latest answers: 10 9 7 8 6 10 → promoters 3, passives 2, detractors 1, n 6.
    expect(march!.month).toBe("2026-03");
    expect(march!.score).toMatchObject({ hidden: false, n: 6, promoters: 3, passives: 2, detractors: 1, adjusted: true });
    if (march!.score.hidden) throw new Error("unexpected");
    expect(march!.score.nps).toBeCloseTo(33.333, 3);
    expect(march!.score.marginOfError).toBeCloseTo(48.966, 2);
    // Respondents ÷ survey recipients delivered: u06 did not answer.
    expect(march!.responseRate).toEqual({ numerator: 6, denominator: 7, rate: 6 / 7 });
    expect(report.distribution.map((d) => d.answers)).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2]);
  });

  it("detractor follow-up outcomes", async () => {
    const report = await npsReport(conn, { k: 1, timezone: "Europe/Berlin", followUpCampaigns: ["nps-detractor"] });
    expect(report.followUp!.detractors).toBe(2); // u04 (3) and u05 (6)
    expect(report.followUp!.improved).toEqual({ numerator: 1, denominator: 2, rate: 0.5 }); // u04 later answered 8
    expect(report.followUp!.funnel.adjustedOpenRate.numerator).toBe(1);
  });

  it("hides the score of a month with fewer than k respondents", async () => {
    const report = await npsReport(conn, { k: 7, timezone: "Europe/Berlin", followUpCampaigns: [] });
    expect(report.months[0]!.score).toEqual({ hidden: true, n: 6 });
    expect(report.distribution.every((d) => d.answers === 0 || d.answers === "hidden")).toBe(true);
    expect(report.followUp).toBeNull();
  });
});

describe("overview headline", () => {
  it("last 30 days hold everything; the 30 days before hold nothing (no NaN)", async () => {
    const h = await headline({ conn, activation, timezone: "Europe/Berlin", asOf, k: 1 }, 30);
    expect(h.current.activation.activation).toEqual({ numerator: 5, denominator: 12, rate: 5 / 12 });
    expect(h.current.funnel.sent).toBe(26);
    expect(h.previous.funnel.sent).toBe(0);
    expect(h.previous.funnel.openRate).toEqual({ numerator: 0, denominator: 0, rate: null });
    expect(h.previous.nps).toMatchObject({ n: 0, nps: null, marginOfError: null });
  });
});

describe("machine opens", () => {
  it("counts the window from the delivery, or from the send when no delivery is known, as the evaluator does", async () => {
    const c = await emptyConnection();
    const row = (key: string, event: string, ts: string) =>
      `('u-${key}', '${event}', TIMESTAMPTZ '${ts}', '{"key": "${key}", "campaign": "welcome", "step": "welcome"}', '${key}-${event}')`;
    await c.run(`INSERT INTO events VALUES
      ${row("nodelivery", "email.sent", "2026-03-01T08:00:00Z")}, ${row("nodelivery", "email.opened", "2026-03-01T08:00:30Z")},
      ${row("late", "email.sent", "2026-03-01T08:00:00Z")}, ${row("late", "email.delivered", "2026-03-01T08:30:00Z")},
      ${row("late", "email.opened", "2026-03-01T08:30:20Z")},
      ${row("read", "email.sent", "2026-03-01T08:00:00Z")}, ${row("read", "email.delivered", "2026-03-01T08:30:00Z")},
      ${row("read", "email.opened", "2026-03-01T08:35:00Z")}`);
    await buildMessages(c, { machineOpenMs: MACHINE_MS, goals });
    const rows = (await c.runAndReadAll("SELECT key, opened_at IS NOT NULL AS opened, human_open_at IS NOT NULL AS human FROM site_messages ORDER BY key")).getRowObjects();
    expect(rows).toEqual([
      { key: "late", opened: true, human: false },
      { key: "nodelivery", opened: true, human: false },
      { key: "read", opened: true, human: true },
    ]);
  });
});

describe("conversions", () => {
  it("count only the goal events its `where` matches, as the evaluator does", async () => {
    const c = await emptyConnection();
    const sentTo = (user: string) =>
      `('${user}', 'email.sent', TIMESTAMPTZ '2026-03-01T08:00:00Z', '{"key": "k-${user}", "campaign": "team-upgrade", "step": "send"}', 's-${user}')`;
    const bought = (user: string, plan: string) =>
      `('${user}', 'subscription.purchased', TIMESTAMPTZ '2026-03-02T08:00:00Z', '{"plan": "${plan}"}', 'b-${user}')`;
    await c.run(`INSERT INTO events VALUES ${sentTo("pro")}, ${sentTo("team")}, ${bought("pro", "pro")}, ${bought("team", "team")}`);
    const team = [{ campaign: "team-upgrade", event: "subscription.purchased", where: { plan: "team" }, attributionMs: 7 * DAY_MS }];
    await buildMessages(c, { machineOpenMs: MACHINE_MS, goals: team });
    const rows = (await c.runAndReadAll("SELECT user_id, converted_at IS NOT NULL AS converted, has_goal FROM site_messages ORDER BY user_id")).getRowObjects();
    expect(rows).toEqual([{ user_id: "pro", converted: false, has_goal: true }, { user_id: "team", converted: true, has_goal: true }]);
  });
});

describe("empty data set", () => {
  it("every metric is empty, none is NaN", async () => {
    const empty = await emptyConnection();
    await buildMessages(empty, { machineOpenMs: MACHINE_MS, goals });
    const f = await totalFunnel(empty, 5);
    expect(f.sent).toBe(0);
    expect(f.clickRate.rate).toBeNull();
    expect(await activationCohorts({ conn: empty, activation, timezone: "UTC", asOf, k: 5 }, "week")).toEqual([]);
    expect(await subjectTests(empty, 5)).toEqual([]);
    const nps = await npsReport(empty, { k: 5, timezone: "UTC", followUpCampaigns: ["x"] });
    expect(nps.months).toEqual([]);
    expect(JSON.stringify(nps)).not.toMatch(/NaN/);
  });
});
