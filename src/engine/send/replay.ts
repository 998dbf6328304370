/**
 * Finds what earlier runs left unfinished and rebuilds the exact requests to replay.
 * Resend keeps an idempotency key for 24 hours: within that, replaying a batch with its
 * key and byte-identical body either delivers it (the first attempt never arrived) or
 * returns the first answer without delivering again. The bytes come from the spool; when
 * the spool is gone (another machine, a fresh CI runner) the batch is re-rendered from
 * its intents and replayed only if the result hashes to the recorded `payload_sha256`.
 * Past 23 hours, or when the bytes cannot be reproduced, the keys are planned afresh
 * under a new idempotency key, with a warning.
 */
import type { Config, MessageType } from "../config/types.ts";
import type { Snapshot } from "../data/snapshot.ts";
import type { OpenBatch } from "../ledger/reader.ts";
import type { KeyIdentity } from "./batches.ts";
import { composeEmail } from "./compose.ts";
import { loadRecipients } from "./recipients.ts";
import { readSpool, removeSpool, spooledBatches } from "./spool.ts";
import { payloadSha256, type BatchRequest, type OutgoingEmail } from "./transport.ts";

/** Replays are attempted only while the provider surely still holds the idempotency key. */
export const REPLAY_WINDOW_MS = 23 * 3_600_000;

export interface Replay {
  request: BatchRequest;
  /** The keys that still need an outcome, with who they are. */
  pending: Map<string, KeyIdentity>;
  source: "spool" | "rebuilt";
}

const pendingOf = (open: OpenBatch): Map<string, KeyIdentity> =>
  new Map(open.pending.map((key) => {
    const i = open.intents.get(key);
    return [key, { key, userId: i?.user_id ?? "", campaign: i?.campaign ?? "", step: i?.step ?? "", type: i?.type ?? "" }];
  }));

const sameKeys = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((k, i) => k === b[i]);

/**
 * Sorts the open batches into replays from the spool, batches to rebuild from the
 * snapshot, and expired ones (warned about). With `tidy`, spool files of batches that are
 * not open any more are removed.
 */
export function findReplays(open: readonly OpenBatch[], spoolDir: string, nowMs: number, options: { tidy: boolean }) {
  const fromSpool: Replay[] = [];
  const toRebuild: OpenBatch[] = [];
  const warnings: string[] = [];
  const keep = new Set<string>();
  for (const batch of open) {
    const { record } = batch;
    if (nowMs - Date.parse(record.at) > REPLAY_WINDOW_MS) {
      warnings.push(`batch ${record.batch} (${batch.pending.length} unsettled key(s)) was left unfinished more than 23 hours ago; `
        + "Resend may have forgotten its idempotency key, so those keys are planned afresh under a new one");
      continue;
    }
    keep.add(record.batch);
    const request = readSpool(spoolDir, record.batch);
    if (request && request.idempotencyKey === record.idempotency_key && sameKeys(request.keys, record.keys)
      && payloadSha256(request.emails) === record.payload_sha256) {
      fromSpool.push({ request, pending: pendingOf(batch), source: "spool" });
    } else {
      if (request) warnings.push(`spool file of batch ${record.batch} does not match its ledger record; re-rendering it instead`);
      toRebuild.push(batch);
    }
  }
  if (options.tidy) for (const id of spooledBatches(spoolDir)) if (!keep.has(id)) removeSpool(spoolDir, id);
  return { fromSpool, toRebuild, warnings };
}

/**
 * Re-renders each batch from its intents and the snapshot; a batch whose bytes hash to
 * its recorded `payload_sha256` is replayable, any other is given up with a warning.
 */
export async function rebuildReplays(batches: readonly OpenBatch[], snapshot: Snapshot, config: Config, secret: string) {
  const replays: Replay[] = [];
  const warnings: string[] = [];
  for (const batch of batches) {
    const { record } = batch;
    const users = await loadRecipients(snapshot, [...batch.intents.values()].map((i) => i.user_id));
    const emails: OutgoingEmail[] = [];
    for (const key of record.keys) {
      const i = batch.intents.get(key);
      const composed = i && composeEmail({
        key, userId: i.user_id, campaign: i.campaign, step: i.step, template: i.template, type: i.type as MessageType,
        ...(i.variant ? { variant: i.variant } : {}),
      }, users.get(i.user_id), { config, secret });
      if (!composed?.ok) break;
      emails.push(composed.email);
    }
    if (emails.length === record.keys.length && payloadSha256(emails) === record.payload_sha256) {
      const request: BatchRequest = { batch: record.batch, run: record.run, idempotencyKey: record.idempotency_key, keys: record.keys, emails, composedAt: record.at };
      replays.push({ request, pending: pendingOf(batch), source: "rebuilt" });
    } else {
      warnings.push(`batch ${record.batch} was left unfinished and cannot be rebuilt byte for byte (its spool file is gone and `
        + `templates, settings or users changed since); its ${batch.pending.length} unsettled key(s) are planned afresh under a new idempotency key`);
    }
  }
  return { replays, warnings };
}
