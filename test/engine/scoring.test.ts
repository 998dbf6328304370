import { beforeAll, describe, expect, it } from "vitest";
import type { Campaign, Config, ScoreRule, Scoring } from "../../src/engine/config/types.ts";
import { evaluate, explain, loadConfig } from "../../src/engine/index.ts";
import { ago, openData } from "./_snapshot-files.ts";

const NOW = new Date("2026-11-20T12:00:00Z");
const origin = { file: "scoring.json", pointer: "" };
const ANN = { user_id: "ann", email: "ann@example.com", first_name: "Ann", created_at: "2026-06-01T09:00:00Z", timezone: "UTC" };

let base: Config;
beforeAll(async () => {
  base = await loadConfig("test/fixtures/config/valid");
});

const rule = (r: Partial<ScoreRule>): ScoreRule => ({ points: 1, per: 1, origin, ...r });
const scoring = (rules: Partial<ScoreRule>[], extra: Partial<Scoring> = {}): Scoring => ({ rules: rules.map(rule), bands: { hot: 50, warm: 20 }, ...extra });
const withScoring = (s: Scoring, more: Partial<Config> = {}): Config => ({ ...base, scoring: s, campaigns: new Map(), tags: new Map(), ...more });
const ev = (event: string, daysAgo: number, properties?: Record<string, unknown>) => ({ user_id: "ann", event, ts: ago(NOW, daysAgo), properties });

/** Ann's score and band as of NOW, read through explain. */
async function scoreOf(s: Scoring, events: Record<string, unknown>[]) {
  const snap = await openData({ users: [ANN], events });
  const e = await explain(withScoring(s), snap, "ann", NOW);
  return { score: e.score, band: e.band };
}

/** An email to ann with key `key`: sent and delivered `daysAgo`, then the given reactions (hours after delivery). */
function email(key: string, daysAgo: number, reactions: { event: string; afterMs: number }[] = []) {
  const at = new Date(NOW.getTime() - daysAgo * 86_400_000);
  const row = (event: string, ms: number) => ({ user_id: "ann", event, ts: new Date(at.getTime() + ms).toISOString(), properties: { key } });
  return [row("email.sent", 0), row("email.delivered", 1000), ...reactions.map((r) => row(r.event, r.afterMs))];
}
const H = 3_600_000;

