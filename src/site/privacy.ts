/**
 * Small-cell suppression (product brief §6): a figure built from fewer than `k` users is
 * never published. Zero is shown: it says nobody did something, which names no one.
 */

/** A published figure: a number, `hidden` (fewer than k users), or null (no data at all). */
export type Figure = number | "hidden" | null;

/** A count of users (or of their messages), hidden when 1..k-1 distinct users stand behind it. */
export function count(value: number, users: number, k: number): Figure {
  if (users > 0 && users < k) return "hidden";
  return value;
}

/** A rate with its named parts, each protected; the rate is null when the denominator is 0. */
export interface Rate {
  numerator: Figure;
  denominator: Figure;
  rate: Figure;
}

/**
 * A rate is hidden when either of its parts comes from 1..k-1 users: with the
 * denominator published, a rate over 3 clickers would give the 3 away (rate × denominator).
 */
export function rate(num: number, numUsers: number, den: number, denUsers: number, k: number): Rate {
  const denominator = count(den, denUsers, k);
  if (denominator === "hidden") return { numerator: "hidden", denominator, rate: "hidden" };
  const numerator = count(num, numUsers, k);
  if (numerator === "hidden") return { numerator, denominator, rate: "hidden" };
  return { numerator, denominator, rate: den === 0 ? null : num / den };
}

/** The numeric value of a figure, or undefined when it is hidden or missing. */
export const valueOf = (f: Figure): number | undefined => (typeof f === "number" && Number.isFinite(f) ? f : undefined);
