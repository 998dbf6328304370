/**
 * Lead scoring as set-based SQL.
 *
 * A rule's occurrences are its matching events up to `now` (one scan of `events` for all
 * event rules together), or, for email behaviour, messages from `email_messages`:
 *
 * - `email.opened` / `email.clicked` rules count emails, not events: each email once, at
 *   its first human open (or click — a click is an open) / its first click, and with
 *   `where` at the first of those that matches it. Machine opens never score.
 * - `signal: email_unopened` is an email delivered and neither opened by a person nor
 *   clicked within 3 days; it occurs at delivery + 3 days, once that instant has passed.
 *   Its `where` matches the email's send or delivery event.
 *
 * Awards: every `per`-th occurrence of a rule (in time order) gives `points` at the instant
 * of that occurrence; `max_points` caps the absolute total of the rule in award order (the
 * last award may be partial); `within` keeps only occurrences in the last `within` before
 * `now`. The score is the sum of awards, each halved for every `decay.half_life` since it
 * was given. Band: hot at `bands.hot` or more, warm at `bands.warm` or more, else cold.
 *
 * `score_reached` compares the same score at every instant it can rise (`scoreHistorySql`).
 */
import type { ScoreRule, Scoring } from "../config/types.ts";
import { whereSql } from "./conditions.ts";
import { messageHashSql } from "./email-activity.ts";
import { sqlInstant, sqlInterval, sqlString } from "./literals.ts";

/** Delivered and not opened within this long: the `email_unopened` signal. */
export const UNOPENED_AFTER_MS = 3 * 86_400_000;

/** `SELECT user_id, rule, ts`: every occurrence of every rule up to `now` (rule = index in `scoring.rules`). */
export function scoreOccurrencesSql(scoring: Scoring, now: Date): string {
  const at = sqlInstant(now);
  const parts: string[] = [];
  const plain = scoring.rules.map((rule, i) => ({ rule, i })).filter(({ rule }) => rule.event && !isEmailMessageRule(rule));
  if (plain.length) {
    const arms = plain.map(({ rule, i }) => `CASE WHEN e.event = ${sqlString(rule.event!)}${whereSql(rule.where, "e")} THEN ${i} END`);
    const names = [...new Set(plain.map(({ rule }) => sqlString(rule.event!)))].join(", ");
    parts.push(`SELECT user_id, rule, ts FROM (
      SELECT e.user_id, e.ts, unnest([${arms.join(", ")}]) AS rule FROM events e WHERE e.ts <= ${at} AND e.event IN (${names})
    ) WHERE rule IS NOT NULL`);
  }
  scoring.rules.forEach((rule, i) => {
    if (rule.signal === "email_unopened") {
      const due = `m.delivered_at + ${sqlInterval(UNOPENED_AFTER_MS)}`;
      // A property match reads the message's send or delivery event (its campaign, step, type…).
      const where = rule.where ? ` AND EXISTS (SELECT 1 FROM events e WHERE e.user_id = m.user_id AND e.event IN ('email.sent', 'email.delivered')
        AND e.ts <= ${at} AND ${messageHashSql("e")} = m.msg${whereSql(rule.where, "e")})` : "";
      parts.push(`SELECT m.user_id, ${i} AS rule, ${due} AS ts FROM email_messages m
        WHERE ${due} <= ${at} AND (m.engaged_at IS NULL OR m.engaged_at > ${due})${where}`);
    } else if (isEmailMessageRule(rule) && rule.where) {
      // Each email once, at its first human open or click (or first click) that matches:
      // the events themselves, as of now, with machine opens left out as email_activity does.
      const names = rule.event === "email.opened" ? "('email.opened', 'email.clicked')" : "('email.clicked')";
      parts.push(`SELECT e.user_id, ${i} AS rule, min(e.ts) AS ts FROM (
          SELECT e.user_id, e.event, e.ts, ${messageHashSql("e")} AS msg FROM events e
          WHERE e.ts <= ${at} AND e.event IN ${names}${whereSql(rule.where, "e")}) e
        WHERE EXISTS (SELECT 1 FROM email_activity a WHERE a.user_id = e.user_id AND a.msg = e.msg AND a.event = e.event AND a.ts = e.ts)
        GROUP BY e.user_id, e.msg`);
    } else if (isEmailMessageRule(rule)) {
      const column = rule.event === "email.opened" ? "engaged_at" : "clicked_at";
      parts.push(`SELECT m.user_id, ${i} AS rule, m.${column} AS ts FROM email_messages m WHERE m.${column} IS NOT NULL`);
    }
  });
  return parts.length ? parts.join("\nUNION ALL\n") : "SELECT NULL::VARCHAR AS user_id, NULL::INTEGER AS rule, NULL::TIMESTAMPTZ AS ts WHERE false";
}

