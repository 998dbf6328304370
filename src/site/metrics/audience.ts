import { DAY_MS } from "../../engine/duration.ts";
import { ENGAGEMENT_LEVELS, type EngagementLevel, type ScoreBand } from "../../engine/config/types.ts";
import { count, type Figure } from "../privacy.ts";

import type { AudienceCounts } from "../engine.ts";

export interface AudienceWeek {
  week: string;
  levels: Record<EngagementLevel, Figure>;
  bands: Record<ScoreBand, Figure>;
}

export interface AudienceReport {
  weeks: AudienceWeek[];
  /** Tags held at the latest week, most common first. */
  topTags: { tag: string; users: Figure }[];
}

const BANDS: ScoreBand[] = ["hot", "warm", "cold"];

/**
 * Engagement levels and score bands week by week (the instant each week ends, up to
 * `asOf`), using the evaluator's own audience snapshot so the report and the sends agree.
 * Counts of users: each is hidden when 1..k-1.
 */
export async function audienceOverTime(
  at: (instant: Date) => Promise<AudienceCounts>,
  opts: { asOf: Date; weeks: number; k: number; topTags?: number },
): Promise<AudienceReport> {
  const weeks: AudienceWeek[] = [];
  let latest: AudienceCounts | undefined;
  for (let i = opts.weeks - 1; i >= 0; i--) {
    const instant = new Date(opts.asOf.getTime() - i * 7 * DAY_MS);
    const c = await at(instant);
    latest = c;
    weeks.push({
      week: instant.toISOString().slice(0, 10),
      levels: Object.fromEntries(ENGAGEMENT_LEVELS.map((l) => [l, count(c.levels[l] ?? 0, c.levels[l] ?? 0, opts.k)])) as Record<EngagementLevel, Figure>,
      bands: Object.fromEntries(BANDS.map((b) => [b, count(c.bands[b] ?? 0, c.bands[b] ?? 0, opts.k)])) as Record<ScoreBand, Figure>,
    });
  }
  const topTags = Object.entries(latest?.tags ?? {})
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, opts.topTags ?? 10)
    .map(([tag, n]) => ({ tag, users: count(n, n, opts.k) }));
  return { weeks, topTags };
}
