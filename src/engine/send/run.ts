/**
 * runSends(): one sending run — replay what earlier runs left unfinished, plan, record
 * what came too late, render, send in batches of up to 100, and record every outcome.
 * The ledger is written before each request and after it (see batches.ts), so a run may
 * be killed at any moment and simply run again: nothing is delivered twice and nothing
 * due is lost.
 */
import { randomBytes } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { isMarketing } from "../config/types.ts";
import { openSnapshot, type Snapshot } from "../data/snapshot.ts";
import { NurtureError } from "../errors.ts";
import { evaluate } from "../evaluate/evaluate.ts";
import type { PlannedSend } from "../evaluate/types.ts";
import { closedRows, planRecords } from "../ledger/plan-records.ts";
import { openBatches, readLedger } from "../ledger/reader.ts";
import { sqlInstant } from "../sql/literals.ts";
import type { LedgerRecord } from "../ledger/types.ts";
import { openLedgerWriter } from "../ledger/writer.ts";
import { commitBatch, deliverBatch, type BatchContext } from "./batches.ts";
import type { Composed } from "./compose.ts";
import { inThreadComposer, workerComposer } from "./composer.ts";
import { acquireRunLock } from "./lock.ts";
import { loadRecipients } from "./recipients.ts";
import { findReplays, rebuildReplays, type Replay } from "./replay.ts";
import { MAX_BATCH_SIZE, type OutgoingEmail } from "./transport.ts";
import type { Outcome, SendProgress, SendReport, SendRunOptions } from "./types.ts";

const HOUR = 3_600_000;

/** A run id that sorts by start time: `r` + base-36 epoch ms + 4 random hex digits. */
export const newRunId = (): string => `r${Date.now().toString(36)}${randomBytes(2).toString("hex")}`;

const identityOf = (s: PlannedSend) => ({ key: s.key, userId: s.userId, campaign: s.campaign, step: s.step, type: s.type });

/**
 * Runs one send over `options.dataDir` and returns what happened. Without a transport it
 * is a dry run: it reads and plans, and sends and writes nothing.
 *
 * @example
 * const report = await runSends({ config, dataDir: "data", now: new Date(), transport: outboxTransport("data/outbox"), secret });
 */