/**
 * `SELECT user_id, rule, award_at, points` from the table `score_occurrences`: the awards
 * as of `now`, honouring `per` and `max_points`, and `within` unless `ignoreWithin`.
 */
export function scoreAwardsSql(scoring: Scoring, now: Date, options: { ignoreWithin?: boolean } = {}): string {
  if (!scoring.rules.length) return "SELECT NULL::VARCHAR AS user_id, NULL::INTEGER AS rule, NULL::TIMESTAMPTZ AS award_at, NULL::DOUBLE AS points WHERE false";
  return `WITH r(rule, points, per, cap, within_ms) AS (${rulesValuesSql(scoring, options)}),
    o AS (SELECT s.user_id, s.rule, s.ts, row_number() OVER (PARTITION BY s.user_id, s.rule ORDER BY s.ts) AS n
      FROM score_occurrences s JOIN r ON r.rule = s.rule
      WHERE s.ts <= ${sqlInstant(now)} AND (r.within_ms IS NULL OR s.ts > ${sqlInstant(now)} - to_milliseconds(r.within_ms))),
    a AS (SELECT o.user_id, o.rule, o.ts AS award_at, ${awardPointsSql("o.n")} AS points
      FROM o JOIN r ON r.rule = o.rule WHERE o.n % r.per = 0)
    SELECT user_id, rule, award_at, points FROM a WHERE points <> 0`;
}

/** `VALUES (rule, points, per, cap, within_ms), …`: the rules as a table (within_ms NULL when none, or when ignored). */
function rulesValuesSql(scoring: Scoring, options: { ignoreWithin?: boolean } = {}): string {
  return `VALUES ${scoring.rules.map((r, i) =>
    `(${i}, ${Number(r.points)}::DOUBLE, ${Math.max(1, Math.floor(r.per))}, ${r.maxPoints ?? "NULL"}::DOUBLE, ${r.withinMs === undefined || options.ignoreWithin ? "NULL" : Math.round(r.withinMs)}::BIGINT)`).join(", ")}`;
}

/** The points of the award at the rule's (`r`) `n`-th occurrence, a multiple of `per`: `max_points` caps the total. */
const awardPointsSql = (n: string): string =>
  `sign(r.points) * CASE WHEN r.cap IS NULL THEN abs(r.points) ELSE least(abs(r.points), greatest(0, r.cap - abs(r.points) * (${n} // r.per - 1))) END`;

/** SQL: `points` given at instant `from`, halved for every `halfLifeMs` until instant `to` (as they are without decay). */
const decayedSql = (points: string, to: string, from: string, halfLifeMs?: number): string =>
  (halfLifeMs ? `${points} * pow(0.5, (epoch_ms(${to}) - epoch_ms(${from})) / ${Number(halfLifeMs)})` : points);

/** `SELECT user_id, score, band` for every user, from `score_awards` (awards as of `now`). */
export function userScoresSql(scoring: Scoring, now: Date): string {
  const half = scoring.decayHalfLifeMs;
  const decayed = decayedSql("a.points", sqlInstant(now), "a.award_at", half);
  return `SELECT user_id, score,
      CASE WHEN score >= ${scoring.bands.hot} THEN 'hot' WHEN score >= ${scoring.bands.warm} THEN 'warm' ELSE 'cold' END AS band
    FROM (SELECT u.user_id, round(coalesce(sum(${decayed}), 0), 6) AS score
      FROM users u LEFT JOIN score_awards a ON a.user_id = u.user_id GROUP BY u.user_id)`;
}

