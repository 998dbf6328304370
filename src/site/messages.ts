import type { DuckDBConnection } from "@duckdb/node-api";
import { lit } from "./db.ts";
import { whereSql, type PropertyMatch } from "./engine.ts";

/** What conversion means for one campaign: its goal event (with its property match) and attribution window. */
export interface GoalSpec {
  campaign: string;
  event: string;
  where?: PropertyMatch;
  attributionMs: number;
}

export interface MessageOptions {
  /** An open this soon after delivery is a machine (privacy-proxy) open, not a person. */
  machineOpenMs: number;
  goals: GoalSpec[];
}

/** The temp table every email metric reads: one row per message key. */
export const MESSAGES = "site_messages";

/**
 * Builds `site_messages`: one row per message that reached the provider, with the facts
 * the report counts (delivered, raw and human opens, click, bounce, complaint,
 * unsubscribe, conversion). The ledger is the source of what was sent (its `intent`
 * record names campaign, step, variant and type); `email.sent` events whose key the
 * ledger does not know (e.g. sends made before the ledger existed) are added from their
 * properties. Every email event joins back by `properties.key`.
 */
export async function buildMessages(conn: DuckDBConnection, opts: MessageOptions): Promise<void> {
  const goals = opts.goals.length ? opts.goals.map((g) => `(${lit(g.campaign)})`).join(", ") : "(NULL)";
  // One join per goal, with its `where` as the evaluator matches it (a plan=pro purchase is
  // no conversion for a goal of plan=team).
  const conversions = opts.goals.length
    ? opts.goals.map((g) => `SELECT m.key, ev.ts FROM msgs m
        JOIN events ev ON ev.user_id = m.user_id AND ev.event = ${lit(g.event)}
         AND ev.ts > m.sent_at AND ev.ts <= m.sent_at + to_milliseconds(${Math.round(g.attributionMs)})${whereSql(g.where, "ev")}
        WHERE m.campaign = ${lit(g.campaign)}`).join("\n      UNION ALL ")
    : "SELECT NULL::VARCHAR AS key, NULL::TIMESTAMPTZ AS ts WHERE false";
  await conn.run(`
    CREATE OR REPLACE TEMP TABLE ${MESSAGES} AS
    WITH intents AS (
      SELECT key, any_value(user_id) AS user_id, any_value(campaign) AS campaign, any_value(step) AS step,
             any_value(variant) AS variant, any_value(type) AS type
      FROM ledger WHERE kind = 'intent' GROUP BY key
    ),
    sent AS (SELECT key, min("at") AS sent_at FROM ledger WHERE kind = 'sent' GROUP BY key),
    from_ledger AS (SELECT i.*, s.sent_at FROM intents i JOIN sent s USING (key)),
    email AS (
      SELECT user_id, event, ts, properties, json_extract_string(properties, '$.key') AS key
      FROM events
      WHERE (event LIKE 'email.%' OR event = 'unsubscribed') AND json_extract_string(properties, '$.key') IS NOT NULL
    ),
    from_events AS (
      SELECT key, any_value(user_id) AS user_id, any_value(json_extract_string(properties, '$.campaign')) AS campaign,
             any_value(json_extract_string(properties, '$.step')) AS step, any_value(json_extract_string(properties, '$.variant')) AS variant,
             any_value(json_extract_string(properties, '$.type')) AS type, min(ts) AS sent_at
      FROM email WHERE event = 'email.sent' AND key NOT IN (SELECT key FROM from_ledger)
      GROUP BY key
    ),
    msgs AS (SELECT * FROM from_ledger UNION ALL BY NAME SELECT * FROM from_events),
    firsts AS (
      SELECT key,
        min(ts) FILTER (WHERE event = 'email.delivered') AS delivered_at,
        min(ts) FILTER (WHERE event = 'email.opened') AS opened_at,
        min(ts) FILTER (WHERE event = 'email.clicked') AS clicked_at,
        min(ts) FILTER (WHERE event = 'email.bounced') AS bounced_at,
        min(ts) FILTER (WHERE event = 'email.complained') AS complained_at,
        min(ts) FILTER (WHERE event = 'unsubscribed') AS unsubscribed_at
      FROM email GROUP BY key
    ),
    -- An open this soon after delivery (or after the send, when no delivery is known) is
    -- Apple MPP or a scanner pre-fetching images, as the evaluator's email_activity has it.
    human AS (
      SELECT e.key, min(e.ts) AS human_open_at
      FROM email e JOIN firsts f USING (key) LEFT JOIN msgs m USING (key)
      WHERE e.event = 'email.opened'
        AND NOT coalesce(e.ts <= coalesce(f.delivered_at, m.sent_at) + to_milliseconds(${Math.round(opts.machineOpenMs)}), false)
      GROUP BY e.key
    ),
    goals(campaign) AS (VALUES ${goals}),
    -- A goal event counts for an email sent before it within the campaign's attribution window.
    converted AS (SELECT key, min(ts) AS converted_at FROM (${conversions}) GROUP BY key)
    SELECT m.key, m.user_id, m.campaign, m.step, m.variant, coalesce(m.type, 'regular') AS type, m.sent_at,
           f.delivered_at, f.opened_at, h.human_open_at, f.clicked_at, f.bounced_at, f.complained_at,
           f.unsubscribed_at, c.converted_at,
           m.campaign IN (SELECT campaign FROM goals WHERE campaign IS NOT NULL) AS has_goal
    FROM msgs m LEFT JOIN firsts f USING (key) LEFT JOIN human h USING (key) LEFT JOIN converted c USING (key)
  `);
}

