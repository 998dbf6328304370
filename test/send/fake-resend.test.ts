import { Resend } from "resend";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeResend, type FakeResend } from "../support/fake-resend.ts";

// The fake must behave like the documented API where the sender depends on it; these
// tests hold it to that, through the real SDK where the SDK can express the request.
let server: FakeResend;
let resend: Resend;
beforeAll(async () => {
  server = await startFakeResend({ rate: 1000 });
  resend = new Resend(server.apiKey, { baseUrl: server.url });
});
afterAll(() => server.close());
beforeEach(() => {
  server.reset();
  server.rate = 1000;
});

const email = (to = "ann@example.com", extra: Record<string, unknown> = {}) => ({
  from: "Taskly <hello@mail.taskly.example>", to: [to], subject: "Hi", html: "<p>Hi</p>", text: "Hi",
  tags: [{ name: "key", value: "k1" }], ...extra,
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.apiKey}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

describe("fake Resend server", () => {
  it("delivers a batch through the SDK and records tags as an object map", async () => {
    const r = await resend.batch.send([email(), email("bob@example.com")]);
    expect(r.error).toBeNull();
    expect(r.data?.data).toHaveLength(2);
    expect(server.delivered.map((d) => [d.to[0], d.tags.key])).toEqual([["ann@example.com", "k1"], ["bob@example.com", "k1"]]);
    expect(r.headers?.["ratelimit-limit"]).toBe("1000");
  });

  it("requires the API key: 401 without, 403 with a wrong one", async () => {
    expect((await fetch(`${server.url}/emails`, { method: "POST", body: "{}" })).status).toBe(401);
    const wrong = await new Resend("re_wrong", { baseUrl: server.url }).emails.send(email());
    expect(wrong.error).toMatchObject({ statusCode: 403, name: "invalid_api_key" });
  });

  it("rejects a batch of more than 100 emails with 422 validation_error", async () => {
    const r = await resend.batch.send(Array.from({ length: 101 }, () => email()));
    expect(r.error).toMatchObject({ statusCode: 422, name: "validation_error" });
    expect(server.delivered).toEqual([]);
  });

  it("rejects the whole batch in strict mode, and only the bad emails in permissive mode", async () => {
    const bad = [email(), email("not-an-address"), email("cat@example.com", { tags: [{ name: "user", value: "cat@example.com" }] })];
    const strict = await resend.batch.send(bad);
    expect(strict.error).toMatchObject({ statusCode: 422, name: "validation_error" });
    expect(server.delivered).toEqual([]);
    const permissive = await resend.batch.send(bad, { batchValidation: "permissive" });
    expect(permissive.data).toMatchObject({ data: [{ id: expect.any(String) }], errors: [{ index: 1 }, { index: 2 }] });
    expect(server.delivered.map((d) => d.to[0])).toEqual(["ann@example.com"]);
  });

  it("answers over the per-second limit with 429 rate_limit_exceeded and the rate-limit headers", async () => {
    server.rate = 2;
    const answers = [await post("/emails", email()), await post("/emails", email()), await post("/emails", email())];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
    expect(answers[1]!.headers.get("ratelimit-remaining")).toBe("0");
    const limited = answers[2]!;
    expect(await limited.json()).toMatchObject({ statusCode: 429, name: "rate_limit_exceeded" });
    expect(limited.headers.get("ratelimit-limit")).toBe("2");
    expect(limited.headers.get("ratelimit-remaining")).toBe("0");
    expect(Number(limited.headers.get("ratelimit-reset"))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(server.delivered).toHaveLength(2);
  });

  it("replays the first answer for the same idempotency key and body, without delivering again", async () => {
    const first = await resend.batch.send([email()], { idempotencyKey: "k-1" });
    const again = await resend.batch.send([email()], { idempotencyKey: "k-1" });
    expect(again.data).toEqual(first.data);
    expect(server.delivered).toHaveLength(1);
  });

  it("answers 409 invalid_idempotent_request for the same key with another body", async () => {
    await resend.batch.send([email()], { idempotencyKey: "k-2" });
    const other = await resend.batch.send([email("bob@example.com")], { idempotencyKey: "k-2" });
    expect(other.error).toMatchObject({ statusCode: 409, name: "invalid_idempotent_request" });
    expect(server.delivered).toHaveLength(1);
  });

  it("answers 400 for an idempotency key longer than 256 characters", async () => {
    const r = await post("/emails", email(), { "idempotency-key": "x".repeat(257) });
    expect(r.status).toBe(400);
  });

  it("injects faults: a status, a dropped connection before or after delivery, a hang", async () => {
    server.fault({ kind: "status", status: 500, name: "internal_server_error" });
    expect((await resend.emails.send(email())).error).toMatchObject({ statusCode: 500 });
    expect(server.delivered).toHaveLength(0);

    server.fault({ kind: "drop", when: "before-delivery" });
    expect((await resend.emails.send(email(), { idempotencyKey: "d-1" })).error).toMatchObject({ statusCode: null });
    expect(server.delivered).toHaveLength(0);

    server.fault({ kind: "drop", when: "after-delivery" });
    expect((await resend.emails.send(email(), { idempotencyKey: "d-2" })).error).toMatchObject({ statusCode: null });
    expect(server.delivered).toHaveLength(1);
    // The retry with the same key gets the stored answer: still one delivery.
    expect((await resend.emails.send(email(), { idempotencyKey: "d-2" })).data).toEqual({ id: server.delivered[0]!.id });
    expect(server.delivered).toHaveLength(1);

    server.fault({ kind: "hang" });
    const hung = await resend.emails.send(email(), { signal: AbortSignal.timeout(200) });
    expect(hung.error).toMatchObject({ statusCode: null });
    expect(server.requests.at(-1)?.status).toBe("hung");
  });
});
