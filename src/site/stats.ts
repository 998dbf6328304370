/**
 * The statistics the report shows, as pure functions so they are tested on hand-worked
 * numbers: NPS with its margin of error, and the two-proportion z-test for subject lines.
 */

/** Below this many responses the margin of error uses the adjusted-Wald variant. */
export const SMALL_N = 30;

export interface NpsResult {
  n: number;
  promoters: number;
  passives: number;
  detractors: number;
  /** %promoters − %detractors, from −100 to 100; null without responses. */
  nps: number | null;
  /** 95% margin of error in NPS points; null without responses. */
  marginOfError: number | null;
  /** Whether the adjusted-Wald variant was used (small n). */
  adjusted: boolean;
}

/**
 * NPS and its 95% margin of error: 1.96 · 100 · √(((p + d) − (p − d)²) / n), where p and d
 * are the promoter and detractor shares. For n < SMALL_N the adjusted-Wald variant adds
 * ¾ to each count and 3 to n, which keeps the interval honest when n is tiny.
 * @example nps(3, 1, 2) // { nps: 16.7, marginOfError: 55.0, adjusted: true, … }
 */
export function nps(promoters: number, passives: number, detractors: number): NpsResult {
  const n = promoters + passives + detractors;
  if (n === 0) return { n, promoters, passives, detractors, nps: null, marginOfError: null, adjusted: false };
  const adjusted = n < SMALL_N;
  const extra = adjusted ? 0.75 : 0;
  const m = n + (adjusted ? 3 : 0);
  const p = (promoters + extra) / m;
  const d = (detractors + extra) / m;
  const variance = p + d - (p - d) ** 2;
  return {
    n,
    promoters,
    passives,
    detractors,
    nps: (100 * (promoters - detractors)) / n,
    marginOfError: 1.96 * 100 * Math.sqrt(Math.max(variance, 0) / m),
    adjusted,
  };
}

/** Which group an answer 0–10 belongs to. */
export const npsGroup = (score: number): "promoter" | "passive" | "detractor" =>
  score >= 9 ? "promoter" : score >= 7 ? "passive" : "detractor";

export interface ZTest {
  z: number | null;
  /** Two-sided p-value; null when the test cannot be computed (no sends or no variation). */
  p: number | null;
}

/** Two-proportion z-test (pooled) of x1/n1 against x2/n2, two-sided. */
export function twoProportionZ(x1: number, n1: number, x2: number, n2: number): ZTest {
  if (n1 === 0 || n2 === 0) return { z: null, p: null };
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return { z: null, p: null };
  const z = (x1 / n1 - x2 / n2) / se;
  return { z, p: 2 * (1 - normalCdf(Math.abs(z))) };
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 erf approximation, error < 1.5e-7). */
export function normalCdf(x: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}
