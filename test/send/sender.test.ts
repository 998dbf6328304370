import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { explain, loadConfig, openSnapshot, type Config } from "../../src/engine/index.ts";
import type { BatchRecord, FailedRecord, IntentRecord, LedgerRecord, SentRecord } from "../../src/engine/ledger/types.ts";
import {
  decodeTagValue, resendTransport, runSends, verifyUnsubscribeToken, type ResendTransportOptions, type SendReport,
} from "../../src/engine/send/index.ts";
import { startFakeResend, type FakeResend } from "../support/fake-resend.ts";
import { ANN, BOB, CAT, CONFIG_DIR, makeWorld, NOW, SECRET, type World } from "./_world.ts";

let config: Config;
let server: FakeResend;
let world: World;
beforeAll(async () => {
  config = await loadConfig(CONFIG_DIR);
  server = await startFakeResend({ rate: 1000 });
});
afterAll(() => server.close());
beforeEach(() => {
  server.reset();
  server.rate = 1000;
  world = makeWorld();
});
afterEach(() => world.remove());

const transport = (extra: Partial<ResendTransportOptions> = {}) =>
  resendTransport({ apiKey: server.apiKey, baseUrl: server.url, backoff: { baseMs: 1, capMs: 5 }, initialRate: 1000, ...extra });

const send = (extra: Partial<Parameters<typeof runSends>[0]> = {}): Promise<SendReport> =>
  runSends({ config, dataDir: world.dir, now: new Date(NOW), clock: () => new Date(NOW), transport: transport(), secret: SECRET, ...extra });

const kinds = (records: LedgerRecord[]) => records.map((r) => r.kind);

