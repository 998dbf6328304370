/**
 * Reads a file of Resend webhook deliveries: NDJSON, one delivery per line, each either
 * the bare event JSON or `{ "headers": { "svix-id", "svix-timestamp", "svix-signature" },
 * "body": "<the raw request body>" }` as an endpoint recorded it. With a secret, every
 * line must be the second form and its signature must match the raw body.
 */
import { createHash } from "node:crypto";
import { signatureHeaders, verifyWebhookSignature } from "./signature.ts";

/** One readable delivery: its 1-based line, its id and the parsed event. */
export interface Delivery {
  line: number;
  /** svix-id when the delivery has one, else `wh_` + a hash of the event JSON. */
  eventId: string;
  payload: unknown;
}

/** A line that could not be read or verified. */
export interface Unreadable {
  line: number;
  reason: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A stable id for a delivery without a svix-id: the same event always hashes the same. */
const payloadId = (payload: unknown): string => `wh_${createHash("sha256").update(JSON.stringify(payload)).digest("hex").slice(0, 32)}`;

function parseJson(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** One line → a delivery or the reason it cannot be used. */
function readLine(text: string, line: number, secret: string | undefined): Delivery | Unreadable {
  const parsed = parseJson(text);
  if ("error" in parsed) return { line, reason: `not JSON (${parsed.error})` };
  const value = parsed.value;
  const envelope = isObject(value) && "body" in value && isObject(value.headers);
  if (!envelope) {
    if (secret) return { line, reason: "no signature: with a webhook secret set, each line must be { \"headers\": {svix-id, svix-timestamp, svix-signature}, \"body\": \"<raw body>\" }" };
    return { line, eventId: payloadId(value), payload: value };
  }
  const headers = signatureHeaders(value.headers as Record<string, unknown>);
  const body = value.body;
  if (secret) {
    if ("missing" in headers) return { line, reason: `header ${headers.missing} is missing, so the signature cannot be checked` };
    if (typeof body !== "string") return { line, reason: "\"body\" must be the raw request body as a string (the signature covers its exact bytes)" };
    if (!verifyWebhookSignature(secret, headers, body)) return { line, reason: `signature does not match (svix-id ${headers.id}): forged, altered, or signed with another secret` };
  }
  const payload = typeof body === "string" ? parseJson(body) : { value: body };
  if ("error" in payload) return { line, reason: `"body" is not JSON (${payload.error})` };
  return { line, eventId: "missing" in headers ? payloadId(payload.value) : headers.id, payload: payload.value };
}

/**
 * Every non-blank line of `text` as a delivery or an unreadable line, in order.
 *
 * @example readDeliveries('{"type":"email.sent",...}\n', undefined) // [{ line: 1, eventId: "wh_…", payload: {…} }]
 */
export function readDeliveries(text: string, secret: string | undefined): (Delivery | Unreadable)[] {
  const out: (Delivery | Unreadable)[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() !== "") out.push(readLine(raw, i + 1, secret));
  });
  return out;
}
