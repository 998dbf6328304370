/**
 * One Resend webhook event → event-snapshot rows. Pure: no I/O, no clock.
 *
 * Names: `email.sent`, `email.delivered`, `email.opened`, `email.clicked`,
 * `email.bounced`, `email.complained` keep Resend's names (the data contract's email
 * events); `email.delivery_delayed`, `email.failed` and `email.suppressed` keep theirs
 * too — informational, nothing in the evaluator reads them, and as `email.*` events they
 * never count as product activity. Other webhook types (`email.scheduled`,
 * `email.received`, `contact.*`, `domain.*`, …) are not about an email nurture sent and
 * are ignored.
 *
 * A click never becomes `unsubscribed`, not even on the unsubscribe link: link scanners
 * follow links, and RFC 8058 §3.2 says a GET must not unsubscribe; the unsubscribe
 * endpoint's POST records that. A click on an NPS answer link also yields `nps.answered`.
 * No address, name or subject is copied into a row.
 */
import { decodeTagValue } from "../send/tags.ts";
import { npsScore } from "./nps-link.ts";
import type { EventRow } from "./types.ts";

const EMAIL_EVENTS = new Set([
  "email.sent", "email.delivered", "email.delivery_delayed", "email.opened", "email.clicked",
  "email.bounced", "email.complained", "email.failed", "email.suppressed",
]);

/** The tags nurture's sender puts on every email that are carried into properties. */
const CARRIED_TAGS = ["key", "campaign", "step", "type", "variant"] as const;

export type Conversion =
  | { kind: "rows"; rows: EventRow[] }
  | { kind: "ignored"; type: string }
  | { kind: "malformed"; reason: string }
  | { kind: "no-user"; reason: string };

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** Tags as a name → value map; Resend sends an object, older payloads a `[{name, value}]` list. */
function tagMap(tags: unknown): Map<string, string> {
  const map = new Map<string, string>();
  if (Array.isArray(tags)) {
    for (const t of tags) if (isObject(t) && text(t.name) && typeof t.value === "string") map.set(t.name as string, t.value);
  } else if (isObject(tags)) {
    for (const [name, value] of Object.entries(tags)) if (typeof value === "string") map.set(name, value);
  }
  return map;
}

/** An ISO-8601 UTC instant, or undefined when `value` is not a time. */
function instant(value: unknown): string | undefined {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}/.test(value)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** Resend's bounce type (`Permanent`, `Transient`, `Undetermined`) as `bounce_type`. */
function bounceType(bounce: unknown): string {
  const type = isObject(bounce) ? text(bounce.type) : undefined;
  // No type: treated as permanent, as the evaluator does (a hard bounce suppresses).
  return (type ?? "permanent").toLowerCase();
}

/**
 * The rows one webhook event makes. `eventId` identifies the delivery (its svix-id or a
 * hash of the payload); an NPS answer derived from a click gets `eventId + ":nps"`.
 *
 * @example
 * toEvents({ type: "email.opened", created_at: "2026-11-20T09:00:00Z", data: { tags: { user: "u1", key: "k1" } } }, "msg_1")
 * // { kind: "rows", rows: [{ user_id: "u1", event: "email.opened", ts: "2026-11-20T09:00:00.000Z", properties: { key: "k1" }, event_id: "msg_1" }] }
 */
export function toEvents(payload: unknown, eventId: string): Conversion {
  if (!isObject(payload)) return { kind: "malformed", reason: "the event is not a JSON object" };
  const type = text(payload.type);
  if (!type) return { kind: "malformed", reason: "the event has no \"type\"" };
  if (!EMAIL_EVENTS.has(type)) return { kind: "ignored", type };
  const data = payload.data;
  if (!isObject(data)) return { kind: "malformed", reason: `${type} has no "data" object` };
  const click = isObject(data.click) ? data.click : undefined;
  const ts = instant(click?.timestamp) ?? instant(payload.created_at);
  if (!ts) return { kind: "malformed", reason: `${type} has no readable "created_at" (ISO-8601 time)` };

  const tags = tagMap(data.tags);
  const user = tags.get("user");
  if (!user) {
    return { kind: "no-user", reason: `${type} for email ${text(data.email_id) ?? "(no email_id)"} has no "user" tag, so it cannot be joined to a user (was it sent by nurture?)` };
  }
  const properties: Record<string, string | number> = {};
  for (const name of CARRIED_TAGS) {
    const value = tags.get(name);
    if (value !== undefined) properties[name] = decodeTagValue(value);
  }
  const emailId = text(data.email_id);
  if (emailId) properties.email_id = emailId;

  if (type === "email.bounced") {
    properties.bounce_type = bounceType(data.bounce);
    const subType = isObject(data.bounce) ? text(data.bounce.subType) : undefined;
    if (subType) properties.bounce_subtype = subType;
  }
  if (type === "email.failed" && isObject(data.failed) && text(data.failed.reason)) properties.reason = data.failed.reason as string;
  if (type === "email.suppressed" && isObject(data.suppressed) && text(data.suppressed.type)) properties.suppressed_type = data.suppressed.type as string;

  const userId = decodeTagValue(user);
  const rows: EventRow[] = [];
  if (type === "email.clicked") {
    const link = text(click?.link);
    if (!link) return { kind: "malformed", reason: "email.clicked has no data.click.link" };
    properties.link = link;
    rows.push({ user_id: userId, event: type, ts, properties, event_id: eventId });
    const score = npsScore(link, properties.type as string | undefined);
    if (score !== undefined) {
      const answer: Record<string, string | number> = { ...properties, score };
      delete answer.link;
      rows.push({ user_id: userId, event: "nps.answered", ts, properties: answer, event_id: `${eventId}:nps` });
    }
    return { kind: "rows", rows };
  }
  rows.push({ user_id: userId, event: type, ts, properties, event_id: eventId });
  return { kind: "rows", rows };
}
