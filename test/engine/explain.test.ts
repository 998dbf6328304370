import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nurture } from "../support/cli.ts";
import { evaluate } from "../../src/engine/evaluate/evaluate.ts";
import { explain } from "../../src/engine/explain/explain.ts";
import { loadConfig, messageKey, openSnapshot, type Config } from "../../src/engine/index.ts";

const CONFIG = "test/fixtures/config/valid";
// Berlin is UTC+1 in November; the send window is 09:00–18:00 local.
const NOW = "2026-11-19T10:00:00Z";
const users = [
  // Signed up two days ago; the first welcome email went out yesterday at 10:00 local.
  { user_id: "ann", email: "ann@example.com", first_name: "Ann", created_at: "2026-11-17T08:30:00Z", plan: "trial", timezone: "Europe/Berlin" },
  // A paying customer: not in the welcome audience (trial users only).
  { user_id: "bob", email: "bob@example.com", first_name: "Bob", created_at: "2026-11-17T08:30:00Z", plan: "pro", timezone: "Europe/Berlin" },
  // Just signed up: the first step is due now, but there is no address.
  { user_id: "cy", email: "", first_name: "Cy", created_at: "2026-11-19T09:30:00Z", plan: "trial", timezone: "Europe/Berlin" },
  // Unsubscribed: the welcome series exits.
  { user_id: "dee", email: "dee@example.com", first_name: "Dee", created_at: "2026-11-19T09:00:00Z", plan: "trial", timezone: "Europe/Berlin" },
  // As Ann, but she bought (the welcome series' goal) after the first email.
  { user_id: "eve", email: "eve@example.com", first_name: "Eve", created_at: "2026-11-17T08:30:00Z", plan: "trial", timezone: "Europe/Berlin" },
  // As Ann, but she unsubscribed (the welcome series' exit) after the first email.
  { user_id: "fay", email: "fay@example.com", first_name: "Fay", created_at: "2026-11-17T08:30:00Z", plan: "trial", timezone: "Europe/Berlin" },
  // A paying customer whose name holds a line break and a terminal escape (a quoted CSV field may).
  { user_id: "gil", email: "gil@example.com", first_name: "Gil\nBert\u001b[2J", created_at: "2026-11-17T08:30:00Z", plan: "pro", timezone: "Europe/Berlin" },
];
const events = [
  { user_id: "ann", event: "task.created", ts: "2026-11-17T09:00:00Z", event_id: "e1" },
  { user_id: "dee", event: "unsubscribed", ts: "2026-11-19T09:10:00Z", event_id: "e2" },
  { user_id: "eve", event: "subscription.purchased", ts: "2026-11-18T11:00:00Z", event_id: "e3" },
  { user_id: "fay", event: "unsubscribed", ts: "2026-11-18T11:00:00Z", event_id: "e4" },
];
const annWelcomeKey = messageKey("ann", "welcome", "welcome", "2026-11-17T08:30:00.000Z");
const welcomeSent = (user: string) => {
  const key = messageKey(user, "welcome", "welcome", "2026-11-17T08:30:00.000Z");
  return [
    { kind: "intent", at: "2026-11-18T09:00:00Z", run: "r1", key, user_id: user, campaign: "welcome", step: "welcome",
      template: "welcome-1", type: "regular", occurrence: "2026-11-17T08:30:00.000Z", due: "2026-11-17T08:30:00Z", batch: "b1" },
    { kind: "sent", at: "2026-11-18T09:00:00Z", run: "r1", key, provider_id: `p-${user}`, transport: "outbox" },
  ];
};
const ledger = ["ann", "eve", "fay"].flatMap(welcomeSent);

let data: string;
let config: Config;
beforeAll(async () => {
  data = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-explain-"));
  const write = (file: string, rows: object[]) => {
    fs.mkdirSync(path.dirname(path.join(data, file)), { recursive: true });
    fs.writeFileSync(path.join(data, file), rows.map((r) => JSON.stringify(r)).join("\n"));
  };
  write("snapshots/users/u.ndjson", [...users, { user_id: "", email: "x@example.com", created_at: "2026-11-17T00:00:00Z" }]);
  write("snapshots/events/e.ndjson", events);
  write("ledger/20261118T090000Z-r1.ndjson", ledger);
  config = await loadConfig(CONFIG);
});
afterAll(() => fs.rmSync(data, { recursive: true, force: true }));