describe("lead score", () => {
  it("sums each matching event's points", async () => {
    expect(await scoreOf(scoring([{ event: "webinar.registered", points: 10 }]), [ev("webinar.registered", 3), ev("webinar.registered", 1)]))
      .toEqual({ score: 20, band: "warm" });
  });

  it("gives a user without any award a score of 0 and the cold band", async () => {
    expect(await scoreOf(scoring([{ event: "webinar.registered", points: 10 }]), [ev("task.created", 1)])).toEqual({ score: 0, band: "cold" });
  });

  it("awards once every `per` occurrences", async () => {
    // 7 page views with per 3: two awards (after the 3rd and the 6th).
    const views = [7, 6, 5, 4, 3, 2, 1].map((d) => ev("page.viewed", d));
    expect((await scoreOf(scoring([{ event: "page.viewed", points: 5, per: 3 }]), views)).score).toBe(10);
  });

  it("caps a rule's total at max_points, with a partial last award", async () => {
    // 3 + 3 + 3 + 1 (capped) + 0 = 10
    const created = [5, 4, 3, 2, 1].map((d) => ev("project.created", d));
    expect((await scoreOf(scoring([{ event: "project.created", points: 3, maxPoints: 10 }]), created)).score).toBe(10);
  });

  it("caps negative rules by their absolute total", async () => {
    const events = [4, 3, 2, 1].map((d) => ev("task.overdue", d));
    expect((await scoreOf(scoring([{ event: "task.overdue", points: -2, maxPoints: 5 }]), events)).score).toBe(-5);
  });

  it("counts only occurrences inside `within`", async () => {
    const s = scoring([{ event: "webinar.registered", points: 10, withinMs: 7 * 86_400_000 }]);
    expect((await scoreOf(s, [ev("webinar.registered", 10), ev("webinar.registered", 2)])).score).toBe(10);
  });

  it("halves an award every half-life", async () => {
    const s = scoring([{ event: "webinar.registered", points: 10 }], { decayHalfLifeMs: 10 * 86_400_000 });
    // 10 * 0.5^1 + 10 * 0.5^2 = 5 + 2.5
    expect((await scoreOf(s, [ev("webinar.registered", 10), ev("webinar.registered", 20)])).score).toBe(7.5);
  });

  it("matches event properties with `where`", async () => {
    const s = scoring([{ event: "page.viewed", where: { path: "/pricing" }, points: 5 }]);
    expect((await scoreOf(s, [ev("page.viewed", 2, { path: "/pricing" }), ev("page.viewed", 1, { path: "/blog" })])).score).toBe(5);
  });

  it("ignores events after now", async () => {
    expect((await scoreOf(scoring([{ event: "webinar.registered", points: 10 }]), [ev("webinar.registered", 1), ev("webinar.registered", -1)])).score).toBe(10);
  });

  it("puts scores on band boundaries in the higher band", async () => {
    const s = scoring([{ event: "webinar.registered", points: 25 }]);
    expect((await scoreOf(s, [ev("webinar.registered", 1), ev("webinar.registered", 2)])).band).toBe("hot"); // 50 >= hot 50
    expect((await scoreOf(s, [ev("webinar.registered", 1)])).band).toBe("warm"); // 25 >= warm 20
    expect((await scoreOf(scoring([{ event: "webinar.registered", points: 19.5 }]), [ev("webinar.registered", 1)])).band).toBe("cold");
  });

  it("scores opened emails once each, and never a machine open", async () => {
    const events = [
      ...email("k1", 5, [{ event: "email.opened", afterMs: 2 * H }, { event: "email.opened", afterMs: 5 * H }]), // read twice: one email
      ...email("k2", 4, [{ event: "email.opened", afterMs: 10_000 }]), // privacy proxy, seconds after delivery
    ];
    expect((await scoreOf(scoring([{ event: "email.opened", points: 1 }]), events)).score).toBe(1);
  });

  it("matches an email click's `where` against that message's own click events", async () => {
    // Two clicks on the welcome email count once; the other campaign's click does not count.
    const click = (key: string, campaign: string, daysAgo: number) => ev("email.clicked", daysAgo, { key, campaign });
    const events = [...email("k1", 5), ...email("k2", 4), click("k1", "welcome", 4.5), click("k1", "welcome", 4), click("k2", "other", 3.5)];
    expect((await scoreOf(scoring([{ event: "email.clicked", where: { campaign: "welcome" }, points: 5 }]), events)).score).toBe(5);
    expect((await scoreOf(scoring([{ event: "email.clicked", points: 5 }]), events)).score).toBe(10);
  });

  it("dates an email rule's award with `where` at the first matching click, and ignores clicks after now", async () => {
    // The blog click 40 days ago is outside `within`; the webinar click 10 days ago is the award.
    const click = (link: string, daysAgo: number) => ev("email.clicked", daysAgo, { key: "k1", link });
    const within = scoring([{ event: "email.clicked", where: { link: { contains: "webinar" } }, points: 5, withinMs: 30 * 86_400_000 }]);
    expect((await scoreOf(within, [...email("k1", 41), click("https://x/blog", 40), click("https://x/webinar", 10)])).score).toBe(5);
    expect((await scoreOf(within, [...email("k1", 41), click("https://x/webinar", -1)])).score).toBe(0);
  });

  it("counts a click as the open of an email rule `email.opened` with `where`, as without it", async () => {
    const clicked = [...email("k1", 5), ev("email.clicked", 4, { key: "k1", campaign: "promo" })];
    expect((await scoreOf(scoring([{ event: "email.opened", where: { campaign: "promo" }, points: 3 }]), clicked)).score).toBe(3);
  });
});

