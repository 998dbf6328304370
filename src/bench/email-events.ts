/**
 * The email events a batch of sends produces, as one set-based query: the demo's
 * recipient model (src/demo/behaviour.ts) — 2% bad addresses that hard-bounce, 35% of
 * recipients behind a privacy proxy that "opens" within a minute of delivery, human opens
 * and clicks at the demo's rates per message type scaled by each recipient's
 * responsiveness, rare unsubscribes and complaints, NPS answers from survey clicks —
 * drawn from hashes of the message key. Every event carries key, campaign, step, type
 * (and variant) so it joins back to the ledger; nothing lands after `now`.
 */
import { RATES } from "../demo/behaviour.ts";
import { HOUR_US, MINUTE_US, SECOND_US, below, exponential, lit, logNormal, tsFromUs, uniform, weightedPick } from "./_sql-random.ts";

/** Weights of NPS scores 0–10 (the demo's, ×2 so they are whole numbers): NPS ≈ +30. */
const NPS_WEIGHTS = [2, 1, 1, 2, 3, 6, 11, 26, 34, 44, 56];
const UNSUBSCRIBE_REASONS = ["too many emails", "not relevant to me", "I never signed up", "other"] as const;

const rate = (field: "open" | "click" | "unsubscribe"): string =>
  `CASE type ${Object.entries(RATES).map(([t, r]) => `WHEN ${lit(t)} THEN ${r[field]}`).join(" ")} ELSE ${RATES.regular[field]} END`;

/**
 * `SELECT user_id, event, ts, properties, event_id` for every send in `sends` (columns
 * key, user_id, campaign, step, variant, template, type, "at").
 */
export function emailEventsSql(sends: string, o: { seed: number; nowUs: number; siteUrl: string }): string {
  const s = o.seed;
  const k = (salt: number): string => uniform(s, "key", salt);
  const user = (salt: number): string => uniform(s, "user_id", salt);
  const site = o.siteUrl.replace(/\/$/, "");
  const base = `CASE WHEN variant IS NULL THEN json_object('key', key, 'campaign', campaign, 'step', step, 'type', type)
    ELSE json_object('key', key, 'campaign', campaign, 'step', step, 'type', type, 'variant', variant) END`;
  const withProps = (extra: string): string => `json_merge_patch(base, json_object(${extra}))`;
  const ev = (event: string, ts: string, props: string, id: string, when = "true"): string =>
    `SELECT user_id, '${event}' AS event, (${ts})::BIGINT AS ts_us, ${props} AS properties, key || '-${id}' AS event_id FROM r WHERE ${when}`;
  return `WITH r0 AS (
      SELECT *, epoch_us("at") AS at_us, ${base} AS base,
        ${user(901)} < 0.02 AS bad_address, ${user(902)} < 0.35 AS proxy_opener, 0.55 + ${user(903)} * 0.9 AS responsiveness,
        ${rate("open")} AS open_rate, ${rate("click")} AS click_rate, ${rate("unsubscribe")} AS unsubscribe_rate
      FROM ${sends}
    ), r1 AS (
      SELECT *, at_us + (2 + ${below(s, "key", 1, 19)}) * ${SECOND_US} AS delivered_us,
        NOT bad_address AND ${k(2)} < least(0.97, open_rate * responsiveness) AS human_open
      FROM r0
    ), r2 AS (
      SELECT *, delivered_us + least(${logNormal(s, "key", 3, 2 * HOUR_US, 1.2)}, ${72 * HOUR_US}) AS opened_us,
        human_open AND unsubscribe_rate > 0 AND ${k(5)} < unsubscribe_rate * 3 AS unsubscribes
      FROM r1
    ), r AS (
      SELECT *, human_open AND NOT unsubscribes AND ${k(6)} < least(0.9, click_rate * responsiveness) AS clicks,
        opened_us + least(${logNormal(s, "key", 7, 2 * MINUTE_US, 1)}, ${HOUR_US}) AS clicked_us,
        ${weightedPick(s, "key", 9, NPS_WEIGHTS.map((w, score) => [score, w] as const))} AS nps_score
      FROM r2
    )
    SELECT user_id, event, ${tsFromUs("ts_us")} AS ts, properties, event_id FROM (
      ${ev("email.sent", "at_us", "base", "email.sent")}
      UNION ALL ${ev("email.bounced", "delivered_us", withProps("'bounce_type', 'hard'"), "email.bounced", "bad_address")}
      UNION ALL ${ev("email.delivered", "delivered_us", "base", "email.delivered", "NOT bad_address")}
      UNION ALL ${ev("email.opened", `delivered_us + (3 + ${below(s, "key", 10, 53)}) * ${SECOND_US}`, withProps("'machine', 1"), "email.opened", "NOT bad_address AND proxy_opener")}
      UNION ALL ${ev("email.opened", "opened_us", "base", "email.opened-human", "human_open")}
      UNION ALL ${ev("unsubscribed", `opened_us + (10 + ${below(s, "key", 11, 111)}) * ${SECOND_US}`,
        withProps(`'reason', ${weightedPick(s, "key", 12, UNSUBSCRIBE_REASONS.map((x) => [x, 1] as const))}`), "unsubscribed", "unsubscribes")}
      UNION ALL ${ev("email.clicked", "clicked_us", withProps(`'link', CASE WHEN type = 'survey' THEN '${site}/nps/' || nps_score || '/'
        ELSE 'https://taskly.example/go/' || template || '?utm_campaign=' || campaign || '&utm_content=' || step END`), "email.clicked", "clicks")}
      UNION ALL ${ev("nps.answered", `clicked_us + ${SECOND_US / 2}`, withProps("'score', nps_score"), "nps.answered", "clicks AND type = 'survey'")}
      UNION ALL ${ev("email.complained", `delivered_us + ${exponential(s, "key", 13, 6 * HOUR_US)}`, "base", "email.complained",
        `NOT bad_address AND NOT human_open AND type <> 'service' AND ${k(14)} < 0.0005`)}
    ) WHERE ts_us <= ${o.nowUs}`;
}
