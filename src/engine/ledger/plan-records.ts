/**
 * The records a run writes for a plan besides its sends, shared by the sender, the demo's
 * simulated transport and the backtest so that all three record alike:
 *
 *   skipped      a row held as too late, or by the campaign's exit condition: it can never
 *                be sent, and once recorded it leaves later plans (an exit ends the
 *                occurrence, though its condition may stop holding tomorrow: the steps
 *                after a skipped one follow a sent email only)
 *   entered      an occurrence new to the ledger (`Plan.entered`: of an entry the snapshot
 *                gives only as of now, or of a `never` or cooldown campaign): once
 *                recorded, later plans still see it, so its steps stay due after the day
 *                it showed, and re-entry knows a run saw it on time
 *   suppressed   a user the plan found newly suppressed: once recorded the suppression
 *                outlives the event (a snapshot that later drops it does not lift it)
 */
import type { HeldBack, Plan } from "../evaluate/types.ts";
import type { EnteredRecord, SkippedRecord, SuppressedRecord } from "./types.ts";

/**
 * The `skipped`, `entered` and `suppressed` records of `plan`, stamped `at` by run `run`;
 * rows whose key is in `except` (keys a replay already settled) are left out.
 *
 * @example
 * ledger.append(planRecords(plan, new Date().toISOString(), "r1"));
 */
export function planRecords(plan: Plan, at: string, run: string, except: ReadonlySet<string> = new Set()): (SkippedRecord | EnteredRecord | SuppressedRecord)[] {
  const out: (SkippedRecord | EnteredRecord | SuppressedRecord)[] = [];
  for (const h of closedRows(plan, except)) {
    out.push({
      kind: "skipped", at, run, key: h.key, user_id: h.userId, campaign: h.campaign, step: h.step,
      occurrence: h.occurrence, due: h.dueAt, reason: `${h.status}: ${h.reason}`,
    });
  }
  for (const o of plan.entered) out.push({ kind: "entered", at, run, user_id: o.userId, campaign: o.campaign, occurrence: o.occurrence });
  for (const s of plan.suppressions) out.push({ kind: "suppressed", at, run, user_id: s.userId, reason: s.reason, since: s.since });
  return out;
}

/** The plan's rows held as too late or exited, but for those whose key is in `except`: what a run records as skipped. */
export const closedRows = (plan: Plan, except: ReadonlySet<string> = new Set()): HeldBack[] =>
  plan.held.filter((h) => (h.status === "too_late" || h.status === "exited") && !except.has(h.key));
