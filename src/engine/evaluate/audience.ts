/**
 * How the audience stands at an instant: users per engagement level, per score band and
 * per tag, computed with the evaluator's own tables so the report and the sends agree.
 */
import type { Config, EngagementLevel, ScoreBand } from "../config/types.ts";
import { ENGAGEMENT_LEVELS } from "../config/types.ts";
import type { Snapshot } from "../data/snapshot.ts";
import { sqlInstant } from "../sql/literals.ts";
import { buildDerivedTables, entryContext } from "./_derived.ts";

export interface AudienceCounts {
  levels: Record<EngagementLevel, number>;
  bands: Record<ScoreBand, number>;
  tags: Record<string, number>;
}

/**
 * Counts of users who had signed up by `at`, per engagement level, score band and tag, as of `at`.
 *
 * @example
 * const { levels } = await audienceSnapshot(config, snapshot, new Date("2026-11-20T00:00:00Z"));
 * levels.at_risk; // 412
 */
export async function audienceSnapshot(config: Config, snapshot: Pick<Snapshot, "connection">, at: Date): Promise<AudienceCounts> {
  const conn = snapshot.connection;
  // Only the tag rules' entries are compiled here, so only the tables they read are built.
  const tagEntries = [...config.tags.values()].map((t) => t.entry);
  await buildDerivedTables(conn, config, await entryContext(conn, config, at), tagEntries);
  const signedUp = `user_id IN (SELECT user_id FROM users WHERE created_at <= ${sqlInstant(at)})`;
  const rows = async (sql: string): Promise<[string, number][]> =>
    (await conn.runAndReadAll(sql)).getRowObjects().map((r) => [String(r.k), Number(r.n)]);
  const levels = Object.fromEntries(ENGAGEMENT_LEVELS.map((l) => [l, 0])) as Record<EngagementLevel, number>;
  for (const [k, n] of await rows(`SELECT level AS k, count(*) AS n FROM user_levels WHERE ${signedUp} GROUP BY level`)) levels[k as EngagementLevel] = n;
  const bands: Record<ScoreBand, number> = { hot: 0, warm: 0, cold: 0 };
  for (const [k, n] of await rows(`SELECT band AS k, count(*) AS n FROM user_scores WHERE ${signedUp} GROUP BY band`)) bands[k as ScoreBand] = n;
  const tags = Object.fromEntries(await rows(`SELECT tag AS k, count(DISTINCT user_id) AS n FROM user_tags
    WHERE ${signedUp} AND assigned_at <= ${sqlInstant(at)} GROUP BY tag ORDER BY n DESC, tag`));
  return { levels, bands, tags };
}
