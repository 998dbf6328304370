/** Small Resend webhook deliveries for the webhooks tests, shaped like Resend's documented payloads. */
import { encodeTagValue } from "../../src/engine/index.ts";
import { signWebhook } from "../../src/engine/webhooks/signature.ts";

export const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

export const TAGS = { campaign: "welcome", step: "first-project", type: "regular", key: "k-welcome-u1", user: "u1" };

/** One bare webhook event: `type` at `created_at`, with nurture's tags unless overridden. */
export function resendEvent(type: string, extra: Record<string, unknown> = {}, tags: Record<string, string> | null = TAGS, createdAt = "2026-11-20T09:00:00.000Z") {
  return {
    type,
    created_at: createdAt,
    data: {
      email_id: "4ef9a417-02e9-4d39-ad75-9611e0fcc33c",
      created_at: "2026-11-20 08:59:58.000000+00",
      from: "Taskly <hello@mail.taskly.example>",
      to: ["secret-ann@example.com"],
      subject: "Create your first project",
      ...(tags ? { tags } : {}),
      ...extra,
    },
  };
}

/** A click on `link` (its own click timestamp, as Resend sends it). */
export const click = (link: string, tags: Record<string, string> = TAGS) =>
  resendEvent("email.clicked", { click: { ipAddress: "203.0.113.7", link, timestamp: "2026-11-20T09:05:00.000Z", userAgent: "Mozilla/5.0" } }, tags);

/** A delivery as an endpoint records it: the signature headers and the raw body. */
export function signed(event: unknown, id: string, secret = SECRET, timestamp = "1795510800") {
  const body = JSON.stringify(event);
  return { headers: { "svix-id": id, "svix-timestamp": timestamp, "svix-signature": signWebhook(secret, id, timestamp, body) }, body };
}

export const ndjson = (lines: unknown[]): string => lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n") + "\n";

export const userTag = (id: string): string => encodeTagValue(id)!;
