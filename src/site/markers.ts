import type { ConfigChange } from "./changes.ts";

/**
 * Places config changes on a chart whose labels are period starts (`YYYY-MM-DD`, or
 * `YYYY-MM` months), ascending: each change goes on the last period that began on or
 * before its date. Changes before the first period are left off.
 */
export function changeMarkers(labels: string[], changes: ConfigChange[]): { index: number; label: string }[] {
  const out: { index: number; label: string }[] = [];
  for (const c of changes) {
    const d = c.date.slice(0, 10);
    let index = -1;
    labels.forEach((l, i) => {
      if (l <= d.slice(0, l.length)) index = i;
    });
    if (index >= 0) out.push({ index, label: `${d} ${c.hash}: ${c.message}`.slice(0, 80) });
  }
  return out;
}
