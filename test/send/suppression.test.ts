/**
 * No marketing email ever reaches a suppressed user. A property test: seeded random
 * programmes (campaigns of random entries, steps, waits and message types) over random
 * users and events (unsubscribes, complaints, hard and soft bounces, some after `now`),
 * sent through a recording transport; the check recomputes suppression from the raw
 * events on its own. Plus the sender's own guard, which refuses marketing mail to a user
 * the plan holds as suppressed even when the plan (here: an odd config) would send it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { isMarketing, loadConfig, type Campaign, type Config, type MessageType, type Step } from "../../src/engine/index.ts";
import { decodeTagValue, runSends, type BatchRequest, type OutgoingEmail, type Transport } from "../../src/engine/send/index.ts";
import { seeded } from "../support/random.ts";
import { CONFIG_DIR, SECRET } from "./_world.ts";

const DAY = 86_400_000;
const NOW = Date.parse("2026-11-20T12:00:00Z");
const TRIALS = 40;

let base: Config;
beforeAll(async () => {
  base = await loadConfig(CONFIG_DIR);
});
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** Records what would have gone out. */
function recorder(): Transport & { emails: OutgoingEmail[] } {
  const emails: OutgoingEmail[] = [];
  return {
    name: "outbox",
    emails,
    async sendBatch(request: BatchRequest) {
      emails.push(...request.emails);
      return { results: request.emails.map((_, i) => ({ ok: true as const, providerId: `rec-${request.keys[i]}` })) };
    },
  };
}

