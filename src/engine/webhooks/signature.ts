/**
 * Svix-style webhook signatures as Resend sends them: header `svix-signature` holds one or
 * more `v1,<base64 HMAC-SHA256>` separated by spaces, over `${id}.${timestamp}.${body}`,
 * keyed with the base64 secret after `whsec_`.
 *
 * The `resend` SDK's `webhooks.verify` checks the same HMAC but also rejects any
 * timestamp more than five minutes from the wall clock — replay protection meant for a
 * live endpoint. `nurture webhooks` converts files of deliveries recorded earlier, where
 * every timestamp is old, so it checks the signature against the recorded timestamp and
 * leaves replays to the event_id (a replayed delivery carries the same svix-id and is
 * counted once).
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** The three signature headers of a delivery (Resend's `svix-*`, or Standard Webhooks' `webhook-*`). */
export interface SignatureHeaders {
  id: string;
  timestamp: string;
  signature: string;
}

/** Reads the signature headers case-insensitively, or names the first one missing. */
export function signatureHeaders(headers: Record<string, unknown>): SignatureHeaders | { missing: string } {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), typeof v === "string" ? v : undefined]));
  const pick = (name: string): string | undefined => lower.get(`svix-${name}`) ?? lower.get(`webhook-${name}`);
  const id = pick("id");
  const timestamp = pick("timestamp");
  const signature = pick("signature");
  if (!id) return { missing: "svix-id" };
  if (!timestamp) return { missing: "svix-timestamp" };
  if (!signature) return { missing: "svix-signature" };
  return { id, timestamp, signature };
}

/** The key bytes of a `whsec_…` secret (the prefix is optional). */
export function secretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret, "base64");
}

/**
 * The `v1,…` signature of a body, as Resend computes it.
 *
 * @example signWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_1", "1700000000", "{}")
 */
export function signWebhook(secret: string, id: string, timestamp: string, body: string): string {
  return `v1,${createHmac("sha256", secretKey(secret)).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}

/** True when one of the header's `v1` signatures matches the raw body. */
export function verifyWebhookSignature(secret: string, headers: SignatureHeaders, body: string): boolean {
  if (!/^\d+$/.test(headers.timestamp)) return false;
  const expected = Buffer.from(signWebhook(secret, headers.id, headers.timestamp, body).slice(3));
  return headers.signature.split(" ").some((candidate) => {
    const [version, value] = candidate.split(",");
    if (version !== "v1" || value === undefined) return false;
    const given = Buffer.from(value);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
