/**
 * Frequency caps: per user, per group of message types, per rolling window. Rows are
 * admitted in priority order (then due time, then key, so the choice is reproducible);
 * what a cap holds back is deferred — it stays due and is tried again next run until it
 * is too late — never dropped.
 */
import type { Cap } from "../config/types.ts";
import { formatDuration } from "../duration.ts";
import type { HeldBack, SendIdentity } from "./types.ts";

export interface CapCandidate {
  identity: SendIdentity;
  reason: string;
}

export interface RecentSend {
  userId: string;
  type: string;
  /** Epoch milliseconds the provider accepted it. */
  at: number;
}

export function applyCaps(
  candidates: CapCandidate[],
  recent: RecentSend[],
  caps: Cap[],
  now: Date,
): { admitted: CapCandidate[]; capped: HeldBack[] } {
  const sentBy = new Map<string, { type: string; at: number }[]>();
  for (const s of recent) sentBy.set(s.userId, [...(sentBy.get(s.userId) ?? []), { type: s.type, at: s.at }]);
  const ordered = [...candidates].sort(
    (a, b) => b.identity.priority - a.identity.priority || a.identity.dueAt.localeCompare(b.identity.dueAt) || a.identity.key.localeCompare(b.identity.key),
  );
  const admitted: CapCandidate[] = [];
  const capped: HeldBack[] = [];
  for (const candidate of ordered) {
    const { userId, type } = candidate.identity;
    const history = sentBy.get(userId) ?? [];
    const hit = caps.find(
      (cap) => cap.types.includes(type) && history.filter((h) => cap.types.includes(h.type as never) && h.at > now.getTime() - cap.perMs).length >= cap.max,
    );
    if (hit) {
      capped.push({
        ...candidate.identity,
        status: "capped",
        reason: `cap of ${hit.max} ${hit.types.join("/")} email(s) per ${formatDuration(hit.perMs)} reached; deferred`,
      });
      continue;
    }
    admitted.push(candidate);
    // What this plan admits counts against the caps of the rows after it.
    sentBy.set(userId, [...history, { type, at: now.getTime() }]);
  }
  return { admitted, capped };
}