async function explainUser(userId: string, now = NOW) {
  const snapshot = await openSnapshot(data);
  try {
    return await explain(config, snapshot, userId, new Date(now));
  } finally {
    snapshot.close();
  }
}
const byId = (e: Awaited<ReturnType<typeof explainUser>>, id: string) => e.campaigns.find((c) => c.id === id)!;

describe("explain", () => {
  it("agrees with the plan on every user's due and held rows", async () => {
    const snapshot = await openSnapshot(data);
    try {
      const plan = await evaluate(config, snapshot, new Date(NOW));
      for (const u of users) {
        const e = await explain(config, snapshot, u.user_id, new Date(NOW));
        const keys = (rows: { key: string }[]) => rows.map((r) => r.key).sort();
        expect(keys(e.campaigns.flatMap((c) => c.sends))).toEqual(keys(plan.sends.filter((s) => s.userId === u.user_id)));
        expect(keys(e.campaigns.flatMap((c) => c.held))).toEqual(keys(plan.held.filter((h) => h.userId === u.user_id)));
      }
      expect(plan.sends.length + plan.held.length).toBeGreaterThan(0);
    } finally {
      snapshot.close();
    }
  });

  it("shows a step due now with the history of what was sent before it", async () => {
    const welcome = byId(await explainUser("ann"), "welcome");
    expect(welcome.verdict).toBe("sends_now");
    expect(welcome.sends.map((s) => s.step)).toEqual(["first-project"]);
    expect(welcome.history).toEqual([{ step: "welcome", kind: "sent", at: "2026-11-18T09:00:00.000Z", occurrence: "2026-11-17T08:30:00.000Z" }]);
  });

  it("says when the next step will be due", async () => {
    // Before first-project's moment (1d after the welcome email, inside the window).
    const welcome = byId(await explainUser("ann", "2026-11-18T12:00:00Z"), "welcome");
    expect(welcome.verdict).toBe("waiting");
    expect(welcome.upcoming[0]).toMatchObject({ step: "first-project", due: "2026-11-19T09:00:00.000Z" });
    expect(welcome.summary).toContain('next: step "first-project" due 2026-11-19T09:00:00.000Z');
  });

  it("says a sequence ended by its goal or exit has ended, not that its next step is waiting", async () => {
    // At 12:00Z on the 18th, first-project is still to come (09:00 local on the 19th).
    const eve = byId(await explainUser("eve", "2026-11-18T12:00:00Z"), "welcome");
    expect(eve).toMatchObject({ verdict: "ended", endedBy: "goal", upcoming: [] });
    expect(eve.summary).toContain('goal "subscription.purchased" was reached');
    const fay = byId(await explainUser("fay", "2026-11-18T12:00:00Z"), "welcome");
    expect(fay).toMatchObject({ verdict: "ended", endedBy: "exit", upcoming: [] });
    expect(fay.summary).toContain("exit condition (sequences/welcome.json /exit) holds, so the next step is skipped, and the occurrence ended, if it still holds when that step is due");
    // When the step's moment comes, the plan holds it for the same reason.
    expect(byId(await explainUser("eve"), "welcome").held).toMatchObject([{ step: "first-project", status: "goal_reached" }]);
    expect(byId(await explainUser("fay"), "welcome").held).toMatchObject([{ step: "first-project", status: "exited" }]);
  });

  it("says the audience did not match when the user entered but is outside it", async () => {
    const welcome = byId(await explainUser("bob"), "welcome");
    expect(welcome.verdict).toBe("not_in_audience");
    expect(welcome.entered).toHaveLength(1);
    expect(welcome.audienceMatches).toBe(false);
    expect(welcome.summary).toContain("sequences/welcome.json /audience");
  });

  it("says the entry never happened", async () => {
    const licence = byId(await explainUser("ann"), "license-expiring");
    expect(licence.verdict).toBe("not_entered");
    expect(licence.summary).toContain('the users table has no column "license_expires_at"');
  });

  it("shows what is held back and why, as the plan does", async () => {
    expect(byId(await explainUser("cy"), "welcome")).toMatchObject({ verdict: "held", held: [{ step: "welcome", status: "no_email" }] });
    const dee = await explainUser("dee");
    expect(dee.suppressed).toEqual(["unsubscribed"]);
    expect(byId(dee, "welcome").held[0]).toMatchObject({ status: "exited" });
  });

  it("reports the rows of the snapshot set aside while loading, as the plan counts them", async () => {
    expect((await explainUser("ann")).badRows).toEqual([{ table: "users", reason: "missing user_id", count: 1 }]);
  });

  it("reports attributes, score, level and tags of the user", async () => {
    const ann = await explainUser("ann");
    expect(ann.attributes).toMatchObject({ plan: "trial", timezone: "Europe/Berlin" });
    expect(ann.suppressed).toEqual([]);
    expect(Array.isArray(ann.tags)).toBe(true);
  });
});

