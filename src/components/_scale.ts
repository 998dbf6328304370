/** Axis maths for the server-rendered charts: a linear scale and "nice" ticks from 0. */

export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const frame = (width: number, height: number): Frame => ({ width, height, left: 52, right: 16, top: 16, bottom: 40 });

/** Ticks 0, step, 2·step … covering `max`, with step 1, 2 or 5 × 10ⁿ (about four ticks). */
export function niceTicks(max: number): number[] {
  const top = max > 0 && Number.isFinite(max) ? max : 1;
  const raw = top / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = 0; v < top + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Pixel y of a value on ticks from 0 to their last. */
export const yOf = (f: Frame, ticks: number[], v: number): number => {
  const top = ticks[ticks.length - 1] || 1;
  return f.top + (f.height - f.top - f.bottom) * (1 - v / top);
};

/** Pixel x of the centre of band `i` of `n`. */
export const xOf = (f: Frame, i: number, n: number): number => {
  const w = (f.width - f.left - f.right) / Math.max(n, 1);
  return f.left + w * (i + 0.5);
};

export const bandWidth = (f: Frame, n: number): number => (f.width - f.left - f.right) / Math.max(n, 1);

/** Formats a value for axes and tooltips. */
export function fmt(v: number | null | undefined, unit: "percent" | "number" | "score"): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  if (unit === "percent") return `${(v * 100).toFixed(v < 0.1 && v > 0 ? 1 : 0)}%`;
  if (unit === "score") return v.toFixed(0);
  return Math.abs(v) >= 1000 ? v.toLocaleString("en-US", { maximumFractionDigits: 0 }) : String(Number(v.toFixed(2)));
}

/** Indices of labels to print on an axis of n labels (at most ~8, always the last). */
export function labelIndices(n: number): Set<number> {
  const every = Math.max(1, Math.ceil(n / 8));
  const out = new Set<number>();
  for (let i = 0; i < n; i += every) out.add(i);
  if (n > 0) out.add(n - 1);
  return out;
}
