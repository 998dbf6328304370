/**
 * Loads the snapshot attributes of many users at once (one scan per batch rather than one
 * per email), in the same plain form `Snapshot.userAttributes` gives: timestamps as ISO
 * strings, big integers as numbers.
 */
import type { Snapshot } from "../data/snapshot.ts";
import { sqlString } from "../sql/literals.ts";

function plain(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "object" && "micros" in value) return new Date(Number((value as { micros: bigint }).micros / 1000n)).toISOString();
  if (typeof value === "object") return String(value);
  return value;
}

/**
 * Attributes of each of `userIds` found in the snapshot, by user id.
 *
 * @example const users = await loadRecipients(snapshot, batch.map((s) => s.userId));
 */
export async function loadRecipients(snapshot: Snapshot, userIds: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
  const found = new Map<string, Record<string, unknown>>();
  const unique = [...new Set(userIds)];
  for (let i = 0; i < unique.length; i += 500) {
    const list = unique.slice(i, i + 500).map(sqlString).join(", ");
    const reader = await snapshot.connection.runAndReadAll(`SELECT * FROM users WHERE user_id IN (${list})`);
    for (const row of reader.getRowObjects()) {
      found.set(String(row.user_id), Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)])));
    }
  }
  return found;
}
