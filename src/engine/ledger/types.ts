/**
 * The send ledger: append-only NDJSON files under `data/ledger/`, one file per run
 * (`<UTC start, compact ISO>-<run id>.ndjson`), committed to git by the nightly job.
 * It holds no email address or name: only user ids, keys and outcomes.
 *
 * A key counts as delivered to the provider when a `sent` record exists for it. An
 * `intent` with no outcome means a run died mid-send: the next run re-sends it with the
 * same key (and, for a batch, the same idempotency key and payload).
 */
export type LedgerRecord = IntentRecord | BatchRecord | SentRecord | FailedRecord | SkippedRecord | EnteredRecord | SuppressedRecord;

interface Base {
  /** ISO-8601 UTC instant the record was written. */
  at: string;
  /** Id of the run that wrote it. */
  run: string;
}

/** Written before any request that may deliver the message. */
export interface IntentRecord extends Base {
  kind: "intent";
  key: string;
  user_id: string;
  campaign: string;
  step: string;
  variant?: string;
  template: string;
  type: string;
  /** Occurrence id the key was derived from. */
  occurrence: string;
  /** The moment the step became due (ISO). */
  due: string;
  batch: string;
}

/** The exact composition of one provider request, written before it is sent. */
export interface BatchRecord extends Base {
  kind: "batch";
  batch: string;
  idempotency_key: string;
  keys: string[];
  /** sha256 of the exact request body, so a replay can prove it is identical. */
  payload_sha256: string;
}

export interface SentRecord extends Base {
  kind: "sent";
  key: string;
  /** Provider message id (Resend id, outbox file name, or `sim-…` in the demo). */
  provider_id: string;
  transport: "resend" | "outbox" | "simulated";
  /** The batch whose request delivered it (absent in records written by the demo). */
  batch?: string;
}

export interface FailedRecord extends Base {
  kind: "failed";
  key: string;
  error: string;
  /** False for validation errors that retrying cannot fix. */
  retryable: boolean;
  /** The batch whose request failed; a retryable failure leaves that batch to be replayed. */
  batch?: string;
  /**
   * What the key was for, on a failure before any request (a template that does not
   * render, a user gone from the snapshot): no `intent` names it, so `explain` reads these.
   */
  user_id?: string;
  campaign?: string;
  step?: string;
  occurrence?: string;
}

/** A due step that was deliberately not sent and never will be (e.g. too late). */
export interface SkippedRecord extends Base {
  kind: "skipped";
  key: string;
  user_id: string;
  campaign: string;
  step: string;
  occurrence: string;
  due: string;
  reason: string;
}

/**
 * An occurrence of an entry the snapshot gives only as of now (a day's `condition`, an
 * `engagement_changed` day, an `inactive` spell, a `tag_assigned` assignment), written by
 * the first run that sees it while its first step can still be sent, whatever its steps
 * did then (due later, held back, sent). Tomorrow's snapshot no longer gives that occurrence; later plans take it from here, so a
 * first step that waits, or that a cap or the send window held back, is still sent (or
 * recorded as too late) instead of vanishing with the day. Also written for each new
 * occurrence of a `never` or cooldown campaign, whatever its entry: re-entry then knows a
 * run saw it while it was on time (see `occurrencesSql`); one first seen too late is only
 * skipped, and is no entry.
 */
export interface EnteredRecord extends Base {
  kind: "entered";
  user_id: string;
  campaign: string;
  occurrence: string;
}

/**
 * A user the run found suppressed (an `unsubscribed`, `email.complained` or hard
 * `email.bounced` event) and that the ledger did not yet record. Once recorded the
 * suppression holds for ever, even when a later snapshot no longer holds the event.
 */
export interface SuppressedRecord extends Base {
  kind: "suppressed";
  user_id: string;
  reason: SuppressionReason;
  /** ISO instant of the earliest event that suppressed the user for this reason. */
  since: string;
}

export type SuppressionReason = "unsubscribed" | "complained" | "bounced";
