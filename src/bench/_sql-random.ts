/**
 * Deterministic pseudo-random SQL expressions for the benchmark generator. Every draw is
 * a function of (seed, row, salt) through DuckDB's 64-bit `hash`, so a whole table is
 * made in one set-based statement and the same seed always makes the same rows.
 * Times are epoch microseconds (BIGINT) until they are written out.
 */

export const SECOND_US = 1_000_000;
export const MINUTE_US = 60 * SECOND_US;
export const HOUR_US = 60 * MINUTE_US;
export const DAY_US = 24 * HOUR_US;

/** A SQL string literal. */
export const lit = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/** A SQL list literal of strings. */
export const listOf = (items: readonly string[]): string => `[${items.map(lit).join(", ")}]`;

/** Uniform in [0, 1) from (seed, row, salt): each column passes its own salt. */
export const uniform = (seed: number, row: string, salt: number): string =>
  `((hash(${seed}, ${row}, ${salt}) % 1000000007) / 1000000007.0)`;

/** A whole number in [0, n). */
export const below = (seed: number, row: string, salt: number, n: number | string): string =>
  `(hash(${seed}, ${row}, ${salt}) % (${n}))::BIGINT`;

/** True with probability `p` (a number or a SQL expression). */
export const chance = (seed: number, row: string, salt: number, p: number | string): string =>
  `(${uniform(seed, row, salt)} < ${p})`;

/** Exponentially distributed, with mean `mean` (same unit as `mean`), as DOUBLE. */
export const exponential = (seed: number, row: string, salt: number, mean: number | string): string =>
  `(-ln(1 - ${uniform(seed, row, salt)}) * ${mean})`;

/** Log-normal with the given median and sigma (Box–Muller on two draws), as DOUBLE. */
export const logNormal = (seed: number, row: string, salt: number, median: number, sigma: number): string =>
  `exp(ln(${median}) + ${sigma} * sqrt(-2 * ln(1 - ${uniform(seed, row, salt)})) * cos(2 * pi() * ${uniform(seed, row, salt + 1)}))`;

/**
 * Picks from weighted items: the items are expanded into a list in proportion to their
 * integer weights (the demo's weights sum to about 100), then indexed by a hash.
 */
export function weightedPick<T extends string | number>(seed: number, row: string, salt: number, items: readonly (readonly [T, number])[]): string {
  const expanded: string[] = [];
  for (const [value, weight] of items) for (let k = 0; k < Math.max(1, Math.round(weight)); k++) expanded.push(String(value));
  const list = typeof items[0]?.[0] === "number" ? `[${expanded.join(", ")}]` : listOf(expanded);
  return `${list}[1 + ${below(seed, row, salt, expanded.length)}]`;
}

/** A TIMESTAMPTZ from epoch microseconds. */
export const tsFromUs = (us: string): string => `make_timestamptz((${us})::BIGINT)`;
