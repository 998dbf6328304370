/**
 * The two halves of sending one batch, with the ledger discipline that makes a send
 * happen exactly once: `commitBatch` spools the exact request and appends the intents and
 * the batch record (fsynced) BEFORE anything leaves; `deliverBatch` sends it and appends
 * one outcome per key. A run killed between the two leaves an open batch that the next
 * run replays with the same idempotency key and bytes.
 */
import type { PlannedSend } from "../evaluate/types.ts";
import type { LedgerWriter } from "../ledger/writer.ts";
import type { LedgerRecord } from "../ledger/types.ts";
import { removeSpool, writeSpool } from "./spool.ts";
import { payloadSha256, type BatchRequest, type OutgoingEmail, type Transport } from "./transport.ts";
import type { Outcome } from "./types.ts";

export interface BatchContext {
  run: string;
  transport: Transport;
  ledger: LedgerWriter;
  spoolDir: string;
  /** ISO instant for the records being written now. */
  stamp: () => string;
  /** Set when the transport reports that no further batch can succeed. */
  stopped?: string;
  record(outcome: Outcome): void;
}

/** Who and what a key is, for the outcome and the summary. */
export type KeyIdentity = Pick<Outcome, "key" | "userId" | "campaign" | "step" | "type">;

/** The idempotency key of a batch: unique per batch, stable across its replays. */
export const idempotencyKeyOf = (batch: string): string => `nurture/${batch}`;

/**
 * Makes the request for `sends` (with their composed `emails`), spools it, and appends
 * each key's `intent` and the `batch` record to the ledger, fsynced, in that order.
 */
export function commitBatch(ctx: BatchContext, batch: string, sends: readonly PlannedSend[], emails: OutgoingEmail[]): BatchRequest {
  const at = ctx.stamp();
  const request: BatchRequest = {
    batch, run: ctx.run, idempotencyKey: idempotencyKeyOf(batch), keys: sends.map((s) => s.key), emails, composedAt: at,
  };
  writeSpool(ctx.spoolDir, request);
  const records: LedgerRecord[] = sends.map((s) => ({
    kind: "intent", at, run: ctx.run, key: s.key, user_id: s.userId, campaign: s.campaign, step: s.step,
    ...(s.variant ? { variant: s.variant } : {}), template: s.template, type: s.type, occurrence: s.occurrence, due: s.dueAt, batch,
  }));
  records.push({ kind: "batch", at, run: ctx.run, batch, idempotency_key: request.idempotencyKey, keys: request.keys, payload_sha256: payloadSha256(emails) });
  ctx.ledger.append(records);
  return request;
}

/**
 * Sends a committed request and records an outcome for each of `pending` (for a replay,
 * the keys still without one; others in the batch were settled before). The spool file
 * goes once no key is left to retry.
 */
export async function deliverBatch(ctx: BatchContext, request: BatchRequest, pending: Map<string, KeyIdentity>, replayed: boolean): Promise<void> {
  const result = await ctx.transport.sendBatch(request);
  const at = ctx.stamp();
  const records: LedgerRecord[] = [];
  let open = false;
  request.keys.forEach((key, i) => {
    const who = pending.get(key);
    const r = result.results[i];
    if (!who || !r) return;
    if (r.ok) {
      records.push({ kind: "sent", at, run: ctx.run, key, provider_id: r.providerId, transport: ctx.transport.name, batch: request.batch });
      ctx.record({ ...who, status: "sent", replayed, providerId: r.providerId });
    } else {
      records.push({ kind: "failed", at, run: ctx.run, key, error: r.error, retryable: r.retryable, batch: request.batch });
      ctx.record({ ...who, status: "failed", replayed, error: r.error, retryable: r.retryable });
      open ||= r.retryable;
    }
  });
  ctx.ledger.append(records);
  if (!open) removeSpool(ctx.spoolDir, request.batch);
  if (result.fatal) ctx.stopped ??= result.fatal;
}
