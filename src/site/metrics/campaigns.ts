import type { DuckDBConnection } from "@duckdb/node-api";
import { FUNNEL_COLUMNS, MESSAGES } from "../messages.ts";
import { num, rows, str, ts } from "../db.ts";
import { funnelFrom, type Funnel } from "./funnel.ts";
import { MESSAGE_TYPES } from "../../engine/config/types.ts";

export interface StepFunnel {
  campaign: string;
  step: string;
  funnel: Funnel;
}

export interface TypeFunnel {
  type: string;
  funnel: Funnel;
}

/** The funnel of every message sent in [from, to) (all time when omitted). */
export async function totalFunnel(conn: DuckDBConnection, k: number, from?: Date, to?: Date): Promise<Funnel> {
  const where = [from ? `sent_at >= ${ts(from)}` : "TRUE", to ? `sent_at < ${ts(to)}` : "TRUE"].join(" AND ");
  const [r] = await rows(conn, `SELECT ${FUNNEL_COLUMNS} FROM ${MESSAGES} WHERE ${where}`);
  return funnelFrom(r ?? {}, k);
}

/**
 * One funnel per (campaign, step): sent → delivered → opened → clicked → converted, plus
 * unsubscribes. Steps follow `order` (campaign → step ids in config order) where known.
 */
export async function stepFunnels(conn: DuckDBConnection, k: number, order: Map<string, string[]> = new Map()): Promise<StepFunnel[]> {
  const found = await rows(conn, `SELECT campaign, step, ${FUNNEL_COLUMNS} FROM ${MESSAGES} GROUP BY campaign, step`);
  const rank = (campaign: string, step: string): number => {
    const i = order.get(campaign)?.indexOf(step) ?? -1;
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  return found
    .map((r) => ({ campaign: str(r.campaign), step: str(r.step), funnel: funnelFrom(r, k) }))
    .sort((a, b) => a.campaign.localeCompare(b.campaign) || rank(a.campaign, a.step) - rank(b.campaign, b.step) || a.step.localeCompare(b.step));
}

/** One funnel per message type, in the fixed order regular, promo, trigger, service, survey. */
export async function typeFunnels(conn: DuckDBConnection, k: number): Promise<TypeFunnel[]> {
  const found = await rows(conn, `SELECT type, ${FUNNEL_COLUMNS} FROM ${MESSAGES} GROUP BY type`);
  const rank = (t: string): number => {
    const i = (MESSAGE_TYPES as readonly string[]).indexOf(t);
    return i < 0 ? MESSAGE_TYPES.length : i;
  };
  return found.map((r) => ({ type: str(r.type), funnel: funnelFrom(r, k) })).sort((a, b) => rank(a.type) - rank(b.type));
}

/** How many messages were sent per day: the volume chart, and a quick sense of data age. */
export async function sendsPerWeek(conn: DuckDBConnection, timezone: string): Promise<{ week: string; sent: number; users: number }[]> {
  const found = await rows(
    conn,
    `SELECT strftime(date_trunc('week', timezone($tz, sent_at)), '%Y-%m-%d') AS week,
            count(*)::INTEGER AS sent, count(DISTINCT user_id)::INTEGER AS users
     FROM ${MESSAGES} GROUP BY week ORDER BY week`,
    { tz: timezone },
  );
  return found.map((r) => ({ week: str(r.week), sent: num(r.sent), users: num(r.users) }));
}