describe("nurture explain", () => {
  it("prints the user's facts and one line per campaign, due ones first", async () => {
    const r = await nurture("explain", "--user", "ann", "--config", CONFIG, "--data", data, "--now", NOW);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^user ann as of 2026-11-19T10:00:00.000Z/);
    const lines = r.out.split("\n").filter((l) => /^ {2}\S.* {2}(sequence|trigger) "/.test(l));
    expect(lines[0]).toMatch(/sends now\s+sequence "welcome"\s+due now: step "first-project"/);
    expect(r.out).toMatch(/2026-11-18T09:00:00.000Z\s+sent\s+step "welcome"/);
  });

  it("prints a value holding a line break or a control character on its one line, escaped", async () => {
    const r = await nurture("explain", "--user", "gil", "--config", CONFIG, "--data", data, "--now", NOW);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ {2}first_name +"Gil\\nBert\\u001b\[2J"$/m);
    expect(r.out).not.toContain("\u001b");
    expect(r.out.split("\n")).not.toContain("Bert");
  });

  it("gives JSON with --json and narrows to one campaign with --campaign", async () => {
    const r = await nurture("explain", "--user", "ann", "--campaign", "welcome", "--json", "--config", CONFIG, "--data", data, "--now", NOW);
    expect(r.code).toBe(0);
    const e = JSON.parse(r.out);
    expect(e.campaigns.map((c: { id: string }) => c.id)).toEqual(["welcome"]);
  });

  it("reports the rows set aside, with where they are, under their count", async () => {
    const r = await nurture("explain", "--user", "ann", "--config", CONFIG, "--data", data, "--now", NOW);
    expect(r.err).toContain('set aside: 1 users row(s): missing user_id\n    snapshots/users/u.ndjson: {"user_id":"","email":"x@example.com"');
  });

  it("gives the rows set aside, with examples, in the JSON", async () => {
    const r = await nurture("explain", "--user", "ann", "--json", "--config", CONFIG, "--data", data, "--now", NOW);
    expect(JSON.parse(r.out).badRows).toEqual([{
      table: "users", reason: "missing user_id", count: 1,
      examples: [{ file: "snapshots/users/u.ndjson", text: '{"user_id":"","email":"x@example.com","created_at":"2026-11-17T00:00:00Z"}' }],
    }]);
  });

  it("names an unknown user and says how to fix it, without a stack trace", async () => {
    const r = await nurture("explain", "--user", "nobody", "--config", CONFIG, "--data", data, "--now", NOW);
    expect(r.code).toBe(1);
    expect(r.err).toContain('no user "nobody" in the snapshot');
    expect(r.err).toMatch(/case-sensitive/);
    expect(r.err).not.toMatch(/at .*\.ts:\d+/);
  });

  it("is a usage error without --user or with an unknown --campaign", async () => {
    expect((await nurture("explain", "--config", CONFIG, "--data", data)).code).toBe(2);
    const r = await nurture("explain", "--user", "ann", "--campaign", "nope", "--config", CONFIG, "--data", data);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/known: .*welcome/);
    expect((await nurture("explain", "--user", "ann", "--campaign", "", "--config", CONFIG, "--data", data)).code).toBe(2);
  });
});