/**
 * `SELECT user_id, award_at, running` for `score_reached` entries: the score, as bands and
 * `explain` have it (`per`, `max_points`, `within`, decay), at every instant it can rise,
 * up to `now`; `award_at` is that instant. Reads `score_occurrences` (and `score_awards`).
 *
 * A decaying score only shrinks towards 0 between those instants (every award decays at
 * the same rate), so a threshold, which the schema keeps above 0, is first reached at one
 * of them: an award of a rule without `within`, an occurrence of a rule with one, or the
 * instant an occurrence leaves its `within` window (a negative award lapsing, or a later
 * occurrence taking its place under `max_points` or `per`, whose award is younger and so
 * decayed less).
 *
 * Only users who can reach `threshold` (the lowest one compared) are counted: the score is
 * never more than the sum of the user's positive awards over the whole history without
 * `within` windows (a window only holds fewer occurrences than all of them). At 1M users
 * that leaves 7,824 users and 158,280 of 7.5M awards for a threshold of 50, and the table
 * takes 2.5 s instead of 5.1 s for every user's all-history totals. The margin covers
 * rounding to six places.
 *
 * Without `within` rules the score at each award is a running total of all-history awards
 * (`runningTotalsSql`). With them, that running total of the other rules' awards, decayed
 * from its last award to each instant (an as-of join), is added to the `within` rules'
 * awards as of that instant: their occurrences in the window before it, ranked afresh.
 */
export function scoreHistorySql(scoring: Scoring, now: Date, threshold: number): string {
  const windowed = scoring.rules.flatMap((r, i) => (r.withinMs === undefined ? [] : [i]));
  const awards = windowed.length ? scoreAwardsSql(scoring, now, { ignoreWithin: true }) : "SELECT * FROM score_awards";
  const keep = `WITH all_awards AS MATERIALIZED (${awards}),
    keep AS (SELECT user_id FROM all_awards GROUP BY user_id
      HAVING sum(points) FILTER (WHERE points > 0) >= ${Number(threshold)} - 1e-6 * greatest(1, ${Number(threshold)}))`;
  const half = scoring.decayHalfLifeMs;
  if (!windowed.length) return `${keep} ${runningTotalsSql("SELECT * FROM all_awards WHERE user_id IN (SELECT user_id FROM keep)", half)}`;
  const rules = windowed.join(", ");
  return `${keep},
    r(rule, points, per, cap, within_ms) AS (${rulesValuesSql(scoring)}),
    plain AS MATERIALIZED (SELECT * FROM all_awards WHERE rule NOT IN (${rules}) AND user_id IN (SELECT user_id FROM keep)),
    run AS MATERIALIZED (${runningTotalsSql("SELECT * FROM plain", half)}),
    occ AS MATERIALIZED (SELECT s.user_id, s.rule, s.ts, r.within_ms FROM score_occurrences s JOIN r ON r.rule = s.rule
      WHERE s.rule IN (${rules}) AND s.ts <= ${sqlInstant(now)} AND s.user_id IN (SELECT user_id FROM keep)),
    cand AS MATERIALIZED (SELECT DISTINCT user_id, t FROM (
        SELECT user_id, award_at AS t FROM plain
        UNION ALL SELECT user_id, ts FROM occ
        UNION ALL SELECT user_id, ts + to_milliseconds(within_ms) FROM occ WHERE ts + to_milliseconds(within_ms) <= ${sqlInstant(now)})),
    base AS (SELECT c.user_id, c.t, coalesce(${decayedSql("p.running", "c.t", "p.award_at", half)}, 0) AS total
      FROM cand c ASOF LEFT JOIN run p ON p.user_id = c.user_id AND c.t >= p.award_at),
    win AS (SELECT c.user_id, c.t, o.rule, o.ts, row_number() OVER (PARTITION BY c.user_id, c.t, o.rule ORDER BY o.ts) AS n
      FROM cand c JOIN occ o ON o.user_id = c.user_id AND o.ts <= c.t AND o.ts > c.t - to_milliseconds(o.within_ms)),
    part AS (SELECT w.user_id, w.t, sum(${decayedSql(awardPointsSql("w.n"), "w.t", "w.ts", half)}) AS total
      FROM win w JOIN r ON r.rule = w.rule WHERE w.n % r.per = 0 GROUP BY w.user_id, w.t)
    SELECT b.user_id, b.t AS award_at, round(b.total + coalesce(w.total, 0), 6) AS running
    FROM base b LEFT JOIN part w ON w.user_id = b.user_id AND w.t = b.t`;
}

