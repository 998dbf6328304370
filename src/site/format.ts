/** How figures read on the site: hidden cells are "—", missing data is "n/a", never NaN. */
import type { Figure, Rate } from "./privacy.ts";

export const HIDDEN = "—";
export const NONE = "n/a";

/** A count: "—" when hidden for privacy, "n/a" when there is no data. */
export function int(f: Figure): string {
  if (f === "hidden") return HIDDEN;
  if (f === null || !Number.isFinite(f)) return NONE;
  return f.toLocaleString("en-US");
}

/** A share 0..1 as a percentage. */
export function pct(f: Figure | Rate, digits = 1): string {
  const v = typeof f === "object" && f !== null ? f.rate : f;
  if (v === "hidden") return HIDDEN;
  if (v === null || !Number.isFinite(v)) return NONE;
  return `${(v * 100).toFixed(digits)}%`;
}

/** A plain number with fixed decimals. */
export function fixed(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined || !Number.isFinite(v) ? NONE : v.toFixed(digits);
}

/** The number behind a figure for a chart: null when hidden or missing (a gap, not a zero). */
export function chartValue(f: Figure | Rate): number | null {
  const v = typeof f === "object" && f !== null ? f.rate : f;
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/**
 * Change against the previous period: percentage points for rates, a relative change
 * for counts; empty when either side is hidden or missing.
 */
export function change(current: Figure | Rate, previous: Figure | Rate, kind: "rate" | "count" | "points"): string {
  const a = chartValue(current);
  const b = chartValue(previous);
  if (a === null || b === null) return "";
  const sign = (d: number) => (d > 0 ? "+" : d < 0 ? "−" : "±");
  if (kind === "rate") {
    const d = (a - b) * 100;
    return `${sign(d)}${Math.abs(d).toFixed(1)} pp`;
  }
  if (kind === "points") return `${sign(a - b)}${Math.abs(a - b).toFixed(0)}`;
  if (b === 0) return a === 0 ? "±0" : "";
  const d = ((a - b) / b) * 100;
  return `${sign(d)}${Math.abs(d).toFixed(0)}%`;
}

/** A date `YYYY-MM-DD` from an ISO instant. */
export const day = (iso: string): string => iso.slice(0, 10);