/**
 * SQL aggregate columns for the email funnel over `site_messages` rows: for every stage
 * the number of messages and of distinct users (privacy needs both).
 */
export const FUNNEL_COLUMNS = `
  count(*)::INTEGER AS sent, count(DISTINCT user_id)::INTEGER AS sent_users,
  count(delivered_at)::INTEGER AS delivered, count(DISTINCT user_id) FILTER (WHERE delivered_at IS NOT NULL)::INTEGER AS delivered_users,
  count(*) FILTER (WHERE delivered_at IS NOT NULL AND (opened_at IS NOT NULL OR clicked_at IS NOT NULL))::INTEGER AS opened,
  count(DISTINCT user_id) FILTER (WHERE delivered_at IS NOT NULL AND (opened_at IS NOT NULL OR clicked_at IS NOT NULL))::INTEGER AS opened_users,
  count(*) FILTER (WHERE delivered_at IS NOT NULL AND (human_open_at IS NOT NULL OR clicked_at IS NOT NULL))::INTEGER AS human_opened,
  count(DISTINCT user_id) FILTER (WHERE delivered_at IS NOT NULL AND (human_open_at IS NOT NULL OR clicked_at IS NOT NULL))::INTEGER AS human_opened_users,
  count(clicked_at) FILTER (WHERE delivered_at IS NOT NULL)::INTEGER AS clicked,
  count(DISTINCT user_id) FILTER (WHERE clicked_at IS NOT NULL AND delivered_at IS NOT NULL)::INTEGER AS clicked_users,
  count(converted_at) FILTER (WHERE has_goal AND delivered_at IS NOT NULL)::INTEGER AS converted,
  count(DISTINCT user_id) FILTER (WHERE converted_at IS NOT NULL AND has_goal AND delivered_at IS NOT NULL)::INTEGER AS converted_users,
  count(*) FILTER (WHERE has_goal AND delivered_at IS NOT NULL)::INTEGER AS goal_delivered,
  count(DISTINCT user_id) FILTER (WHERE has_goal AND delivered_at IS NOT NULL)::INTEGER AS goal_delivered_users,
  count(unsubscribed_at)::INTEGER AS unsubscribed, count(DISTINCT user_id) FILTER (WHERE unsubscribed_at IS NOT NULL)::INTEGER AS unsubscribed_users,
  count(bounced_at)::INTEGER AS bounced, count(DISTINCT user_id) FILTER (WHERE bounced_at IS NOT NULL)::INTEGER AS bounced_users,
  count(complained_at)::INTEGER AS complained, count(DISTINCT user_id) FILTER (WHERE complained_at IS NOT NULL)::INTEGER AS complained_users
`;