export async function runSends(options: SendRunOptions): Promise<SendReport> {
  const { config, dataDir, now, transport, secret } = options;
  const batchSize = options.batchSize ?? MAX_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
    throw new NurtureError("usage", `batch size must be a whole number from 1 to ${MAX_BATCH_SIZE}, not ${batchSize}`, { exitCode: 2 });
  }
  const clock = options.clock ?? (() => new Date());
  const startedAt = clock();
  const run = options.runId ?? newRunId();
  const ledgerDir = path.join(dataDir, "ledger");
  const spoolDir = path.join(dataDir, "spool");
  const warnings: string[] = [];
  const outcomes: Outcome[] = [];
  let phase: SendProgress = { phase: "replay", done: 0, total: 0, sent: 0, failed: 0 };
  const record = (outcome: Outcome): void => {
    outcomes.push(outcome);
    phase = { ...phase, done: phase.done + 1, sent: phase.sent + Number(outcome.status === "sent"), failed: phase.failed + Number(outcome.status === "failed") };
    options.onProgress?.(phase);
  };

  const release = transport ? acquireRunLock(path.join(spoolDir, ".run.lock")) : () => {};
  const ledger = transport ? openLedgerWriter(ledgerDir, startedAt, run) : undefined;
  const ctx: BatchContext | undefined = transport && ledger
    ? { run, transport, ledger, spoolDir, stamp: () => clock().toISOString(), record }
    : undefined;
  try {
    const read = readLedger(ledgerDir, { since: new Date(startedAt.getTime() - 25 * HOUR) });
    if (read.damaged.length > 0) warnings.push(`ledger lines that are not records were ignored: ${read.damaged.join(", ")}`);
    const found = findReplays(openBatches(read.records), spoolDir, startedAt.getTime(), { tidy: Boolean(transport) });
    warnings.push(...found.warnings);

    const replayedBatches: string[] = [];
    const replayKeys = new Set<string>();
    const replay = async (replays: Replay[]): Promise<void> => {
      for (const r of replays) {
        replayedBatches.push(r.request.batch);
        for (const key of r.pending.keys()) replayKeys.add(key);
        if (!ctx) for (const who of r.pending.values()) outcomes.push({ ...who, status: "would-send", replayed: true });
        else if (!ctx.stopped) await deliverBatch(ctx, r.request, r.pending, true);
      }
    };
    phase = { ...phase, total: found.fromSpool.reduce((n, r) => n + r.pending.size, 0) };
    await replay(found.fromSpool);

    let snapshot = await openSnapshot(dataDir);
    try {
      if (found.toRebuild.length > 0) {
        const rebuilt = await rebuildReplays(found.toRebuild, snapshot, config, secret);
        warnings.push(...rebuilt.warnings);
        phase = { ...phase, total: phase.total + rebuilt.replays.reduce((n, r) => n + r.pending.size, 0) };
        await replay(rebuilt.replays);
        if (ctx && rebuilt.replays.length > 0) {
          // The plan must see what the replays just recorded.
          snapshot.close();
          snapshot = await openSnapshot(dataDir);
        }
      }
      const plan = await evaluate(config, snapshot, now);
      // The plan is as of `now` and reads no record stamped later. A run whose clock was not
      // `now` (a library caller's wall clock beside a past `now`) may have settled its keys
      // since: they are neither sent nor recorded again.
      const settledLater = await keysSettledAfter(snapshot, now);
      const settled = new Set([...replayKeys, ...settledLater]);
      const again = plan.sends.filter((s) => settledLater.has(s.key)).length;
      if (again > 0) warnings.push(`${again} planned key(s) the ledger records as sent or skipped after ${now.toISOString()} were not sent again`);

      const skipped = closedRows(plan, settled);
      const recorded = planRecords(plan, clock().toISOString(), run, settled);
      ledger?.append(recorded);

      // Belt and braces: the plan already holds suppressed users back; never let a marketing email through to one.
      const suppressed = new Set(plan.held.filter((h) => h.status === "suppressed").map((h) => h.userId));
      // And never one key twice in a run, whatever the plan lists: the second would be a second delivery.
      const owed = plan.sends.filter((s) => !settled.has(s.key));
      const seen = new Set<string>();
      const fresh = owed.filter((s) => !seen.has(s.key) && Boolean(seen.add(s.key)));
      if (fresh.length < owed.length) warnings.push(`the plan listed ${owed.length - fresh.length} key(s) twice; each is sent once`);
      const blocked = (s: PlannedSend): boolean => isMarketing(s.type) && suppressed.has(s.userId);
      const refused = fresh.filter(blocked);
      if (refused.length > 0) warnings.push(`refused ${refused.length} marketing email(s) to users the plan also holds as suppressed`);
      const toSend = fresh.filter((s) => !blocked(s));

      phase = { phase: "send", done: 0, total: toSend.length, sent: 0, failed: 0 };
      if (ctx) await sendFresh(ctx, toSend, snapshot, { ...options, batchSize });
      else outcomes.push(...toSend.map((s): Outcome => ({ ...identityOf(s), status: "would-send", replayed: false })));

      return {
        run, transport: transport?.name ?? "dry-run", plan, outcomes, refused, skipped, replayedBatches, warnings,
        ...(ctx?.stopped ? { stopped: ctx.stopped } : {}),
        ...(ledger && outcomes.length + recorded.length > 0 ? { ledgerFile: ledger.file } : {}),
      };
    } finally {
      snapshot.close();
    }
  } finally {
    ledger?.close();
    release();
  }
}

/** Sends at or above this many are rendered on worker threads (below it, starting them costs more than it saves). */
const WORKER_THRESHOLD = 400;

