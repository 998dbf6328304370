/**
 * Resend message tags: the sender puts campaign, step, type, key, user (and variant) on
 * every email, and webhooks bring them back, which is how an open or a click joins the
 * send that caused it. Tag names and values may only hold ASCII letters, digits, `_` and
 * `-`, at most 256 characters. Ids from config already fit; a user id may not, so values
 * that do not fit are carried as `b64-` + base64url(UTF-8), which uses only that alphabet.
 * A value that fits and does not itself start with `b64-` is carried as it is.
 */
import type { SendIdentity } from "../evaluate/types.ts";

const FITS = /^[A-Za-z0-9_-]{1,256}$/;
const PREFIX = "b64-";

export interface EmailTag {
  name: string;
  value: string;
}

/**
 * A value as a tag value, or undefined when even the encoded form exceeds 256 characters
 * (an id longer than about 190 bytes).
 *
 * @example encodeTagValue("u_42") // "u_42"
 * @example encodeTagValue("ann@example.com") // "b64-YW5uQGV4YW1wbGUuY29t"
 */
export function encodeTagValue(value: string): string | undefined {
  if (FITS.test(value) && !value.startsWith(PREFIX)) return value;
  const encoded = PREFIX + Buffer.from(value, "utf8").toString("base64url");
  return encoded.length <= 256 ? encoded : undefined;
}

/**
 * The original value of a tag written by `encodeTagValue` (webhook converters use it to
 * read the `user` tag back into a user id).
 *
 * @example decodeTagValue("b64-YW5uQGV4YW1wbGUuY29t") // "ann@example.com"
 */
export function decodeTagValue(value: string): string {
  return value.startsWith(PREFIX) ? Buffer.from(value.slice(PREFIX.length), "base64url").toString("utf8") : value;
}

/**
 * The tags of one email: campaign, step, type, key, user and (in a subject-line test)
 * variant. Undefined when a value cannot be carried (see `encodeTagValue`).
 */
export function emailTags(send: Pick<SendIdentity, "campaign" | "step" | "type" | "key" | "userId" | "variant">): EmailTag[] | undefined {
  const pairs: [string, string][] = [
    ["campaign", send.campaign],
    ["step", send.step],
    ["type", send.type],
    ["key", send.key],
    ["user", send.userId],
  ];
  if (send.variant) pairs.push(["variant", send.variant]);
  const tags: EmailTag[] = [];
  for (const [name, raw] of pairs) {
    const value = encodeTagValue(raw);
    if (value === undefined) return undefined;
    tags.push({ name, value });
  }
  return tags;
}
