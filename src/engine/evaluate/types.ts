import type { MessageType } from "../config/types.ts";
import type { SuppressionReason } from "../ledger/types.ts";

/** Identifies one (user, campaign, step, occurrence): the unit that is sent at most once. */
export interface SendIdentity {
  /** Message key: first 32 hex chars of sha256(user_id \0 campaign \0 step \0 occurrence). */
  key: string;
  userId: string;
  campaign: string;
  campaignKind: "sequence" | "trigger";
  step: string;
  /** Chosen variant id for subject-line tests (stable hash of user and step). */
  variant?: string;
  template: string;
  type: MessageType;
  /** Occurrence id: ISO instant of the entry occurrence, or a local date for daily ones. */
  occurrence: string;
  /** ISO instant the step became due (after the local send window was applied). */
  dueAt: string;
  priority: number;
}

/** Something due now that the run should send. */
export interface PlannedSend extends SendIdentity {
  /** Why it is due, in plain words, e.g. "2d after signup on 2026-11-20". */
  reason: string;
}

export type HeldStatus =
  | "suppressed"
  | "capped"
  | "too_late"
  | "no_email"
  | "outside_window"
  | "exited"
  | "goal_reached";

/** Something due (or that would be) that is held back, with why. */
export interface HeldBack extends SendIdentity {
  status: HeldStatus;
  reason: string;
}

export interface BadRowCount {
  table: "users" | "events" | "ledger";
  reason: string;
  count: number;
}

export interface Plan {
  /** ISO instant the plan was evaluated at. */
  now: string;
  sends: PlannedSend[];
  held: HeldBack[];
  badRows: BadRowCount[];
  users: number;
  events: number;
  /**
   * Users the events show suppressed that the ledger does not yet record: a run records
   * them (`suppressed` records), so the suppression outlives the events.
   */
  suppressions: NewSuppression[];
  /**
   * New occurrences the ledger does not hold yet, of entries the snapshot gives only as of
   * now and of every `never` or cooldown campaign, but for those already past saving (every
   * first step due more than the lateness ago): a run records them (`entered` records), so
   * their steps stay due on later days and re-entry knows a run saw them on time.
   */
  entered: NewOccurrence[];
  /** What this evaluation could not judge (e.g. a feature not built yet), in plain words. */
  warnings: string[];
}

/** A suppression the events show and the ledger does not yet hold. */
export interface NewSuppression {
  userId: string;
  reason: SuppressionReason;
  /** ISO instant of the earliest event that suppressed the user for this reason. */
  since: string;
}

/** An occurrence a run records (`entered`): see `Plan.entered`. */
export interface NewOccurrence {
  userId: string;
  campaign: string;
  occurrence: string;
}
