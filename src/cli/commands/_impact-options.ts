// Option parsing shared by `nurture diff` and `nurture backtest`.
import { usageError } from "../../engine/errors.ts";

/** A whole number within bounds, or a usage error naming the option. */
export function wholeNumber(raw: unknown, flag: string, min: number, max: number): number {
  const text = String(raw);
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw usageError(`${flag} "${text}" must be a whole number from ${min} to ${max}`);
  return n;
}

/** `8,15` → [8, 15]: UTC hours of the replayed runs, or a usage error. */
export function runHours(raw: unknown): number[] {
  const hours = String(raw).split(",").map((h) => h.trim());
  if (hours.some((h) => !/^\d{1,2}$/.test(h) || Number(h) > 23)) {
    throw usageError(`--run-hours "${String(raw)}" must list UTC hours 0–23 separated by commas, e.g. 0,8,17`);
  }
  return [...new Set(hours.map(Number))].sort((a, b) => a - b);
}

/** The replayed run hours when none are given: the demo's nightly replay schedule. */
// The demo's run hours: three runs a day meet every time zone's local send window.
export const DEFAULT_RUN_HOURS = "0,8,17";
