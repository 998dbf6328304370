import { createHash } from "node:crypto";
import type { Variant } from "../config/types.ts";

const sha256 = (parts: string[]): string => createHash("sha256").update(parts.join("\0")).digest("hex");

/**
 * The message key of one (user, campaign, step, occurrence): the first 32 hex characters
 * of sha256 over the parts joined by NUL. It is what makes a send happen at most once, and
 * it travels as a Resend tag value, so it is kept to [0-9a-f].
 *
 * @example messageKey("u1", "welcome", "day-2", "2026-11-20T09:00:00.000Z") // "3f9c…"
 */
export function messageKey(userId: string, campaign: string, step: string, occurrence: string): string {
  return sha256([userId, campaign, step, occurrence]).slice(0, 32);
}

/**
 * The variant a user gets in a subject-line test: a stable hash of (user, campaign, step)
 * mapped onto the variants' weights, so a user always sees the same variant and a rerun
 * or a config review computes the same split.
 */
export function chooseVariant(userId: string, campaign: string, step: string, variants: readonly Variant[]): Variant {
  if (variants.length === 0) throw new Error("chooseVariant needs at least one variant");
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  // 52 bits of the hash as a fraction in [0, 1): plenty of resolution for any weights.
  const point = (parseInt(sha256([userId, campaign, step]).slice(0, 13), 16) / 2 ** 52) * total;
  let edge = 0;
  for (const variant of variants) {
    edge += variant.weight;
    if (point < edge) return variant;
  }
  return variants[variants.length - 1]!;
}
