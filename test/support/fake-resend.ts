/**
 * A fake Resend API on 127.0.0.1 for tests and benchmarks: a real HTTP server that the
 * real `resend` SDK talks to (point it here with RESEND_BASE_URL or the `baseUrl` option).
 * It behaves like the documented API where the sender depends on it:
 *
 * - `POST /emails` and `POST /emails/batch`; `Authorization: Bearer <key>` required
 *   (401 missing_api_key, 403 invalid_api_key).
 * - A batch holds 1–100 emails, no `attachments` or `scheduled_at` (else 422
 *   validation_error). `x-batch-validation: permissive` delivers the valid emails and lists
 *   the invalid ones as `errors: [{ index, message }]`; strict (default) rejects the batch.
 * - A per-second request limit (default 2, a sliding one-second window): over it, 429
 *   rate_limit_exceeded with `ratelimit-limit/remaining/reset` and `retry-after`; every
 *   answer carries the `ratelimit-*` headers.
 * - `Idempotency-Key` (1–256 characters, kept 24 hours): the same key and body get the
 *   first answer again without delivering anything; the same key with another body gets
 *   409 invalid_idempotent_request; while the first is in progress, 409
 *   concurrent_idempotent_requests.
 * - Injectable faults for the next requests: an HTTP status (500, 422, …), a hang (no
 *   answer until the client gives up), a dropped connection before or after the delivery
 *   is recorded.
 *
 * Everything delivered is kept in `delivered` (with the idempotency key, tags as an object
 * map, headers) so tests assert from the server's own record.
 */
