/**
 * Durations in config are exact strings such as `30m`, `4h`, `2d`, `1w`, or a sum
 * `1d12h`; a leading `-` negates (`-7d` = seven days before). Days are exactly 24 hours:
 * calendar-day questions use the user's time zone elsewhere, never this.
 */
const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** A duration that may be negative: only an `attribute_date` offset ("-7d": a week before). */
export const SIGNED_DURATION_PATTERN = "^-?(\\d+[smhdw])+$";
/** A duration that is not negative: waits, windows, cooldowns. */
export const DURATION_PATTERN = "^(\\d+[smhdw])+$";
/** A duration longer than zero: a lateness, a half-life, a cap's window, the engagement window, a lookback. */
export const POSITIVE_DURATION_PATTERN = "^(?=.*[1-9])(\\d+[smhdw])+$";
const WHOLE = new RegExp(SIGNED_DURATION_PATTERN);

/** Parses a duration string to milliseconds, or returns undefined when it is malformed. */
export function parseDuration(text: string): number | undefined {
  if (!WHOLE.test(text)) return undefined;
  const sign = text.startsWith("-") ? -1 : 1;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)([smhdw])/g)) total += Number(amount) * UNIT_MS[unit!]!;
  return sign * total;
}

/** Shortest exact rendering of a duration, e.g. 129600000 → `1d12h`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  let rest = Math.abs(ms);
  let out = ms < 0 ? "-" : "";
  for (const unit of ["d", "h", "m", "s"] as const) {
    const size = UNIT_MS[unit]!;
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}

export const DAY_MS = UNIT_MS.d!;
export const HOUR_MS = UNIT_MS.h!;
