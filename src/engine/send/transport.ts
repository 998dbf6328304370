/**
 * What the sender hands a transport (one batch of up to 100 rendered emails with its
 * idempotency key) and what it gets back (one result per email). Transports: Resend
 * (resend-transport.ts) and the outbox on disk (outbox-transport.ts).
 */
import { createHash } from "node:crypto";
import type { EmailTag } from "./tags.ts";

/** Resend accepts at most 100 emails per batch request. */
export const MAX_BATCH_SIZE = 100;

/** One email in the shape the `resend` SDK's `batch.send` takes. */
export interface OutgoingEmail {
  from: string;
  to: string[];
  replyTo?: string;
  subject: string;
  html: string;
  text: string;
  headers?: Record<string, string>;
  tags: EmailTag[];
}

export interface BatchRequest {
  /** Batch id, e.g. `r…-b0001`. */
  batch: string;
  /** The run that composed the batch (the outbox files it under that run). */
  run: string;
  idempotencyKey: string;
  /** Message keys, one per email, in the same order. */
  keys: string[];
  emails: OutgoingEmail[];
  /** ISO instant the batch was composed (the outbox's Date header). */
  composedAt: string;
}

export type EmailResult = { ok: true; providerId: string } | { ok: false; error: string; retryable: boolean };

export interface BatchResult {
  /** One per email, in request order. */
  results: EmailResult[];
  /** Set when no further batch can succeed either (bad API key, quota): the run stops. */
  fatal?: string;
}

export interface Transport {
  readonly name: "resend" | "outbox";
  /** Delivers one batch, retrying what may be retried; reports provider errors as results, never throws for them. */
  sendBatch(request: BatchRequest): Promise<BatchResult>;
}

/**
 * The exact request body the `resend` SDK (v6) sends for `batch.send(emails)`: each email
 * mapped to the API's field names in the SDK's order, undefined fields left out. The
 * ledger's `payload_sha256` is taken over these bytes, so a replay can prove it sends the
 * same thing; the fake-server tests check the bytes against what actually arrives.
 */
export function requestBody(emails: readonly OutgoingEmail[]): string {
  return JSON.stringify(
    emails.map((e) => ({ from: e.from, headers: e.headers, html: e.html, reply_to: e.replyTo, subject: e.subject, tags: e.tags, text: e.text, to: e.to })),
  );
}

/** sha256 (hex) of `requestBody(emails)`. */
export const payloadSha256 = (emails: readonly OutgoingEmail[]): string => createHash("sha256").update(requestBody(emails)).digest("hex");
