/**
 * The product events of the benchmark population, drawn from each user's timeline in
 * `bench_people` (see people.ts) with the demo's event names and properties: first-week
 * tasks (activated users reach the 5-task bar), the first project, teammate invites, the
 * mobile app, pricing-page views, webinar registrations, abandoned and completed
 * checkouts, purchases, renewals, add-ons and referrals, then day-to-day use while the
 * user is active. Day-to-day use is what scales: its volume is set so the whole data set
 * reaches the requested number of events.
 */
import { PAGES } from "../demo/_people.ts";
import { DAY_US, HOUR_US, MINUTE_US, SECOND_US, below, chance, exponential, tsFromUs, uniform, weightedPick } from "./_sql-random.ts";
import type { PopulationOptions } from "./people.ts";

/** One event row before its time is checked against signup and `now`. */
const row = (event: string, ts: string, properties: string, id: string): string =>
  `SELECT user_id, created_us, '${event}' AS event, (${ts})::BIGINT AS ts_us, ${properties} AS properties, user_id || '-${id}' AS event_id`;

/** Events every user's timeline fixes (not day-to-day use); `chunk` is a table or subquery of bench_people rows. */
function fixedEventsSql(o: PopulationOptions, chunk: string): string {
  const s = o.seed;
  const purchase = `(SELECT * FROM ${chunk} WHERE paid_us IS NOT NULL)`;
  const firstWeek = `(SELECT user_id, created_us, i, k,
      created_us + least(${exponential(s, "i, k", 60, 1.3 * DAY_US)}, ${6.8 * DAY_US}) + (2 + ${below(s, "i, k", 61, 59)}) * ${MINUTE_US} AS at_us
    FROM (SELECT *, unnest(range(first_week_tasks)) AS k FROM ${chunk}))`;
  const invites = `(SELECT *, unnest(range(invites)) AS k FROM ${chunk})`;
  const renewals = `(SELECT *, unnest(range(renewals)) AS k FROM ${purchase})`;
  const json = (...pairs: string[]): string => `json_object(${pairs.join(", ")})`;
  return [
    `${row("task.created", "at_us", "NULL", "w' || k || '")} FROM ${firstWeek}`,
    `${row("task.completed", `at_us + ${exponential(s, "i, k", 62, 1.5 * DAY_US)}`, "NULL", "wc' || k || '")} FROM ${firstWeek} WHERE ${chance(s, "i, k", 63, 0.7)}`,
    `${row("project.created", `created_us + ${exponential(s, "i", 64, DAY_US)}`, "NULL", "p")} FROM ${chunk} WHERE first_week_tasks > 0 AND first_project`,
    `${row("teammate.invited", `created_us + ${exponential(s, "i", 65, 1.5 * DAY_US)} + k * ${exponential(s, "i, k", 66, 2 * DAY_US)}`, "NULL", "t' || k || '")} FROM ${invites}`,
    `${row("mobile_app.installed", "mobile_us", "NULL", "m")} FROM ${chunk} WHERE mobile_us IS NOT NULL`,
    `${row("page.viewed", "pricing_us", json("'path'", "'/pricing'"), "v")} FROM ${chunk} WHERE pricing_us IS NOT NULL`,
    `${row("page.viewed", `pricing_us + ${40 * SECOND_US}`, json("'path'", "pricing_ab"), "va")} FROM ${chunk} WHERE pricing_us IS NOT NULL AND pricing_ab IS NOT NULL`,
    `${row("webinar.registered", "webinar_us", "NULL", "r")} FROM ${chunk} WHERE webinar_us IS NOT NULL`,
    `${row("checkout.started", "abandoned_us", "NULL", "a")} FROM ${chunk} WHERE abandoned_us IS NOT NULL`,
    `${row("checkout.started", `checkout_us - (1 + ${below(s, "i", 67, 3)}) * ${DAY_US}`, "NULL", "ca")} FROM ${purchase} WHERE early_checkout`,
    `${row("page.viewed", `checkout_us - ${10 * MINUTE_US}`, json("'path'", "'/pricing'"), "vp")} FROM ${purchase}`,
    `${row("checkout.started", "checkout_us", "NULL", "cs")} FROM ${purchase}`,
    `${row("checkout.completed", `paid_us - ${SECOND_US}`, "NULL", "cc")} FROM ${purchase}`,
    `${row("subscription.purchased", "paid_us", json("'plan'", "paid_plan", "'amount'", "amount", "'billing'", "CASE WHEN yearly THEN 'yearly' ELSE 'monthly' END"), "sp")} FROM ${purchase}`,
    `${row("subscription.renewed", `paid_us + (k + 1) * term_days * ${DAY_US}`, json("'plan'", "paid_plan", "'amount'", "amount"), "sr' || k || '")} FROM ${renewals}`,
    `${row("addon.purchased", "paid_us + addon_delay_us", json("'addon'", "addon"), "ad")} FROM ${purchase} WHERE addon IS NOT NULL`,
    `${row("referral.sent", "paid_us + referral_delay_us", "NULL", "rf")} FROM ${purchase} WHERE referral_delay_us IS NOT NULL`,
  ].join("\nUNION ALL ");
}