describe("signal email_unopened", () => {
  const unopened = scoring([{ signal: "email_unopened", points: -1 }]);

  it("counts an email delivered and not opened within 3 days", async () => {
    expect((await scoreOf(unopened, email("k1", 5))).score).toBe(-1);
  });

  it("does not count an email opened on its second day", async () => {
    expect((await scoreOf(unopened, email("k1", 5, [{ event: "email.opened", afterMs: 30 * H }]))).score).toBe(0);
  });

  it("does not count an email clicked without a recorded open", async () => {
    expect((await scoreOf(unopened, email("k1", 5, [{ event: "email.clicked", afterMs: 2 * H }]))).score).toBe(0);
  });

  it("counts an email whose only open was a machine open", async () => {
    expect((await scoreOf(unopened, email("k1", 5, [{ event: "email.opened", afterMs: 10_000 }]))).score).toBe(-1);
  });

  it("counts an email opened only after the 3 days", async () => {
    expect((await scoreOf(unopened, email("k1", 5, [{ event: "email.opened", afterMs: 80 * H }]))).score).toBe(-1);
  });

  it("does not count an email delivered less than 3 days ago", async () => {
    expect((await scoreOf(unopened, email("k1", 2))).score).toBe(0);
  });

  it("matches `where` against the email's send or delivery event", async () => {
    const sentFor = (key: string, campaign: string) => email(key, 5).map((row) => ({ ...row, properties: { ...row.properties, campaign } }));
    const s = scoring([{ signal: "email_unopened", where: { campaign: "promo-blast" }, points: -2 }]);
    expect((await scoreOf(s, sentFor("k1", "welcome"))).score).toBe(0);
    expect((await scoreOf(s, sentFor("k2", "promo-blast"))).score).toBe(-2);
  });

  it("applies `per` to the signal: -2 for every two unopened emails", async () => {
    const s = scoring([{ signal: "email_unopened", points: -2, per: 2 }]);
    expect((await scoreOf(s, [...email("k1", 9), ...email("k2", 8), ...email("k3", 7)])).score).toBe(-2);
  });
});

