/**
 * The demo's simulated transport: "sends" a plan by writing exactly the ledger records a
 * real run writes (intent → batch → sent, and skipped for what came too late), with
 * transport `simulated` and provider ids `sim-…`. Nothing leaves the machine.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { planRecords } from "../engine/ledger/plan-records.ts";
import type { LedgerRecord } from "../engine/ledger/types.ts";
import type { PlannedSend, Plan } from "../engine/evaluate/types.ts";

/** Resend accepts at most 100 emails per batch request; the simulation batches the same way. */
const BATCH_SIZE = 100;

export interface SimulatedRun {
  run: string;
  /** The ledger file written; undefined when the run had nothing to record. */
  file?: string;
  records: LedgerRecord[];
  /** What was handed to the (pretend) provider, in send order. */
  sent: PlannedSend[];
  skipped: number;
}

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/** `2026-11-20T08:00:00.000Z` → `20261120T080000Z`, the ledger file name prefix. */
export const compactIso = (at: Date): string => at.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");

/**
 * Writes one run's ledger file under `ledgerDir` for `plan` as if every due send went out
 * at `at`: per batch of up to 100, the intents, then the batch record, then a `sent` per
 * key. Held rows marked `too_late` become `skipped` and newly suppressed users
 * `suppressed` (`planRecords`); capped and suppressed rows are left alone (deferred or
 * never sent), as a real run would.
 *
 * @example
 * const run = simulateRun(plan, { at: new Date("2026-11-20T08:00:00Z"), ledgerDir: "data/ledger" });
 */
export function simulateRun(plan: Plan, options: { at: Date; ledgerDir: string }): SimulatedRun {
  const stamp = compactIso(options.at);
  const run = `sim-${stamp}`;
  const at = options.at.toISOString();
  const records: LedgerRecord[] = planRecords(plan, at, run);
  const skipped = records.filter((r) => r.kind === "skipped").length;

  const sent: PlannedSend[] = [];
  for (let start = 0; start < plan.sends.length; start += BATCH_SIZE) {
    const chunk = plan.sends.slice(start, start + BATCH_SIZE);
    const batch = `${run}-b${String(start / BATCH_SIZE + 1).padStart(4, "0")}`;
    for (const s of chunk) {
      const intent: LedgerRecord = {
        kind: "intent", at, run, key: s.key, user_id: s.userId, campaign: s.campaign, step: s.step, template: s.template,
        type: s.type, occurrence: s.occurrence, due: s.dueAt, batch,
      };
      if (s.variant) intent.variant = s.variant;
      records.push(intent);
    }
    // The pretend request body: what a provider would receive, minus addresses.
    const payload = JSON.stringify(chunk.map((s) => ({ key: s.key, template: s.template, variant: s.variant ?? null })));
    const keys = chunk.map((s) => s.key);
    records.push({ kind: "batch", at, run, batch, idempotency_key: `nurture-${sha256(keys.join(",")).slice(0, 48)}`, keys, payload_sha256: sha256(payload) });
    for (const s of chunk) {
      records.push({ kind: "sent", at, run, key: s.key, provider_id: `sim-${s.key}`, transport: "simulated" });
      sent.push(s);
    }
  }

  if (records.length === 0) return { run, records, sent, skipped };
  fs.mkdirSync(options.ledgerDir, { recursive: true });
  const file = path.join(options.ledgerDir, `${stamp}-${run}.ndjson`);
  fs.writeFileSync(file, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
  return { run, file, records, sent, skipped };
}
