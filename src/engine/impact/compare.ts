/**
 * Compares two plan summaries (the base ref's config and the working config, evaluated
 * over the same snapshot at the same instant) row by row: (campaign, step), message type,
 * held-back status, and users reached. Only counts and config ids come out.
 */
import type { Config, MessageType } from "../config/types.ts";
import { MESSAGE_TYPES } from "../config/types.ts";
import type { HeldStatus } from "../evaluate/types.ts";
import { stepKey, type PlanSummary, type StepCounts } from "./plan-summary.ts";

/** How a row's definition changed between the two configs. */
export type RowChange = "new campaign" | "new step" | "removed campaign" | "removed step";

/** One (campaign, step): sends and held-back counts under base and head. */
export interface StepDiff {
  campaign: string;
  step: string;
  change?: RowChange;
  /** null when the base config could not be evaluated. */
  base: number | null;
  head: number;
  delta: number | null;
  heldBase: Partial<Record<HeldStatus, number>> | null;
  heldHead: Partial<Record<HeldStatus, number>>;
  /** Something differs: a new or removed step, a send delta, or held-back counts. */
  changed: boolean;
}

/** A count under base and head, e.g. sends of one message type. */
export interface CountDiff<K extends string = string> {
  key: K;
  base: number | null;
  head: number;
  delta: number | null;
}

export interface PlanComparison {
  sends: CountDiff<"sends">;
  rows: StepDiff[];
  byType: CountDiff<MessageType>[];
  held: CountDiff<HeldStatus>[];
  users: { base: number | null; head: number; newlyReached: number | null; noLongerReached: number | null };
  campaigns: { added: string[]; removed: string[] };
}

/** One side of the comparison. */
export interface Side {
  config: Config;
  summary: PlanSummary;
}

const HELD_ORDER: HeldStatus[] = ["capped", "suppressed", "too_late", "no_email", "outside_window", "exited", "goal_reached"];

const count = <K extends string>(key: K, base: number | null, head: number): CountDiff<K> => ({ key, base, head, delta: base === null ? null : head - base });

const sameHeld = (a: Partial<Record<string, number>>, b: Partial<Record<string, number>>): boolean =>
  HELD_ORDER.every((s) => (a[s] ?? 0) === (b[s] ?? 0));

/** Every (campaign, step) row in config order: head's campaigns first, then removed ones, then any only in a plan. */
function rowKeys(base: Side | undefined, head: Side): { campaign: string; step: string; change?: RowChange }[] {
  const out: { campaign: string; step: string; change?: RowChange }[] = [];
  const seen = new Set<string>();
  const add = (campaign: string, step: string, change?: RowChange): void => {
    const key = stepKey(campaign, step);
    if (seen.has(key)) return;
    seen.add(key);
    out.push(change ? { campaign, step, change } : { campaign, step });
  };
  const baseCampaigns = base?.config.campaigns;
  for (const c of head.config.campaigns.values()) {
    const before = baseCampaigns?.get(c.id);
    for (const s of c.steps) {
      const change: RowChange | undefined = !baseCampaigns ? undefined : !before ? "new campaign" : before.steps.some((b) => b.id === s.id) ? undefined : "new step";
      add(c.id, s.id, change);
    }
  }
  for (const c of baseCampaigns?.values() ?? []) {
    const now = head.config.campaigns.get(c.id);
    for (const s of c.steps) add(c.id, s.id, now ? "removed step" : "removed campaign");
  }
  for (const key of [...(base?.summary.steps.keys() ?? []), ...head.summary.steps.keys()]) {
    const [campaign, step] = key.split("/") as [string, string];
    add(campaign, step);
  }
  return out;
}

/**
 * Compares the base side (undefined when the base config is invalid) with the head side.
 *
 * @example
 * const cmp = comparePlans({ config: baseConfig, summary: summarisePlan(basePlan) }, { config, summary: summarisePlan(headPlan) });
 * cmp.rows.filter((r) => r.changed);
 */
export function comparePlans(base: Side | undefined, head: Side): PlanComparison {
  const empty: StepCounts = { sends: 0, held: {} };
  const rows: StepDiff[] = rowKeys(base, head).map(({ campaign, step, change }) => {
    const key = stepKey(campaign, step);
    const b = base ? (base.summary.steps.get(key) ?? empty) : undefined;
    const h = head.summary.steps.get(key) ?? empty;
    const delta = b ? h.sends - b.sends : null;
    return {
      campaign, step, ...(change ? { change } : {}),
      base: b ? b.sends : null, head: h.sends, delta,
      heldBase: b ? b.held : null, heldHead: h.held,
      changed: !!change || (b !== undefined && (delta !== 0 || !sameHeld(b.held, h.held))),
    };
  });
  const types = MESSAGE_TYPES.filter((t) => (base?.summary.byType[t] ?? 0) > 0 || (head.summary.byType[t] ?? 0) > 0);
  const statuses = HELD_ORDER.filter((s) => (base?.summary.held[s] ?? 0) > 0 || (head.summary.held[s] ?? 0) > 0);
  const reachedBase = base?.summary.reached;
  const reachedHead = head.summary.reached;
  const minus = (a: Set<string>, b: Set<string>): number => [...a].filter((u) => !b.has(u)).length;
  const ids = (side: Side | undefined): Set<string> => new Set(side?.config.campaigns.keys() ?? []);
  return {
    sends: count("sends", base ? base.summary.sends : null, head.summary.sends),
    rows,
    byType: types.map((t) => count(t, base ? (base.summary.byType[t] ?? 0) : null, head.summary.byType[t] ?? 0)),
    held: statuses.map((s) => count(s, base ? (base.summary.held[s] ?? 0) : null, head.summary.held[s] ?? 0)),
    users: {
      base: reachedBase ? reachedBase.size : null,
      head: reachedHead.size,
      newlyReached: reachedBase ? minus(reachedHead, reachedBase) : null,
      noLongerReached: reachedBase ? minus(reachedBase, reachedHead) : null,
    },
    campaigns: base
      ? { added: [...ids(head)].filter((id) => !base.config.campaigns.has(id)), removed: [...ids(base)].filter((id) => !head.config.campaigns.has(id)) }
      : { added: [], removed: [] },
  };
}
