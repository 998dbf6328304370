import type { DuckDBConnection } from "@duckdb/node-api";
import { MESSAGES } from "../messages.ts";
import { num, rows, str } from "../db.ts";
import { rate, type Rate } from "../privacy.ts";
import { twoProportionZ } from "../stats.ts";

/** Significance level of the subject-line test. */
export const ALPHA = 0.05;

export interface VariantResult {
  variant: string;
  /** clicked ÷ sent: clicks, not opens, judge the test (opens are inflated by machine opens). */
  clickRate: Rate;
}

export interface SubjectTest {
  campaign: string;
  step: string;
  variants: VariantResult[];
  /** Best variant against the runner-up; null when the test cannot be computed. */
  z: number | null;
  p: number | null;
  verdict: string;
}

/**
 * Subject-line tests: every step whose messages carry a variant, with clicks and sends
 * per variant and a pooled two-proportion z-test of the best click rate against the
 * runner-up. A variant hidden for privacy makes the verdict "not enough data".
 */
export async function subjectTests(conn: DuckDBConnection, k: number): Promise<SubjectTest[]> {
  const found = await rows(
    conn,
    `SELECT campaign, step, variant,
            count(*)::INTEGER AS sent, count(DISTINCT user_id)::INTEGER AS sent_users,
            count(clicked_at)::INTEGER AS clicked, count(DISTINCT user_id) FILTER (WHERE clicked_at IS NOT NULL)::INTEGER AS clicked_users
     FROM ${MESSAGES} WHERE variant IS NOT NULL AND variant <> ''
     GROUP BY ALL ORDER BY campaign, step, variant`,
  );
  const groups = new Map<string, typeof found>();
  for (const r of found) {
    const id = `${str(r.campaign)}\0${str(r.step)}`;
    groups.set(id, [...(groups.get(id) ?? []), r]);
  }
  return [...groups.values()].map((g) => {
    const variants = g.map((r) => ({
      variant: str(r.variant),
      clickRate: rate(num(r.clicked), num(r.clicked_users), num(r.sent), num(r.sent_users), k),
      raw: { x: num(r.clicked), n: num(r.sent) },
    }));
    const test = { campaign: str(g[0]!.campaign), step: str(g[0]!.step), variants: variants.map(({ raw: _raw, ...v }) => v) };
    if (variants.length < 2) return { ...test, z: null, p: null, verdict: "only one variant has been sent so far" };
    if (variants.some((v) => v.clickRate.rate === "hidden")) return { ...test, z: null, p: null, verdict: "not enough data yet" };
    const ranked = [...variants].sort((a, b) => b.raw.x / (b.raw.n || 1) - a.raw.x / (a.raw.n || 1));
    const [best, next] = [ranked[0]!, ranked[1]!];
    const { z, p } = twoProportionZ(best.raw.x, best.raw.n, next.raw.x, next.raw.n);
    const verdict =
      p === null
        ? "no difference in clicks yet"
        : p < ALPHA
          ? `variant ${best.variant} wins on clicks (p = ${p.toFixed(3)})`
          : `no significant difference yet (p = ${p.toFixed(2)}); keep testing`;
    return { ...test, z, p, verdict };
  });
}
