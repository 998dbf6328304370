import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import PostalMime from "postal-mime";
import { describe, expect, it, vi } from "vitest";
import { openBatches, readLedger } from "../../src/engine/ledger/reader.ts";
import { openLedgerWriter } from "../../src/engine/ledger/writer.ts";
import type { LedgerRecord } from "../../src/engine/ledger/types.ts";
import { backoffMs, classify, Pacer, toEml, type Clock } from "../../src/engine/send/index.ts";

describe("what a failed request leads to", () => {
  it.each([
    [{ name: "rate_limit_exceeded", statusCode: 429 }, { "retry-after": "2" }, { action: "wait", ms: 2000 }],
    [{ name: "rate_limit_exceeded", statusCode: 429 }, null, { action: "wait", ms: 1000 }],
    [{ name: "application_error", statusCode: null }, null, { action: "retry" }],
    [{ name: "internal_server_error", statusCode: 500 }, null, { action: "retry" }],
    [{ name: "concurrent_idempotent_requests", statusCode: 409 }, null, { action: "retry" }],
    [{ name: "validation_error", statusCode: 422 }, null, { action: "fail", retryable: false }],
    [{ name: "invalid_idempotent_request", statusCode: 409 }, null, { action: "fail", retryable: false }],
    [{ name: "invalid_api_key", statusCode: 403 }, null, { action: "stop" }],
    [{ name: "daily_quota_exceeded", statusCode: 429 }, null, { action: "stop" }],
  ])("%j → %j", (error, headers, verdict) => {
    expect(classify({ message: "m", ...error }, headers)).toMatchObject(verdict);
  });

  it("backs off exponentially with jitter, capped", () => {
    expect([0, 1, 2].map((n) => backoffMs(n, { baseMs: 100, random: () => 0 }))).toEqual([50, 100, 200]);
    expect(backoffMs(2, { baseMs: 100, random: () => 0.999 })).toBeCloseTo(400, -1);
    expect(backoffMs(30, { baseMs: 100, capMs: 1000, random: () => 1 })).toBe(1000);
  });
});

/** A clock that only moves when slept on. */
function fakeClock(): Clock & { slept: number[] } {
  let t = 0;
  const slept: number[] = [];
  return { slept, now: () => t, sleep: async (ms) => void (slept.push(ms), (t += ms)) };
}

describe("pacing", () => {
  it("spaces requests by the reported limit, with a small margin, and pauses after a 429", async () => {
    const clock = fakeClock();
    const pacer = new Pacer({ initialRate: 2, clock, margin: 0.02 });
    await pacer.acquire();
    await pacer.acquire();
    expect(clock.now()).toBe(510);
    pacer.observe({ "ratelimit-limit": "10" });
    await pacer.acquire();
    await pacer.acquire();
    expect(clock.now()).toBe(510 + 510 + 102);
    pacer.pause(3000);
    await pacer.acquire();
    expect(clock.now()).toBe(510 + 510 + 102 + 3000);
  });
});

