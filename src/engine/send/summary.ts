/**
 * The numbers a person wants after a run: sent, deferred (held back for later: caps, the
 * send window), failed, suppressed, skipped (too late, or exited), overall and by campaign.
 */
import type { HeldStatus } from "../evaluate/types.ts";
import type { SendReport } from "./types.ts";

export interface SendCounts {
  sent: number;
  /** Planned but not sent because this was a dry run. */
  wouldSend: number;
  failed: number;
  /** Held back to be sent at a later run (capped, outside the send window). */
  deferred: number;
  suppressed: number;
  /** Too late: recorded and never sent. */
  skipped: number;
}

export interface SendSummary extends SendCounts {
  /** Of `sent`/`wouldSend`, how many replayed an earlier run's unfinished batch. */
  replayed: number;
  /** Every held status with its count (includes no_email, exited, goal_reached). */
  held: Partial<Record<HeldStatus, number>>;
  byCampaign: ({ campaign: string } & SendCounts)[];
}

const DEFERRED: ReadonlySet<HeldStatus> = new Set(["capped", "outside_window"]);
const zero = (): SendCounts => ({ sent: 0, wouldSend: 0, failed: 0, deferred: 0, suppressed: 0, skipped: 0 });

/** Tallies a run's report. */
export function summarize(report: SendReport): SendSummary {
  const total = zero();
  const campaigns = new Map<string, SendCounts>();
  const add = (campaign: string, field: keyof SendCounts): void => {
    total[field]++;
    const c = campaigns.get(campaign) ?? zero();
    c[field]++;
    campaigns.set(campaign, c);
  };
  let replayed = 0;
  for (const o of report.outcomes) {
    add(o.campaign, o.status === "would-send" ? "wouldSend" : o.status);
    if (o.replayed && o.status !== "failed") replayed++;
  }
  const held: Partial<Record<HeldStatus, number>> = {};
  for (const h of report.plan.held) {
    held[h.status] = (held[h.status] ?? 0) + 1;
    if (DEFERRED.has(h.status)) add(h.campaign, "deferred");
    else if (h.status === "suppressed") add(h.campaign, "suppressed");
  }
  for (const s of report.refused) add(s.campaign, "suppressed");
  for (const s of report.skipped) add(s.campaign, "skipped");
  const byCampaign = [...campaigns].sort(([a], [b]) => a.localeCompare(b)).map(([campaign, counts]) => ({ campaign, ...counts }));
  return { ...total, replayed, held, byCampaign };
}