import { createHash, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface DeliveredEmail {
  id: string;
  idempotencyKey?: string;
  from: string;
  to: string[];
  subject: string;
  html?: string;
  text?: string;
  replyTo?: string | string[];
  headers: Record<string, string>;
  /** Tags as Resend's webhooks give them back: an object map. */
  tags: Record<string, string>;
  /** Server time of delivery (ms). */
  at: number;
}

export interface RequestLog {
  seq: number;
  method: string;
  path: string;
  status: number | "dropped" | "hung";
  idempotencyKey?: string;
  /** sha256 (hex) of the raw request body. */
  bodySha256: string;
  at: number;
}

export type Fault =
  | { kind: "status"; status: number; name: string; message?: string }
  | { kind: "hang" }
  | { kind: "drop"; when: "before-delivery" | "after-delivery" };

export interface FakeResendOptions {
  apiKey?: string;
  /** Requests per second (default 2). */
  rate?: number;
  /** Server clock in ms (default Date.now). */
  now?: () => number;
}

/** What hooks see of a request to an email endpoint. */
export interface RequestInfo {
  seq: number;
  path: string;
  idempotencyKey?: string;
}

export interface FakeResend {
  /** Base URL, e.g. `http://127.0.0.1:43817`. */
  url: string;
  apiKey: string;
  rate: number;
  delivered: DeliveredEmail[];
  requests: RequestLog[];
  /** Queues faults for the next email requests, in order (after auth and the rate limit). */
  fault(...faults: Fault[]): void;
  /** Called when an email request passed auth and the rate limit, before it is processed. */
  onRequest?: (info: RequestInfo) => void;
  /** Called after a request's emails were recorded as delivered, before the answer is written. */
  onDelivered?: (info: RequestInfo) => void;
  /** Forgets deliveries, requests, idempotency keys, faults and the rate window. */
  reset(): void;
  close(): Promise<void>;
}

interface Stored {
  bodySha256: string;
  done: boolean;
  status: number;
  body: string;
  at: number;
}

const DAY = 86_400_000;
const TAG = /^[A-Za-z0-9_-]{1,256}$/;
const ADDRESS = /^(?:[^<>]*<)?[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+>?$/;

const errorBody = (status: number, name: string, message: string): string => JSON.stringify({ statusCode: status, message, name });

/** The first reason an email is invalid, or undefined. */
function invalid(email: unknown, inBatch: boolean): string | undefined {
  if (!email || typeof email !== "object") return "Each email must be an object.";
  const e = email as Record<string, unknown>;
  if (typeof e.from !== "string" || !ADDRESS.test(e.from)) return "Invalid `from` field.";
  const to = typeof e.to === "string" ? [e.to] : e.to;
  if (!Array.isArray(to) || to.length === 0) return "The `to` field is missing.";
  if (to.length > 50 || to.some((a) => typeof a !== "string" || !ADDRESS.test(a))) return "Invalid `to` field.";
  if (typeof e.subject !== "string" || e.subject === "") return "The `subject` field is missing.";
  if (typeof e.html !== "string" && typeof e.text !== "string") return "Either `html` or `text` must be provided.";
  if (inBatch && e.attachments !== undefined) return "The `attachments` field is not supported in batch sends.";
  if (inBatch && e.scheduled_at !== undefined) return "The `scheduled_at` field is not supported in batch sends.";
  if (e.tags !== undefined) {
    if (!Array.isArray(e.tags)) return "Invalid `tags` field.";
    for (const t of e.tags as { name?: unknown; value?: unknown }[]) {
      if (typeof t?.name !== "string" || !TAG.test(t.name)) return "Tag names may only contain ASCII letters, numbers, underscores or dashes.";
      if (typeof t?.value !== "string" || !TAG.test(t.value)) return "Tag values may only contain ASCII letters, numbers, underscores or dashes.";
    }
  }
  if (e.headers !== undefined && (typeof e.headers !== "object" || Object.values(e.headers as object).some((v) => typeof v !== "string"))) {
    return "Invalid `headers` field.";
  }
  return undefined;
}

/**
 * Starts a fake Resend server on a random port of 127.0.0.1.
 *
 * @example
 * const server = await startFakeResend({ rate: 10 });
 * process.env.RESEND_BASE_URL = server.url;
 * // … send …
 * expect(server.delivered).toHaveLength(3);
 * await server.close();
 */
export async function startFakeResend(options: FakeResendOptions = {}): Promise<FakeResend> {
  const now = options.now ?? Date.now;
  const sockets = new Set<Socket>();
  let window: number[] = [];
  let faults: Fault[] = [];
  let idempotent = new Map<string, Stored>();
  let seq = 0;

  const fake: FakeResend = {
    url: "",
    apiKey: options.apiKey ?? "re_test_key",
    rate: options.rate ?? 2,
    delivered: [],
    requests: [],
    fault: (...more) => void faults.push(...more),
    reset() {
      fake.delivered = [];
      fake.requests = [];
      faults = [];
      idempotent = new Map();
      window = [];
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  /** Sliding one-second window over accepted requests. */
  function rateHeaders(t: number): Record<string, string> {
    window = window.filter((w) => w > t - 1000);
    const remaining = Math.max(0, fake.rate - window.length);
    const reset = window.length > 0 ? Math.max(1, Math.ceil((window[0]! + 1000 - t) / 1000)) : 1;
    return { "ratelimit-limit": String(fake.rate), "ratelimit-remaining": String(remaining), "ratelimit-reset": String(reset) };
  }

  function deliver(raw: unknown, key: string | undefined, t: number): DeliveredEmail {
    const e = raw as Record<string, unknown>;
    const tags = Object.fromEntries(((e.tags ?? []) as { name: string; value: string }[]).map((x) => [x.name, x.value]));
    const email: DeliveredEmail = {
      id: randomUUID(), from: e.from as string, to: (typeof e.to === "string" ? [e.to] : e.to) as string[], subject: e.subject as string,
      headers: (e.headers ?? {}) as Record<string, string>, tags, at: t,
      ...(key ? { idempotencyKey: key } : {}),
      ...(typeof e.html === "string" ? { html: e.html } : {}),
      ...(typeof e.text === "string" ? { text: e.text } : {}),
      ...(e.reply_to !== undefined ? { replyTo: e.reply_to as string | string[] } : {}),
    };
    fake.delivered.push(email);
    return email;
  }

  /** Validates and delivers; returns the answer to give (and to keep for the idempotency key). */
  function handle(path: string, body: string, key: string | undefined, permissive: boolean, t: number): { status: number; body: string } {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return { status: 422, body: errorBody(422, "validation_error", "Invalid JSON body.") };
    }
    if (path === "/emails") {
      const reason = invalid(parsed, false);
      if (reason) return { status: 422, body: errorBody(422, "validation_error", reason) };
      return { status: 200, body: JSON.stringify({ id: deliver(parsed, key, t).id }) };
    }
    if (!Array.isArray(parsed) || parsed.length === 0 || parsed.length > 100) {
      return { status: 422, body: errorBody(422, "validation_error", "The batch must be an array of 1 to 100 emails.") };
    }
    const reasons = parsed.map((email) => invalid(email, true));
    if (!permissive) {
      const first = reasons.findIndex((r) => r !== undefined);
      if (first >= 0) return { status: 422, body: errorBody(422, "validation_error", `emails[${first}]: ${reasons[first]}`) };
    }
    const data: { id: string }[] = [];
    const errors: { index: number; message: string }[] = [];
    parsed.forEach((email, index) => {
      if (reasons[index]) errors.push({ index, message: reasons[index]! });
      else data.push({ id: deliver(email, key, t).id });
    });
    return { status: 200, body: JSON.stringify(permissive ? { data, errors } : { data }) };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const t = now();
      const raw = Buffer.concat(chunks);
      const body = raw.toString("utf8");
      const path = (req.url ?? "/").split("?")[0]!;
      const key = req.headers["idempotency-key"] as string | undefined;
      const log: RequestLog = { seq: seq++, method: req.method ?? "", path, status: 0, bodySha256: createHash("sha256").update(raw).digest("hex"), at: t, ...(key !== undefined ? { idempotencyKey: key } : {}) };
      fake.requests.push(log);
      const answer = (status: number, text: string, headers: Record<string, string> = {}): void => {
        log.status = status;
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(text);
      };

      if (path !== "/emails" && path !== "/emails/batch") return answer(404, errorBody(404, "not_found", "The requested endpoint does not exist."));
      if (req.method !== "POST") return answer(405, errorBody(405, "method_not_allowed", "Method is not allowed for the requested path."));
      const auth = req.headers.authorization;
      if (!auth) return answer(401, errorBody(401, "missing_api_key", "Missing API key in the authorization header."));
      if (auth !== `Bearer ${fake.apiKey}`) return answer(403, errorBody(403, "invalid_api_key", "API key is invalid."));

      const limits = rateHeaders(t);
      if (window.length >= fake.rate) {
        return answer(429, errorBody(429, "rate_limit_exceeded", "Too many requests. You can only make 2 requests per second."), {
          ...limits, "ratelimit-remaining": "0", "retry-after": limits["ratelimit-reset"]!,
        });
      }
      window.push(t);
      const headers = rateHeaders(t);
      const info: RequestInfo = { seq: log.seq, path, ...(key !== undefined ? { idempotencyKey: key } : {}) };
      fake.onRequest?.(info);

      const fault = faults.shift();
      if (fault?.kind === "status") return answer(fault.status, errorBody(fault.status, fault.name, fault.message ?? "Injected fault."), headers);
      if (fault?.kind === "hang") {
        log.status = "hung";
        return;
      }
      if (fault?.kind === "drop" && fault.when === "before-delivery") {
        log.status = "dropped";
        req.socket.destroy();
        return;
      }

      if (key !== undefined) {
        if (key.length < 1 || key.length > 256) return answer(400, errorBody(400, "invalid_idempotency_key", "The key must be between 1-256 chars."), headers);
        const stored = idempotent.get(key);
        if (stored && t - stored.at < DAY) {
          if (stored.bodySha256 !== log.bodySha256) {
            return answer(409, errorBody(409, "invalid_idempotent_request", "Same idempotency key used with a different request payload."), headers);
          }
          if (!stored.done) return answer(409, errorBody(409, "concurrent_idempotent_requests", "Same idempotency key used while original request is still in progress."), headers);
          return answer(stored.status, stored.body, headers);
        }
      }
      const entry: Stored = { bodySha256: log.bodySha256, done: false, status: 0, body: "", at: t };
      if (key !== undefined) idempotent.set(key, entry);
      const result = handle(path, body, key, req.headers["x-batch-validation"] === "permissive", t);
      Object.assign(entry, { done: true, status: result.status, body: result.body });
      fake.onDelivered?.(info);
      if (fault?.kind === "drop") {
        log.status = "dropped";
        req.socket.destroy();
        return;
      }
      answer(result.status, result.body, headers);
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
