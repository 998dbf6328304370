/**
 * Rolling-window counts over send instants, with the caps' window semantics: a window
 * ending at t holds the sends in (t - width, t].
 */

/** Most sends in any window of `widthMs`, given the instants (epoch ms) sorted ascending. */
export function maxInWindow(sortedTimes: readonly number[], widthMs: number): number {
  let best = 0;
  let start = 0;
  for (let end = 0; end < sortedTimes.length; end++) {
    while (sortedTimes[start]! <= sortedTimes[end]! - widthMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

/** Per user, the most sends in any window of `widthMs`. */
export function perUserMax(sends: Iterable<{ userId: string; at: number }>, widthMs: number): Map<string, number> {
  const byUser = new Map<string, number[]>();
  for (const s of sends) {
    const times = byUser.get(s.userId);
    if (times) times.push(s.at);
    else byUser.set(s.userId, [s.at]);
  }
  const out = new Map<string, number>();
  for (const [user, times] of byUser) out.set(user, maxInWindow(times.sort((a, b) => a - b), widthMs));
  return out;
}
