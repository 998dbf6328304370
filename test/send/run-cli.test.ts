import fs from "node:fs";
import path from "node:path";
import PostalMime from "postal-mime";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { nurture } from "../support/cli.ts";
import type { SentRecord } from "../../src/engine/ledger/types.ts";
import { verifyUnsubscribeToken } from "../../src/engine/index.ts";
import { startFakeResend, type FakeResend } from "../support/fake-resend.ts";
import { ANN, BOB, CAT, CONFIG_DIR, makeWorld, NOW, SECRET, type World } from "./_world.ts";

const ENV = ["RESEND_API_KEY", "RESEND_BASE_URL", "NURTURE_UNSUBSCRIBE_SECRET"] as const;
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
let server: FakeResend;
let world: World;
beforeAll(async () => {
  server = await startFakeResend({ rate: 1000 });
});
afterAll(async () => {
  await server.close();
  for (const k of ENV) if (saved[k] === undefined) delete process.env[k];
  else process.env[k] = saved[k];
});
beforeEach(() => {
  for (const k of ENV) delete process.env[k];
  server.reset();
  world = makeWorld();
});
afterEach(() => world.remove());

const run = (...extra: string[]) => nurture("run", "--config", CONFIG_DIR, "--data", world.dir, "--now", NOW, ...extra);
const useFakeResend = () => {
  process.env.RESEND_API_KEY = server.apiKey;
  process.env.RESEND_BASE_URL = server.url;
  process.env.NURTURE_UNSUBSCRIBE_SECRET = SECRET;
};

describe("nurture run --transport outbox (the default without RESEND_API_KEY)", () => {
  it("writes each email as .eml under data/outbox/<run>/ and records it in the ledger", async () => {
    const r = await run();
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/sent 2, failed 0, deferred 0, suppressed 1, skipped 0/);
    expect(r.out).toMatch(/welcome +sent 1/);
    expect(r.err).toContain("NURTURE_UNSUBSCRIBE_SECRET is not set");
    expect(r.out + r.err).not.toMatch(/example\.com|Ann|Bob/);

    const sent = world.ledger().filter((x): x is SentRecord => x.kind === "sent");
    expect(sent.map((s) => s.transport)).toEqual(["outbox", "outbox"]);
    const files = world.files("outbox").filter((f) => f.endsWith(".eml"));
    expect(files.sort()).toEqual(sent.map((s) => s.provider_id).sort());

    const mails = await Promise.all(files.map((f) => PostalMime.parse(fs.readFileSync(path.join(world.dir, "outbox", f)))));
    const toAnn = mails.find((m) => m.to?.[0]?.address === ANN.email)!;
    const toBob = mails.find((m) => m.to?.[0]?.address === BOB.email)!;
    expect(toAnn.subject).toBe("Welcome to Taskly, Ann");
    expect(toAnn.headers.find((h) => h.key === "list-unsubscribe-post")?.value).toBe("List-Unsubscribe=One-Click");
    expect(toAnn.headers.find((h) => h.key === "list-unsubscribe")?.value).toMatch(/^<https:\/\/taskly\.example\/api\/unsubscribe\?token=v1\./);
    expect(toAnn.text).toContain("Taskly Inc., 500 Market St");
    expect(toBob.headers.some((h) => h.key === "list-unsubscribe")).toBe(false);
    expect(toBob.headers.find((h) => h.key === "x-nurture-tags")?.value).toMatch(/type=service; key=[0-9a-f]{32}; user=bob/);
  });

  it("sends nothing new when run again", async () => {
    const first = await run();
    expect(first.out).toContain("recorded 1 new suppression(s) in the ledger");
    const again = await run();
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/sent 0,/);
    expect(again.out).not.toContain("suppression(s)");
    expect(world.files("outbox").filter((f) => f.endsWith(".eml"))).toHaveLength(2);
  });

  it("--dry-run prints what it would do and writes nothing", async () => {
    const r = await run("--dry-run");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/dry run: nothing sent, nothing written/);
    expect(r.out).toMatch(/would send 2, deferred 0, suppressed 1, skipped 0/);
    expect(r.out).toContain("would record 1 new suppression(s)");
    expect(fs.readdirSync(world.dir).sort()).toEqual(["snapshots"]);
    const json = JSON.parse((await run("--dry-run", "--json")).out);
    expect(json.wouldSend.map((w: { userId: string }) => w.userId).sort()).toEqual(["ann", "bob"]);
    // The development-token warning the text run prints is in the JSON's warnings.
    expect(json.warnings).toContainEqual(expect.stringContaining("NURTURE_UNSUBSCRIBE_SECRET is not set"));
    expect(fs.readdirSync(world.dir).sort()).toEqual(["snapshots"]);
  });

  it("reports set-aside snapshot rows like plan does", async () => {
    world.remove();
    world = makeWorld([ANN, { email: "nobody@example.com", created_at: NOW }], []);
    const r = await run();
    expect(r.err).toContain("set aside: 1 users row(s): missing user_id");
  });
});

describe("nurture run --transport resend", () => {
  it("sends through Resend with a signed unsubscribe link and prints JSON with --json", async () => {
    useFakeResend();
    const r = await run("--json");
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json).toMatchObject({ transport: "resend", summary: { sent: 2, failed: 0, suppressed: 1 }, failures: [] });
    expect(json.warnings).not.toContainEqual(expect.stringContaining("NURTURE_UNSUBSCRIBE_SECRET"));
    expect(server.delivered.map((d) => d.to[0]).sort()).toEqual([ANN.email, BOB.email]);
    const header = server.delivered.find((d) => d.to[0] === ANN.email)!.headers["List-Unsubscribe"]!;
    expect(verifyUnsubscribeToken(new URL(header.slice(1, -1)).searchParams.get("token")!, SECRET)).toBe("ann");
    expect(server.delivered.some((d) => d.to[0] === CAT.email)).toBe(false);
  });

  it("exits 1 and lists the failures when a send fails", async () => {
    useFakeResend();
    server.fault({ kind: "status", status: 422, name: "validation_error", message: "Invalid `from` field." });
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/sent 0, failed 2/);
    expect(r.out).toMatch(/failed {2}ann {2}welcome\/welcome {2}key [0-9a-f]{32}: validation_error \(422\): Invalid `from` field\./);
  });

  it("refuses to send without NURTURE_UNSUBSCRIBE_SECRET, naming it", async () => {
    useFakeResend();
    delete process.env.NURTURE_UNSUBSCRIBE_SECRET;
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/NURTURE_UNSUBSCRIBE_SECRET is not set/);
    expect(r.err).toMatch(/hint: set NURTURE_UNSUBSCRIBE_SECRET/);
    expect(server.requests).toEqual([]);
  });

  it("refuses --transport resend without RESEND_API_KEY", async () => {
    const r = await run("--transport", "resend");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/RESEND_API_KEY/);
    expect(r.err).toMatch(/--transport outbox/);
  });

  it.each([
    [["--transport", "pigeon"], /--transport must be "resend" or "outbox"/],
    [["--batch-size", "101"], /--batch-size must be a whole number from 1 to 100/],
  ])("exits 2 on a usage error (%j)", async (args, message) => {
    const r = await run(...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });
});