/**
 * Day-to-day use: `n_ongoing` events per user, in the user's active spells, in working
 * hours, mostly on weekdays; the mix of the demo's active days (tasks created and
 * completed, a few projects and page views, assignments in teams).
 */
function ongoingEventsSql(o: PopulationOptions, chunk: string): string {
  const s = o.seed;
  const r = (salt: number): string => uniform(s, "i, k", salt);
  const length2 = `coalesce(greatest(0, least(${o.nowUs}, span2_from_us + span2_length_us) - span2_from_us), 0)`;
  const length1 = "greatest(0, span1_until_us - span1_from_us)";
  const instant = `CASE WHEN ${r(70)} * active_us < ${length2} THEN span2_from_us + (${r(71)} * ${length2})::BIGINT
    ELSE span1_from_us + (${r(71)} * ${length1})::BIGINT END`;
  const day = `(t_us // ${DAY_US}) * ${DAY_US}`;
  // Weekends are quiet: most weekend activity moves to the neighbouring weekday.
  const weekday = `dayofweek(${tsFromUs("t_us")})`;
  const shift = `CASE WHEN ${weekday} = 6 AND ${r(72)} < 0.65 THEN -${DAY_US} WHEN ${weekday} = 0 AND ${r(72)} < 0.65 THEN ${DAY_US} ELSE 0 END`;
  const pick = r(74);
  const event = `CASE WHEN ${pick} < 0.55 THEN 'task.created' WHEN ${pick} < 0.935 THEN 'task.completed' WHEN ${pick} < 0.948 THEN 'page.viewed'
    WHEN ${pick} < 0.954 THEN 'project.created' WHEN invites > 0 THEN 'task.assigned' ELSE 'task.created' END`;
  const properties = `CASE event WHEN 'page.viewed' THEN json_object('path', ${weightedPick(s, "i, k", 75, PAGES)})
    WHEN 'task.assigned' THEN json_object('assigned_by', 'u' || lpad((1 + ${below(s, "i, k", 76, o.users)})::VARCHAR, ${String(o.users).length}, '0')) END`;
  return `SELECT user_id, created_us, event, ts_us, ${properties} AS properties, user_id || '-o' || k AS event_id FROM (
      SELECT *, ${event} AS event, ${day} + ${shift} + ${7 * HOUR_US} + (${r(73)} * ${10 * HOUR_US})::BIGINT AS ts_us FROM (
        SELECT *, ${instant} AS t_us FROM (SELECT *, unnest(range(n_ongoing)) AS k FROM ${chunk})))`;
}

/** Only events after signup and up to `now`, as the snapshot's event shape. */
const finished = (o: PopulationOptions, union: string): string =>
  `SELECT user_id, event, ${tsFromUs("ts_us")} AS ts, properties::JSON AS properties, event_id
   FROM (${union}) WHERE ts_us >= created_us AND ts_us <= ${o.nowUs}`;

/** SQL counting the fixed (timeline) events of everyone: the rest of the budget goes to day-to-day use. */
export const fixedEventCountSql = (o: PopulationOptions): string =>
  `SELECT count(*) AS n FROM (${finished(o, fixedEventsSql(o, "bench_people"))})`;

/**
 * Adds `n_ongoing` to bench_people: `budget` day-to-day events shared out in proportion
 * to each user's active time (engaged users two and a half times as busy), rounded at random so
 * the total is close to the budget.
 */
export function ongoingShareSql(o: PopulationOptions, budget: number): string {
  const weight = "active_us::DOUBLE * CASE WHEN engaged THEN 1.0 ELSE 0.4 END";
  return `CREATE OR REPLACE TABLE bench_people AS
    SELECT *, floor(${Math.max(0, budget)} * ${weight} / nullif(sum(${weight}) OVER (), 0) + ${uniform(o.seed, "i", 77)})::INTEGER AS n_ongoing
    FROM bench_people`;
}

/** Every product event of the users in `where` (a condition on bench_people). */
export const productEventsSql = (o: PopulationOptions, where: string): string => {
  const chunk = `(SELECT * FROM bench_people WHERE ${where})`;
  return finished(o, `${fixedEventsSql(o, chunk)}\nUNION ALL ${ongoingEventsSql(o, chunk)}`);
};