/**
 * `SELECT user_id, award_at, running`: the running total at each award, from all-history
 * awards `awards`, each award halved for every `halfLifeMs` (when given) between it and
 * that award, and rounded as the score is. Awards at one instant are added together
 * first (a RANGE frame), so the total never passes through a value it did not hold,
 * whatever the order of the rules in scoring.json.
 *
 * Between awards a decayed score only shrinks towards 0 (every award decays at the same
 * rate), so a positive threshold is first reached at an award. Decayed, an award weighs
 * 2^(x_i - x) at instant x (in half-lives); the sum is taken as 2^-x · Σ points · 2^x_i,
 * each x measured from the start of a block of 128 half-lives so 2^x never overflows.
 * An award more than 64 half-lives old (under 10^-19 of its points) counts as 0: the
 * frame that reaches 64 back always lies inside one block of one of two block grids, set
 * 64 half-lives apart, and each row reads the grid where it does.
 */
function runningTotalsSql(awards: string, halfLifeMs?: number): string {
  if (!halfLifeMs) {
    return `SELECT user_id, award_at,
        sum(points) OVER (PARTITION BY user_id ORDER BY award_at RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running
      FROM (${awards})`;
  }
  const reach = Math.round(REACH_HALF_LIVES * halfLifeMs);
  /** The decayed sum over the frame in the grid shifted by `shift` half-lives, and where x lies in its block. */
  const grid = (shift: number) => {
    const offset = `(x + ${shift} - ${BLOCK} * floor((x + ${shift}) / ${BLOCK}))`;
    const sum = `sum(points * pow(2, ${offset})) OVER (PARTITION BY user_id, floor((x + ${shift}) / ${BLOCK}) ORDER BY ms
      RANGE BETWEEN ${reach} PRECEDING AND CURRENT ROW) * pow(2, -${offset})`;
    return { offset, sum };
  };
  const [a, b] = [grid(0), grid(REACH_HALF_LIVES)];
  return `SELECT user_id, award_at, round(CASE WHEN ${a.offset} >= ${REACH_HALF_LIVES} THEN running_a ELSE running_b END, 6) AS running FROM (
      SELECT user_id, award_at, x, ${a.sum} AS running_a, ${b.sum} AS running_b
      FROM (SELECT user_id, award_at, points, epoch_ms(award_at) AS ms, epoch_ms(award_at) / ${Number(halfLifeMs)} AS x FROM (${awards})))`;
}

/** How far back (in half-lives) a decayed running total reads, and the blocks (twice that) its powers of two are taken in. */
const REACH_HALF_LIVES = 64;
const BLOCK = 2 * REACH_HALF_LIVES;

/** `SELECT user_id, occurred_at` of a `score_reached` entry: the first award at which the running total reached `threshold`. */
export function scoreReachedSql(threshold: number, now: Date): string {
  return `SELECT user_id, min(award_at) AS occurred_at FROM score_history
    WHERE running >= ${Number(threshold)} AND award_at <= ${sqlInstant(now)} GROUP BY user_id`;
}

function isEmailMessageRule(rule: ScoreRule): boolean {
  return rule.event === "email.opened" || rule.event === "email.clicked";
}
