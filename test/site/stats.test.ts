import { describe, expect, it } from "vitest";
import { normalCdf, nps, npsGroup, SMALL_N, twoProportionZ } from "../../src/site/stats.ts";
import { count, rate } from "../../src/site/privacy.ts";

describe("NPS and its 95% margin of error", () => {
  it("standard formula for n ≥ 30: 1.96·100·√(((p+d) − (p−d)²)/n)", () => {
    // 50 promoters, 30 passives, 20 detractors: p = .5, d = .2, n = 100.
    const r = nps(50, 30, 20);
    expect(r.nps).toBe(30);
    expect(r.adjusted).toBe(false);
    expect(r.marginOfError).toBeCloseTo(196 * Math.sqrt((0.7 - 0.09) / 100), 10); // 15.308
    expect(r.marginOfError).toBeCloseTo(15.308, 3);
  });

  it("adjusted-Wald for small n: ¾ added to each count, 3 to n", () => {
    // 3 promoters, 1 passive, 2 detractors: p' = 3.75/9, d' = 2.75/9, n' = 9.
    const r = nps(3, 1, 2);
    expect(r.nps).toBeCloseTo(16.667, 3); // the score itself stays the plain one
    expect(r.adjusted).toBe(true);
    expect(r.marginOfError).toBeCloseTo(55.046, 2);
  });

  it.each([
    [SMALL_N - 1, true],
    [SMALL_N, false],
  ])("n = %i uses adjusted-Wald: %s", (n, adjusted) => {
    expect(nps(n, 0, 0).adjusted).toBe(adjusted);
  });

  it("no responses: null, never NaN", () => {
    expect(nps(0, 0, 0)).toMatchObject({ nps: null, marginOfError: null });
  });

  it.each([
    [0, "detractor"],
    [6, "detractor"],
    [7, "passive"],
    [8, "passive"],
    [9, "promoter"],
    [10, "promoter"],
  ] as const)("score %i is a %s", (score, group) => expect(npsGroup(score)).toBe(group));
});

describe("two-proportion z-test", () => {
  it("matches a hand-worked case", () => {
    // 30/200 vs 15/200: pooled .1125, se = √(.1125·.8875·.01) = .031598, z = .075/.031598 = 2.3736
    const { z, p } = twoProportionZ(30, 200, 15, 200);
    expect(z).toBeCloseTo(2.3736, 3);
    expect(p).toBeCloseTo(0.0176, 3);
  });

  it.each([
    [0, 0, 5, 10],
    [0, 10, 0, 10],
    [10, 10, 10, 10],
  ])("cannot be computed for %i/%i vs %i/%i", (x1, n1, x2, n2) => {
    expect(twoProportionZ(x1, n1, x2, n2)).toEqual({ z: null, p: null });
  });

  it("normal CDF", () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.96)).toBeCloseTo(0.975, 4);
    expect(normalCdf(-1.96)).toBeCloseTo(0.025, 4);
  });
});

describe("k hiding", () => {
  it.each([
    [0, 5, 0],
    [1, 5, "hidden"],
    [4, 5, "hidden"],
    [5, 5, 5],
    [3, 1, 3],
  ])("%i users with k = %i → %s", (users, k, shown) => expect(count(users, users, k)).toBe(shown));

  it("a rate over fewer than k users hides both parts and the rate", () => {
    expect(rate(1, 1, 4, 4, 5)).toEqual({ numerator: "hidden", denominator: "hidden", rate: "hidden" });
    expect(rate(0, 0, 0, 0, 5)).toEqual({ numerator: 0, denominator: 0, rate: null });
  });

  it.each([
    [3, 10, "hidden"], // 3 of 10 would publish the 3
    [0, 10, 0], // nobody: shown
    [5, 10, 0.5],
  ])("a rate of %i over %i users is %s", (num, den, shown) => {
    expect(rate(num, num, den, den, 5).rate).toBe(shown);
  });
});