/**
 * Composes and sends `sends` in batches, rendering the next batches (on worker threads for
 * large runs) while earlier ones are in flight (at most `maxInFlight` at once). Stops
 * starting batches once the transport reports a fatal error; a batch committed but not
 * sent is replayed by the next run.
 */
async function sendFresh(ctx: BatchContext, sends: readonly PlannedSend[], snapshot: Snapshot, options: SendRunOptions & { batchSize: number }): Promise<void> {
  const maxInFlight = Math.max(1, options.maxInFlight ?? (ctx.transport.name === "resend" ? 2 : 1));
  const workers = options.renderWorkers ?? (sends.length >= WORKER_THRESHOLD ? Math.max(1, Math.min(4, os.availableParallelism() - 1)) : 0);
  const composer = workers > 0 ? workerComposer(options.config, options.secret, workers) : inThreadComposer(options.config, options.secret);
  const chunks: PlannedSend[][] = [];
  for (let start = 0; start < sends.length; start += options.batchSize) chunks.push(sends.slice(start, start + options.batchSize));

  // Render up to `ahead` batches in advance; snapshot reads stay one at a time.
  let reads: Promise<unknown> = Promise.resolve();
  const prepare = (chunk: PlannedSend[]): Promise<Composed[]> => {
    const users = reads.then(() => loadRecipients(snapshot, chunk.map((s) => s.userId)));
    reads = users.catch(() => {});
    return users.then((found) => composer.compose(chunk.map((send) => ({ send, user: found.get(send.userId) }))));
  };
  const ahead = Math.max(1, workers);
  const queue: Promise<Composed[]>[] = [];
  let next = 0;
  const fill = (): void => {
    while (queue.length < ahead && next < chunks.length) {
      const prepared = prepare(chunks[next++]!);
      prepared.catch(() => {}); // awaited below; this only keeps an abandoned one quiet
      queue.push(prepared);
    }
  };

  const inflight = new Set<Promise<void>>();
  let failure: unknown;
  let count = 0;
  try {
    fill();
    for (const chunk of chunks) {
      if (ctx.stopped || failure !== undefined) break;
      const composed = await queue.shift()!;
      fill();
      const ready: PlannedSend[] = [];
      const emails: OutgoingEmail[] = [];
      const unsendable: LedgerRecord[] = [];
      chunk.forEach((send, i) => {
        const c = composed[i]!;
        if (c.ok) {
          ready.push(send);
          emails.push(c.email);
        } else {
          unsendable.push({
            kind: "failed", at: ctx.stamp(), run: ctx.run, key: send.key, error: c.error, retryable: false,
            user_id: send.userId, campaign: send.campaign, step: send.step, occurrence: send.occurrence,
          });
          ctx.record({ ...identityOf(send), status: "failed", replayed: false, error: c.error, retryable: false });
        }
      });
      ctx.ledger.append(unsendable);
      if (ready.length === 0) continue;
      const request = commitBatch(ctx, `${ctx.run}-b${String(++count).padStart(4, "0")}`, ready, emails);
      while (inflight.size >= maxInFlight) await Promise.race(inflight);
      if (ctx.stopped || failure !== undefined) break;
      const pending = new Map(ready.map((s) => [s.key, identityOf(s)]));
      const delivery: Promise<void> = deliverBatch(ctx, request, pending, false)
        .catch((error: unknown) => {
          failure ??= error;
        })
        .finally(() => inflight.delete(delivery));
      inflight.add(delivery);
    }
    await Promise.all(inflight);
  } finally {
    await composer.close();
  }
  if (failure !== undefined) throw failure;
}

/** Keys the ledger records as sent or skipped after `now`. */
async function keysSettledAfter(snapshot: Snapshot, now: Date): Promise<Set<string>> {
  const reader = await snapshot.connection.runAndReadAll(
    `SELECT DISTINCT key FROM ledger WHERE kind IN ('sent', 'skipped') AND "at" > ${sqlInstant(now)}`);
  return new Set(reader.getRowObjects().map((r) => String(r.key)));
}