describe("the ledger read back", () => {
  const batch = (id: string, keys: string[]): LedgerRecord => ({ kind: "batch", at: "2026-11-20T09:00:00.000Z", run: "r", batch: id, idempotency_key: `nurture/${id}`, keys, payload_sha256: "x" });
  const sent = (key: string, b: string): LedgerRecord => ({ kind: "sent", at: "t", run: "r", key, provider_id: "p", transport: "resend", batch: b });
  const failed = (key: string, b: string, retryable: boolean): LedgerRecord => ({ kind: "failed", at: "t", run: "r", key, error: "e", retryable, batch: b });

  it.each([
    ["no outcome yet", [batch("b1", ["k1", "k2"])], { b1: ["k1", "k2"] }],
    ["all sent", [batch("b1", ["k1", "k2"]), sent("k1", "b1"), sent("k2", "b1")], {}],
    ["a retryable failure may have reached the provider", [batch("b1", ["k1"]), failed("k1", "b1", true)], { b1: ["k1"] }],
    ["a validation failure is final", [batch("b1", ["k1"]), failed("k1", "b1", false)], {}],
    ["a key belongs to its newest batch", [batch("b1", ["k1", "k2"]), batch("b2", ["k1"])], { b1: ["k2"], b2: ["k1"] }],
    ["sent anywhere settles a key", [batch("b1", ["k1"]), batch("b2", ["k1"]), sent("k1", "b2")], {}],
  ] as const)("finds open batches: %s", (_, records, open) => {
    const found = Object.fromEntries(openBatches(records as unknown as LedgerRecord[]).map((b) => [b.record.batch, b.pending]));
    expect(found).toEqual(open);
  });

  it("skips a torn line and files older than `since`, and says which line", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-ledger-"));
    fs.writeFileSync(path.join(dir, "20261118T090000Z-old.ndjson"), `${JSON.stringify(sent("k0", "b0"))}\n`);
    fs.writeFileSync(path.join(dir, "20261120T090000Z-new.ndjson"), `${JSON.stringify(sent("k1", "b1"))}\n{"kind":"se`);
    const read = readLedger(dir, { since: new Date("2026-11-19T09:00:00Z") });
    expect(read.records.map((r) => r.kind === "sent" && r.key)).toEqual(["k1"]);
    expect(read.damaged).toEqual(["20261120T090000Z-new.ndjson:2"]);
    fs.rmSync(dir, { recursive: true });
  });

  it("writes every byte when the system writes only part, and stops after a failed write so a torn line stays last", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-ledger-"));
    const writer = openLedgerWriter(dir, new Date("2026-11-20T09:00:00Z"), "r");
    const real = fs.writeSync;
    try {
      // Short writes: at most 7 bytes per call.
      const short = vi.spyOn(fs, "writeSync").mockImplementation(((fd: number, buffer: NodeJS.ArrayBufferView, offset: number, length: number) =>
        real(fd, buffer, offset, Math.min(7, length))) as typeof fs.writeSync);
      writer.append([sent("k1", "b1"), sent("k2", "b1")]);
      expect(short.mock.calls.length).toBeGreaterThan(2);
      // A full disk after 10 bytes of the next line.
      short.mockImplementation(((fd: number, buffer: NodeJS.ArrayBufferView, offset: number): number => {
        real(fd, buffer, offset, 10);
        throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
      }) as typeof fs.writeSync);
      expect(() => writer.append([sent("k3", "b1")])).toThrow(/ENOSPC/);
      short.mockRestore();
      expect(() => writer.append([sent("k4", "b1")])).toThrow(/cannot be appended to after a failed write/);
    } finally {
      vi.restoreAllMocks();
      writer.close();
    }
    const read = readLedger(dir);
    expect(read.records.map((r) => r.kind === "sent" && r.key)).toEqual(["k1", "k2"]);
    expect(read.damaged).toEqual([`${path.basename(writer.file)}:3`]);
    fs.rmSync(dir, { recursive: true });
  });
});

describe("the outbox's .eml", () => {
  it("opens in a mail parser with encoded non-ASCII headers, both parts and the tags", async () => {
    const eml = toEml({
      from: "Tåskly <hello@mail.taskly.example>", to: ["zoe@example.com"], subject: "Grüße, Zoë ✓", html: "<p>Hallo</p>", text: "Hallo",
      headers: { "List-Unsubscribe": "<https://taskly.example/u?token=t>" }, tags: [{ name: "key", value: "k1" }],
    }, { key: "k1", date: "2026-11-20T09:00:00.000Z" });
    expect(eml).toMatch(/^[\x00-\x7f]*$/);
    const mail = await PostalMime.parse(eml);
    expect(mail.subject).toBe("Grüße, Zoë ✓");
    expect(mail.from).toMatchObject({ name: "Tåskly", address: "hello@mail.taskly.example" });
    expect([mail.text?.trim(), mail.html]).toEqual(["Hallo", "<p>Hallo</p>"]);
    expect(mail.messageId).toBe("<k1@nurture.invalid>");
    expect(mail.headers.find((h) => h.key === "x-nurture-tags")?.value).toBe("key=k1");
  });
});
