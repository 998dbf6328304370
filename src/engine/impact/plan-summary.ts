/**
 * A plan boiled down to what an impact preview compares: counts per (campaign, step),
 * per message type and per held-back status, and the set of users reached. The user set
 * stays in memory for the newly/no-longer-reached counts; it is never printed.
 */
import type { MessageType } from "../config/types.ts";
import type { HeldStatus, Plan } from "../evaluate/types.ts";

/** Counts for one (campaign, step). */
export interface StepCounts {
  sends: number;
  held: Partial<Record<HeldStatus, number>>;
}

export interface PlanSummary {
  sends: number;
  /** Keyed by `campaign/step`. */
  steps: Map<string, StepCounts>;
  byType: Partial<Record<MessageType, number>>;
  held: Partial<Record<HeldStatus, number>>;
  /** User ids with at least one send (in memory only). */
  reached: Set<string>;
  warnings: string[];
}

/** `campaign/step`, the key of a row in the comparison. */
export const stepKey = (campaign: string, step: string): string => `${campaign}/${step}`;

const bump = <K extends string>(counts: Partial<Record<K, number>>, key: K): void => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/**
 * Copies what the comparison needs out of a plan, so the snapshot connection can be
 * evaluated again (evaluate() reuses its temporary tables).
 */
export function summarisePlan(plan: Plan): PlanSummary {
  const steps = new Map<string, StepCounts>();
  const row = (campaign: string, step: string): StepCounts => {
    const key = stepKey(campaign, step);
    let counts = steps.get(key);
    if (!counts) steps.set(key, (counts = { sends: 0, held: {} }));
    return counts;
  };
  const summary: PlanSummary = { sends: plan.sends.length, steps, byType: {}, held: {}, reached: new Set(), warnings: [...plan.warnings] };
  for (const send of plan.sends) {
    row(send.campaign, send.step).sends++;
    bump(summary.byType, send.type);
    summary.reached.add(send.userId);
  }
  for (const held of plan.held) {
    bump(row(held.campaign, held.step).held, held.status);
    bump(summary.held, held.status);
  }
  return summary;
}