describe("runSends through the resend SDK", () => {
  it("sends what is due, exactly the bytes the ledger's batch record hashes, with tags and the idempotency key", async () => {
    const report = await send();
    expect(report.outcomes.map((o) => [o.userId, o.status]).sort()).toEqual([["ann", "sent"], ["bob", "sent"]]);
    expect(server.delivered.map((d) => d.to[0]).sort()).toEqual([ANN.email, BOB.email]);

    const records = world.ledger();
    // The occurrences the run entered, and Cat's complaint, are recorded before anything is
    // sent, so they outlive a run killed mid-send and the event in the snapshot.
    expect(kinds(records)).toEqual(["entered", "entered", "entered", "suppressed", "intent", "intent", "batch", "sent", "sent"]);
    expect(records.filter((r) => r.kind === "entered").map((r) => ("user_id" in r ? r.user_id : "")).sort()).toEqual(["ann", "bob", "cat"]);
    expect(records[3]).toMatchObject({ kind: "suppressed", user_id: "cat", reason: "complained", since: "2026-11-20T03:00:00.000Z" });
    const batch = records.find((r): r is BatchRecord => r.kind === "batch")!;
    const request = server.requests.find((r) => r.path === "/emails/batch")!;
    expect(request.idempotencyKey).toBe(batch.idempotency_key);
    expect(request.bodySha256).toBe(batch.payload_sha256);
    const sent = records.filter((r): r is SentRecord => r.kind === "sent");
    expect(sent.map((s) => s.provider_id).sort()).toEqual(server.delivered.map((d) => d.id).sort());
    expect(sent.every((s) => s.transport === "resend" && s.batch === batch.batch)).toBe(true);

    const toAnn = server.delivered.find((d) => d.to[0] === ANN.email)!;
    const intent = records.find((r): r is IntentRecord => r.kind === "intent" && r.user_id === "ann")!;
    expect(toAnn.tags).toEqual({ campaign: "welcome", step: "welcome", type: "regular", key: intent.key, user: "ann" });
    expect(toAnn.idempotencyKey).toBe(batch.idempotency_key);
    // The ledger holds no address or name.
    expect(JSON.stringify(records)).not.toMatch(/example\.com|Ann|Bob/);
  });

  it("puts one-click unsubscribe headers and a signed link on marketing mail only", async () => {
    await send();
    const marketing = server.delivered.find((d) => d.tags.type === "regular")!;
    const service = server.delivered.find((d) => d.tags.type === "service")!;
    expect(marketing.headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
    const url = /^<(https:\/\/taskly\.example\/api\/unsubscribe\?token=[^>]+)>$/.exec(marketing.headers["List-Unsubscribe"]!)![1]!;
    expect(verifyUnsubscribeToken(new URL(url).searchParams.get("token")!, SECRET)).toBe("ann");
    expect(marketing.html).toContain(url.replaceAll("&", "&amp;"));
    expect(marketing.text).toContain("Taskly Inc., 500 Market St");
    expect(service.headers).toEqual({});
    expect(service.text).toContain("service email");
  });

  it("never sends to the user held as suppressed", async () => {
    const report = await send();
    expect(server.delivered.some((d) => d.to[0] === CAT.email)).toBe(false);
    expect(report.plan.held.map((h) => [h.userId, h.status])).toEqual([["cat", "suppressed"]]);
  });

  it("sends nothing new on a rerun", async () => {
    await send();
    const again = await send();
    expect(again.outcomes).toEqual([]);
    expect(server.delivered).toHaveLength(2);
    expect(server.requests).toHaveLength(1);
  });

  it("sends nothing new on a rerun at the same past --now whose records the wall clock stamped later", async () => {
    // The plan as of NOW reads no record stamped after it; the run still sends no key twice.
    await send({ clock: () => new Date() });
    const again = await send({ clock: () => new Date() });
    expect(again.outcomes).toEqual([]);
    expect(again.warnings).toContain(`2 planned key(s) the ledger records as sent or skipped after ${new Date(NOW).toISOString()} were not sent again`);
    expect(server.delivered).toHaveLength(2);
  });

  it("encodes a user id that does not fit Resend's tag alphabet, reversibly", async () => {
    world.remove();
    world = makeWorld([{ ...ANN, user_id: "änn@example.com/1" }], []);
    await send();
    expect(decodeTagValue(server.delivered[0]!.tags.user!)).toBe("änn@example.com/1");
  });

  it("splits into batches of the given size and keeps to the rate limit the server reports", async () => {
    world.remove();
    world = makeWorld(Array.from({ length: 7 }, (_, i) => ({ ...ANN, user_id: `u${i}`, email: `u${i}@example.com` })), []);
    server.rate = 5;
    const report = await send({ batchSize: 3, transport: transport({ initialRate: 2 }) });
    expect(report.outcomes.filter((o) => o.status === "sent")).toHaveLength(7);
    expect(server.requests.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(kinds(world.ledger()).filter((k) => k === "batch")).toHaveLength(3);
  });

  it("honours 429: waits for retry-after and sends the same request again", async () => {
    server.rate = 1;
    await fetch(`${server.url}/emails`, { method: "POST", headers: { authorization: `Bearer ${server.apiKey}` }, body: "{}" });
    const report = await send();
    expect(server.requests.slice(1).map((r) => r.status)).toEqual([429, 200]);
    expect(server.requests[1]!.idempotencyKey).toBe(server.requests[2]!.idempotencyKey);
    expect(report.outcomes.every((o) => o.status === "sent")).toBe(true);
  });

  it("retries a 500 with the same idempotency key and payload", async () => {
    server.fault({ kind: "status", status: 500, name: "internal_server_error" }, { kind: "status", status: 503, name: "application_error" });
    const report = await send();
    expect(server.requests.map((r) => r.status)).toEqual([500, 503, 200]);
    expect(new Set(server.requests.map((r) => `${r.idempotencyKey} ${r.bodySha256}`)).size).toBe(1);
    expect(report.outcomes.every((o) => o.status === "sent")).toBe(true);
    expect(server.delivered).toHaveLength(2);
  });

  it("does not retry a 422: records failed, not retryable, and the run reports it", async () => {
    server.fault({ kind: "status", status: 422, name: "validation_error", message: "Invalid `from` field." });
    const report = await send();
    expect(server.requests).toHaveLength(1);
    const failed = world.ledger().filter((r) => r.kind === "failed");
    expect(failed).toHaveLength(2);
    expect(failed.every((f) => f.kind === "failed" && f.retryable === false && f.error.includes("validation_error"))).toBe(true);
    expect(report.outcomes.every((o) => o.status === "failed")).toBe(true);
    // Nothing was delivered, so the next run tries again under a new batch.
    const rerun = await send();
    expect(rerun.outcomes.map((o) => o.status)).toEqual(["sent", "sent"]);
  });

  it("records an email that cannot be composed as failed, naming its user and step, and explain shows it", async () => {
    // A user id too long to carry as a Resend tag: the plan lists the send, composing refuses it.
    const long = { ...ANN, user_id: `ann-${"x".repeat(300)}` };
    world.remove();
    world = makeWorld([long, BOB]);
    const report = await send();
    expect(report.outcomes.map((o) => [o.userId === long.user_id ? "long" : o.userId, o.status]).sort()).toEqual([["bob", "sent"], ["long", "failed"]]);
    const failed = world.ledger().filter((r): r is FailedRecord => r.kind === "failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ user_id: long.user_id, campaign: "welcome", step: "welcome", retryable: false });
    expect(failed[0]!.error).toContain("too long to carry as a Resend tag");
    // No intent names the key, so the failure record alone tells explain what it was for.
    expect(world.ledger().some((r) => r.kind === "intent" && r.user_id === long.user_id)).toBe(false);

    const snapshot = await openSnapshot(world.dir);
    try {
      const why = await explain(config, snapshot, long.user_id, new Date(NOW));
      const welcome = why.campaigns.find((c) => c.id === "welcome")!;
      expect(welcome.history).toEqual([expect.objectContaining({ step: "welcome", kind: "failed", detail: failed[0]!.error })]);
    } finally {
      snapshot.close();
    }
  });

  it("survives a connection dropped after delivery: the retry gets the stored answer, one delivery each", async () => {
    server.fault({ kind: "drop", when: "after-delivery" });
    const report = await send();
    expect(server.requests.map((r) => r.status)).toEqual(["dropped", 200]);
    expect(server.delivered).toHaveLength(2);
    expect(report.outcomes.every((o) => o.status === "sent")).toBe(true);
  });

  it("retries a request that hangs past the timeout", async () => {
    server.fault({ kind: "hang" });
    const report = await send({ transport: transport({ timeoutMs: 300 }) });
    expect(server.requests.map((r) => r.status)).toEqual(["hung", 200]);
    expect(report.outcomes.every((o) => o.status === "sent")).toBe(true);
  });

  it("leaves a batch whose outcome is unknown open, and the next run replays it with the same key and bytes", async () => {
    server.fault({ kind: "drop", when: "after-delivery" });
    const first = await send({ transport: transport({ maxAttempts: 1 }) });
    expect(first.outcomes.map((o) => [o.status, o.retryable])).toEqual([["failed", true], ["failed", true]]);
    expect(server.delivered).toHaveLength(2);
    expect(world.files("spool").filter((f) => f.endsWith(".json"))).toHaveLength(1);

    const second = await send();
    expect(second.replayedBatches).toHaveLength(1);
    expect(second.outcomes.map((o) => [o.status, o.replayed])).toEqual([["sent", true], ["sent", true]]);
    expect(server.requests[1]!.idempotencyKey).toBe(server.requests[0]!.idempotencyKey);
    expect(server.requests[1]!.bodySha256).toBe(server.requests[0]!.bodySha256);
    expect(server.delivered).toHaveLength(2);
    expect(world.files("spool").filter((f) => f.endsWith(".json"))).toEqual([]);
  });

  it("after a run killed while writing its outcomes (a torn last ledger line), replays the batch and delivers nothing twice", async () => {
    await send();
    const [file] = world.files("ledger").map((f) => path.join(world.dir, "ledger", f));
    const text = fs.readFileSync(file!, "utf8");
    fs.writeFileSync(file!, text.slice(0, text.lastIndexOf("{") + 30)); // the second `sent` line cut short

    const second = await send();
    expect(second.plan.badRows).toEqual([{ table: "ledger", reason: "torn last line (its run stopped while writing it)", count: 1 }]);
    expect(second.warnings.join("\n")).toMatch(/ledger lines that are not records were ignored: .*\.ndjson:9/);
    expect(second.outcomes.map((o) => [o.status, o.replayed])).toEqual([["sent", true]]);
    expect(server.requests.map((r) => r.idempotencyKey)).toEqual([server.requests[0]!.idempotencyKey, server.requests[0]!.idempotencyKey]);
    expect(server.delivered).toHaveLength(2);
    expect((await send()).outcomes).toEqual([]);
  });

  it("rebuilds an unfinished batch whose spool is gone, when re-rendering gives the same bytes", async () => {
    server.fault({ kind: "drop", when: "after-delivery" });
    await send({ transport: transport({ maxAttempts: 1 }) });
    fs.rmSync(path.join(world.dir, "spool"), { recursive: true });
    const second = await send();
    expect(second.outcomes.map((o) => o.replayed)).toEqual([true, true]);
    expect(server.delivered).toHaveLength(2);
  });

  it("gives a batch left unfinished more than 23 hours ago a fresh idempotency key", async () => {
    server.fault({ kind: "status", status: 500, name: "internal_server_error" });
    await send({ transport: transport({ maxAttempts: 1 }) });
    const late = new Date(Date.parse(NOW) + 23.5 * 3_600_000);
    const lenient: Config = { ...config, campaigns: new Map([...config.campaigns].map(([id, c]) => [id, { ...c, latenessMs: 3 * 86_400_000 }])) };
    const second = await send({ config: lenient, now: late, clock: () => late });
    expect(second.warnings.join("\n")).toMatch(/more than 23 hours ago/);
    expect(second.replayedBatches).toEqual([]);
    expect(new Set(server.requests.map((r) => r.idempotencyKey)).size).toBe(2);
    expect(second.outcomes.map((o) => o.status)).toEqual(["sent", "sent"]);
  });

  it("stops at a refused API key, keeps the batch open, and says why", async () => {
    const report = await send({ transport: resendTransport({ apiKey: "re_wrong", baseUrl: server.url }) });
    expect(report.stopped).toMatch(/invalid_api_key/);
    expect(report.outcomes.every((o) => o.status === "failed" && o.retryable)).toBe(true);
    expect(server.delivered).toEqual([]);
  });

  it("records a step missed by more than the lateness as skipped, once", async () => {
    const late = new Date("2026-11-21T09:30:00Z");
    const first = await send({ now: late, clock: () => late });
    expect(first.skipped.map((s) => s.userId).sort()).toEqual(["ann", "bob", "cat"]);
    const skipped = world.ledger().filter((r) => r.kind === "skipped");
    expect(skipped).toHaveLength(3);
    expect(skipped.every((s) => s.kind === "skipped" && s.reason.startsWith("too_late"))).toBe(true);
    await send({ now: late, clock: () => late });
    expect(world.ledger().filter((r) => r.kind === "skipped")).toHaveLength(3);
    expect(server.delivered).toEqual([]);
  });

  it("holds the run lock: a second run in the same data directory refuses while one is active", async () => {
    fs.mkdirSync(path.join(world.dir, "spool"), { recursive: true });
    fs.writeFileSync(path.join(world.dir, "spool/.run.lock"), `${process.pid}\n`);
    await expect(send()).rejects.toThrow(/another nurture run/);
    // A lock left by a process that is gone is taken over.
    fs.writeFileSync(path.join(world.dir, "spool/.run.lock"), "999999999\n");
    expect((await send()).outcomes).toHaveLength(2);
  });
});