describe("entry score_reached", () => {
  const trigger = (threshold: number): Campaign => ({
    id: "hot-lead", kind: "trigger", name: "Hot lead", entry: { on: "score_reached", threshold },
    steps: [{ id: "offer", template: "welcome-1", waitMs: 0, origin }], reentry: { policy: "never" }, priority: 0, latenessMs: 7 * 86_400_000, origin,
  });
  const webinar = scoring([{ event: "webinar.registered", points: 10 }]);
  const due = async (s: Scoring, threshold: number, events: Record<string, unknown>[], lateness = 7 * 86_400_000) => {
    const snap = await openData({ users: [ANN], events });
    const plan = await evaluate(withScoring(s, { campaigns: new Map([["hot-lead", { ...trigger(threshold), latenessMs: lateness }]]) }), snap, NOW);
    return plan.sends.map((x) => x.occurrence);
  };

  it("occurs at the award that brought the running total to the threshold", async () => {
    expect(await due(webinar, 20, [ev("webinar.registered", 3), ev("webinar.registered", 2)])).toEqual([ago(NOW, 2)]);
  });

  it("compares the score as decayed at each award, as bands and explain have it, not the points earned long ago", async () => {
    // Half-life 10 days: 10 + 10 a month ago (19.33 decayed, 20 undecayed), then 12.97 after
    // the award two days ago, and 22.10 after yesterday's: the score reached 20 yesterday.
    const s = scoring([{ event: "webinar.registered", points: 10 }], { decayHalfLifeMs: 10 * 86_400_000 });
    const events = [30, 29, 2, 1].map((d) => ev("webinar.registered", d));
    expect(await due(s, 20, events)).toEqual([ago(NOW, 1)]);
    expect(await due(s, 22.2, events)).toEqual([]);
  });

  it("decays exactly across a long history, in hours, on either side of its blocks of half-lives", async () => {
    // Half-life one hour: years of history are many thousands of half-lives. Two awards half
    // an hour apart sum to 10·2^-0.5 + 10 = 17.07 at the second, wherever they fall.
    const s = scoring([{ event: "webinar.registered", points: 10 }], { decayHalfLifeMs: H });
    const hours = Math.floor(NOW.getTime() / H);
    for (const edge of [hours - (hours % 128), hours - ((hours + 64) % 128)]) {
      const at = (h: number) => ({ user_id: "ann", event: "webinar.registered", ts: new Date((edge + h) * H).toISOString() });
      const events = [at(-3000), at(-0.25), at(0.25)]; // 3,000 half-lives back: 2^3000 overflows a double
      expect(await due(s, 17, events, 365 * 86_400_000)).toEqual([new Date((edge + 0.25) * H).toISOString()]);
      expect(await due(s, 17.1, events, 365 * 86_400_000)).toEqual([]);
    }
  });

  it("occurs once: later awards do not start it again", async () => {
    const snap = await openData({ users: [ANN], events: [3, 2, 1].map((d) => ev("webinar.registered", d)) });
    const plan = await evaluate(withScoring(webinar, { campaigns: new Map([["hot-lead", trigger(20)]]) }), snap, NOW);
    expect(plan.sends.map((s) => s.occurrence)).toEqual([ago(NOW, 2)]);
  });

  it("does not occur while the running total stays under the threshold", async () => {
    const snap = await openData({ users: [ANN], events: [ev("webinar.registered", 2), ev("task.overdue", 1)] });
    const s = scoring([{ event: "webinar.registered", points: 15 }, { event: "task.overdue", points: -10 }]);
    const plan = await evaluate(withScoring(s, { campaigns: new Map([["hot-lead", trigger(10)]]) }), snap, NOW);
    expect(plan.sends.map((x) => x.occurrence)).toEqual([ago(NOW, 2)]); // 15 reached 10 before the -10
    const plan2 = await evaluate(withScoring(s, { campaigns: new Map([["hot-lead", trigger(20)]]) }), snap, NOW);
    expect(plan2.sends).toEqual([]);
  });

  it("adds awards given at one instant together before comparing, whatever the order of the rules", async () => {
    // 45 points, then one /careers view: +5 for any page, -5 for /careers, at one instant. The total stays 45.
    const events = [ev("webinar.registered", 3), ev("page.viewed", 1, { path: "/careers" })];
    const rules = [{ event: "page.viewed", points: 5 }, { event: "page.viewed", where: { path: "/careers" }, points: -5 }];
    for (const ordered of [rules, [...rules].reverse()]) {
      const snap = await openData({ users: [ANN], events });
      const s = scoring([{ event: "webinar.registered", points: 45 }, ...ordered]);
      expect((await evaluate(withScoring(s, { campaigns: new Map([["hot-lead", trigger(50)]]) }), snap, NOW)).sends).toEqual([]);
    }
  });

  it("counts only the points inside `within` windows, as bands and explain do", async () => {
    const s = scoring([{ event: "webinar.registered", points: 10, withinMs: 86_400_000 }]);
    // A day apart exactly: the first has left the window when the second comes, so the score is 10, never 20.
    expect(await due(s, 20, [ev("webinar.registered", 3), ev("webinar.registered", 2)])).toEqual([]);
    expect(await due(s, 20, [ev("webinar.registered", 3), ev("webinar.registered", 2.5)])).toEqual([ago(NOW, 2.5)]);
  });

  it("ranks a rule's occurrences afresh in each `within` window for `per`", async () => {
    // Every second occurrence in the last 2 days: 5 and 2.5 days ago are never in one window;
    // 2.5 and 1 are, so the award is at 1 day ago (over the whole history it would be at 2.5).
    const s = scoring([{ event: "webinar.registered", points: 10, per: 2, withinMs: 2 * 86_400_000 }]);
    expect(await due(s, 10, [5, 2.5, 1].map((d) => ev("webinar.registered", d)))).toEqual([ago(NOW, 1)]);
  });

  it("can be reached when a negative award leaves its `within` window", async () => {
    // 15 - 10 = 5 from 2.5 days ago; the -10 lapses 2 days ago, a day after it was given: 15.
    const s = scoring([{ event: "webinar.registered", points: 15 }, { event: "task.overdue", points: -10, withinMs: 86_400_000 }]);
    expect(await due(s, 10, [ev("task.overdue", 3), ev("webinar.registered", 2.5)])).toEqual([ago(NOW, 2)]);
  });

  it("decays a `within` rule's awards and the other rules' total alike", async () => {
    // Half-life 1 day: 10 three days ago, then 10 at 2.5 and at 2 days ago from a `within` rule.
    // Two days ago: 10·2^-1 + 10·2^-0.5 + 10 = 22.07.
    const s = scoring([{ event: "webinar.registered", points: 10 }, { event: "page.viewed", points: 10, withinMs: 7 * 86_400_000 }],
      { decayHalfLifeMs: 86_400_000 });
    const events = [ev("webinar.registered", 3), ev("page.viewed", 2.5), ev("page.viewed", 2)];
    expect(await due(s, 22.07, events)).toEqual([ago(NOW, 2)]);
    expect(await due(s, 22.08, events)).toEqual([]);
  });

  it("first reaches the threshold where explain's score first does, over random histories", async () => {
    // A seeded history of awards with and without `within`, `per`, `max_points` and a
    // negative rule: the occurrence is the first instant the score can rise (an event, or one
    // leaving its window) at which explain's score as of that instant reaches the threshold.
    const rules = [
      { event: "webinar.registered", points: 10 },
      { event: "page.viewed", points: 5, per: 2, withinMs: 3 * 86_400_000 },
      { event: "task.overdue", points: -7, withinMs: 2 * 86_400_000 },
      { event: "project.created", points: 4, maxPoints: 10, withinMs: 4 * 86_400_000 },
    ];
    let seed = 7;
    const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    const threshold = 18;
    for (const decayHalfLifeMs of [undefined, 5 * 86_400_000, undefined, 3 * 86_400_000]) {
      const s = scoring(rules, decayHalfLifeMs ? { decayHalfLifeMs } : {});
      const events = Array.from({ length: 12 }, () => {
        const r = rules[Math.floor(random() * rules.length)]!;
        return { user_id: "ann", event: r.event, ts: new Date(NOW.getTime() - Math.round(random() * 15 * 1440) * 60_000).toISOString() };
      });
      const instants = [...new Set(events.flatMap((e) => {
        const at = Date.parse(e.ts);
        const within = rules.find((r) => r.event === e.event)!.withinMs;
        return within === undefined || at + within > NOW.getTime() ? [at] : [at, at + within];
      }))].sort((a, b) => a - b);
      const snap = await openData({ users: [ANN], events });
      const scoreAt = async (at: number) => (await explain(withScoring(s), snap, "ann", new Date(at))).score;
      const [reached] = await due(s, threshold, events, 365 * 86_400_000);
      const first = await (async () => {
        for (const at of instants) if (((await scoreAt(at)) ?? 0) >= threshold) return new Date(at).toISOString();
        return undefined;
      })();
      expect(reached).toBe(first);
    }
  });

  it("reaches each entry's own threshold when several entries compare the score", async () => {
    const snap = await openData({ users: [ANN], events: [ev("webinar.registered", 3)] });
    const campaigns = new Map([["low", { ...trigger(10), id: "low" }], ["high", { ...trigger(30), id: "high" }]]);
    const plan = await evaluate(withScoring(webinar, { campaigns }), snap, NOW);
    expect(plan.sends.map((x) => [x.campaign, x.occurrence])).toEqual([["low", ago(NOW, 3)]]);
  });

  it("assigns a tag whose rule starts on score_reached, at that instant", async () => {
    const snap = await openData({ users: [ANN], events: [ev("webinar.registered", 3), ev("webinar.registered", 2)] });
    const tags = new Map([["hot", { id: "hot", name: "hot", entry: { on: "score_reached" as const, threshold: 20 }, origin }]]);
    const e = await explain(withScoring(webinar, { tags }), snap, "ann", NOW);
    expect(e.tags).toEqual([{ tag: "hot", assignedAt: ago(NOW, 2).replace(".000Z", "Z") }]);
  });
});

describe("score bands in audiences", () => {
  it("sends a sequence whose audience is the hot band to hot users only", async () => {
    const bob = { ...ANN, user_id: "bob", email: "bob@example.com" };
    const snap = await openData({ users: [ANN, bob], events: [ev("webinar.registered", 1), ev("webinar.registered", 2)] });
    const seq: Campaign = {
      id: "welcome", kind: "sequence", name: "Welcome", entry: { on: "signup" }, audience: { kind: "score", band: "hot" },
      steps: [{ id: "hello", template: "welcome-1", waitMs: 0, origin }], reentry: { policy: "never" }, priority: 0, latenessMs: 365 * 86_400_000, origin,
    };
    const plan = await evaluate(withScoring(scoring([{ event: "webinar.registered", points: 25 }]), { campaigns: new Map([["welcome", seq]]) }), snap, NOW);
    expect(plan.sends.map((s) => s.userId)).toEqual(["ann"]);
    expect(plan.warnings).toEqual([]);
  });
});