function dataDir(users: object[], events: object[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-suppress-"));
  dirs.push(dir);
  for (const [table, rows] of [["users", users], ["events", events]] as const) {
    fs.mkdirSync(path.join(dir, "snapshots", table), { recursive: true });
    fs.writeFileSync(path.join(dir, "snapshots", table, `${table}.ndjson`), rows.map((r) => JSON.stringify(r)).join("\n"));
  }
  return dir;
}

const iso = (ms: number) => new Date(ms).toISOString();
const origin = { file: "sequences/random.json", pointer: "" };
const TEMPLATES = ["welcome-1", "welcome-2", "offer", "nudge", "test-a"];
const TYPES: (MessageType | undefined)[] = [undefined, undefined, "service", "promo", "trigger", "survey", "regular"];

/** One random world: users, events, campaigns. */
function randomWorld(seed: number) {
  const rng = seeded(seed);
  const users = Array.from({ length: rng.int(6, 16) }, (_, i) => ({
    user_id: `u${i}`,
    email: rng.chance(0.9) ? `u${i}@example.com` : "",
    created_at: iso(NOW - rng.int(0, 6 * 24) * 3_600_000),
    plan: rng.pick(["trial", "pro"]),
    timezone: rng.pick(["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"]),
  }));
  const events: { user_id: string; event: string; ts: string; properties?: object }[] = [];
  for (const u of users) {
    for (let n = rng.int(0, 3); n > 0; n--) events.push({ user_id: u.user_id, event: rng.pick(["task.created", "page.viewed"]), ts: iso(NOW - rng.int(0, 5 * DAY)) });
    if (rng.chance(0.45)) {
      const event = rng.pick(["unsubscribed", "email.complained", "email.bounced", "email.bounced"]);
      const properties = event === "email.bounced" ? { bounce_type: rng.pick(["permanent", "transient", "hard"]) } : undefined;
      // Some land after `now`: they must not count yet.
      events.push({ user_id: u.user_id, event, ts: iso(NOW - rng.int(-DAY, 5 * DAY)), ...(properties ? { properties } : {}) });
    }
  }
  const campaigns: Campaign[] = Array.from({ length: rng.int(1, 4) }, (_, c) => {
    const steps: Step[] = Array.from({ length: rng.int(1, 3) }, (_, s) => {
      const type = rng.pick(TYPES);
      return {
        id: `s${s}`, template: rng.pick(TEMPLATES), waitMs: rng.int(0, 2) * DAY / 2, origin,
        ...(s > 0 ? { after: `s${s - 1}` } : {}), ...(type ? { type } : {}),
      };
    });
    return {
      id: `c${c}`, kind: "sequence", name: `c${c}`, steps, origin, priority: rng.int(0, 5), latenessMs: rng.int(1, 4) * DAY,
      entry: rng.chance(0.6) ? { on: "signup" } : { on: "event", event: "task.created" },
      reentry: rng.chance(0.5) ? { policy: "never" } : { policy: "always" },
    };
  });
  return { users, events, campaigns };
}

/** Users suppressed for marketing as of `at`, from the raw events (settings: unsubscribed, complained, bounced). */
function suppressedAt(events: ReturnType<typeof randomWorld>["events"], at: number): Set<string> {
  return new Set(events.filter((e) => Date.parse(e.ts) <= at && (e.event === "unsubscribed" || e.event === "email.complained"
    || (e.event === "email.bounced" && !["transient", "soft"].includes(String((e.properties as { bounce_type?: string })?.bounce_type)))))
    .map((e) => e.user_id));
}

describe("suppression", () => {
  it(`no marketing email reaches a suppressed user (${TRIALS} random programmes)`, async () => {
    let marketingSent = 0;
    let suppressedUsers = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const world = randomWorld(1000 + trial);
      const config: Config = { ...base, settings: { ...base.settings, caps: [] }, campaigns: new Map(world.campaigns.map((c) => [c.id, c])) };
      const dir = dataDir(world.users, world.events);
      // Two runs half a day apart over the same ledger, so later steps and chained sends come due too.
      for (const at of [NOW, NOW + DAY / 2]) {
        const transport = recorder();
        await runSends({ config, dataDir: dir, now: new Date(at), clock: () => new Date(at), transport, secret: SECRET });
        const suppressed = suppressedAt(world.events, at);
        suppressedUsers += suppressed.size;
        for (const email of transport.emails) {
          const tags = Object.fromEntries(email.tags.map((t) => [t.name, t.value]));
          if (!isMarketing(tags.type as MessageType)) continue;
          marketingSent++;
          expect(suppressed.has(decodeTagValue(tags.user!)), `trial ${trial}: ${tags.type} email ${tags.campaign}/${tags.step} to suppressed ${tags.user}`).toBe(false);
        }
      }
    }
    // The generator must exercise both sides of the property.
    expect(marketingSent).toBeGreaterThan(TRIALS);
    expect(suppressedUsers).toBeGreaterThan(TRIALS);
  }, 300_000);

  it("the sender refuses marketing mail to a user the plan holds as suppressed, even when the plan would send it", async () => {
    // An odd config: complaints stop service mail but not marketing. The plan then holds the
    // user's service email as suppressed yet admits the marketing one; the sender refuses it.
    const steps = (type: MessageType): Step[] => [{ id: "hello", template: "welcome-1", waitMs: 0, type, origin }];
    const campaign = (id: string, type: MessageType): Campaign => ({
      id, kind: "sequence", name: id, entry: { on: "signup" }, steps: steps(type), reentry: { policy: "never" }, priority: 0, latenessMs: DAY, origin,
    });
    const config: Config = {
      ...base,
      settings: { ...base.settings, suppression: { marketing: [], service: ["complained"] } },
      campaigns: new Map([["news", campaign("news", "promo")], ["account", campaign("account", "service")]]),
    };
    const users = [{ user_id: "ann", email: "ann@example.com", created_at: iso(NOW - 3_600_000), timezone: "Europe/Berlin" }];
    const events = [{ user_id: "ann", event: "email.complained", ts: iso(NOW - 1_800_000) }];
    const transport = recorder();
    const report = await runSends({ config, dataDir: dataDir(users, events), now: new Date(NOW), transport, secret: SECRET });
    expect(report.plan.sends.map((s) => s.campaign)).toEqual(["news"]);
    expect(report.refused.map((s) => [s.userId, s.campaign])).toEqual([["ann", "news"]]);
    expect(report.warnings.join("\n")).toMatch(/refused 1 marketing email/);
    expect(transport.emails).toEqual([]);
  });
});
