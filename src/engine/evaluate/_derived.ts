/**
 * Per-user facts every condition and entry may read, built once per evaluation as of `now`:
 *
 *   email_activity, email_messages   human email behaviour (sql/email-activity.ts)
 *   score_occurrences, score_awards  scoring rules' occurrences and awards (sql/scoring.ts)
 *   user_scores(user_id, score, band)
 *   user_levels(user_id, level)      engagement level now (sql/engagement.ts)
 *   score_history                    the score at every instant it can rise, when a `score_reached`
 *                                    entry exists, for the users whose points can reach its threshold
 *   day_levels_<ms>                  levels at the start of the local day, ms earlier (a
 *                                    whole number of days by the calendar), per lookback of
 *                                    an `engagement_changed` entry
 *   user_tags(user_id, tag, assigned_at)
 *   suppressed(user_id, reason, since, recorded)
 *                                    every suppression as of now, from the events and from
 *                                    the ledger's `suppressed` records; `recorded` when the
 *                                    ledger holds it, `since` the earliest event's instant
 *
 * Scores and levels come before tags, because tag rules may start on `score_reached` or
 * `engagement_changed` and test score bands or levels; tags are assigned in `tagOrder`.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Condition, Config, Entry, TagRule } from "../config/types.ts";
import { emailActivityStatements, emailMessagesSql } from "../sql/email-activity.ts";
import { levelsSql } from "../sql/engagement.ts";
import { dayLevelLookbacks, dayLevelsTable, localTodaySql, tagRuleSql, type EntryContext } from "../sql/entries.ts";
import { DAY_MS } from "../duration.ts";
import { sqlInstant, sqlInterval } from "../sql/literals.ts";
import { loadZones, userZoneSql, zonesDaysEarlier } from "../sql/zones.ts";
import { zonesChangingNear } from "../sql/clock-changes.ts";
import { scoreAwardsSql, scoreHistorySql, scoreOccurrencesSql, userScoresSql } from "../sql/scoring.ts";

/** What compiling entries and conditions needs to know about the snapshot, as of `now`. */
export async function entryContext(conn: DuckDBConnection, config: Config, now: Date): Promise<EntryContext> {
  const reader = await conn.runAndReadAll("SELECT column_name FROM (DESCRIBE users)");
  const later = await conn.runAndReadAll(`SELECT EXISTS (SELECT 1 FROM users WHERE created_at > ${sqlInstant(now)}) AS later`);
  const zones = await loadZones(conn, config.settings.timezone, now);
  const { startMinute, endMinute } = config.settings.sendWindow;
  return {
    laterSignups: later.getRowObjects()[0]!.later === true,
    now, columns: new Set(reader.getRowObjects().map((r) => String(r.column_name))), segments: config.segments,
    timezone: config.settings.timezone, zones, passiveEvents: config.settings.passiveEvents,
    windowClockChanges: (await zonesChangingNear(conn, zones.now.keys(), startMinute, endMinute, now)).length > 0,
  };
}

/**
 * Builds the derived tables above as temporary tables on `conn` (replacing earlier ones).
 * `entries` are the entries that will be compiled against them (default: every campaign's
 * and tag's); the tables only some entry kinds read are built when one of them needs it.
 */
export async function buildDerivedTables(conn: DuckDBConnection, config: Config, ctx: EntryContext, entries: Entry[] = allEntries(config)): Promise<void> {
  const now = sqlInstant(ctx.now);
  await buildEmailTables(conn, config, ctx.now);

  await conn.run(`CREATE OR REPLACE TEMP TABLE score_occurrences AS ${scoreOccurrencesSql(config.scoring, ctx.now)}`);
  await conn.run(`CREATE OR REPLACE TEMP TABLE score_awards AS ${scoreAwardsSql(config.scoring, ctx.now)}`);
  await conn.run(`CREATE OR REPLACE TEMP TABLE user_scores AS ${userScoresSql(config.scoring, ctx.now)}`);
  const thresholds = entries.flatMap((e) => (e.on === "score_reached" ? [e.threshold] : []));
  if (thresholds.length) {
    await conn.run(`CREATE OR REPLACE TEMP TABLE score_history AS ${scoreHistorySql(config.scoring, ctx.now, Math.min(...thresholds))}`);
  }

  // The level now and at the start of each local day an `engagement_changed` entry compares,
  // read together in one pass, then one table each.
  const lookbacks = new Set(entries.flatMap((e) => (e.on === "engagement_changed" ? dayLevelLookbacks(e.lookbackMs) : [])));
  const days = lookbacks.size ? [0, ...lookbacks] : [];
  const ats = [now];
  for (const lookback of days) ats.push(await dayLevelsAtSql(conn, ctx, lookback));
  await conn.run(`CREATE OR REPLACE TEMP TABLE levels_at AS
    ${levelsSql(config.engagement, `SELECT u.user_id, ${ats.map((at, i) => `${at} AS at_${i}`).join(", ")} FROM users u`, ats.length)}`);
  await conn.run("CREATE OR REPLACE TEMP TABLE user_levels AS SELECT user_id, level_0 AS level FROM levels_at");
  for (const [i, lookback] of days.entries()) {
    await conn.run(`CREATE OR REPLACE TEMP TABLE ${dayLevelsTable(lookback)} AS SELECT user_id, level_${i + 1} AS level FROM levels_at`);
  }
  await conn.run("DROP TABLE levels_at");

  await conn.run("CREATE OR REPLACE TEMP TABLE user_tags (user_id VARCHAR, tag VARCHAR, assigned_at TIMESTAMPTZ)");
  for (const rule of tagOrder(config)) await conn.run(`INSERT INTO user_tags ${tagRuleSql(rule, ctx)}`);

  // The ledger keeps what the events once showed: a snapshot that later drops an old
  // unsubscribe (a rolling export) does not lift it.
  await conn.run(`CREATE OR REPLACE TEMP TABLE suppressed AS
    SELECT user_id, reason, min(since) AS since, bool_or(recorded) AS recorded FROM (
      SELECT user_id, CASE event WHEN 'unsubscribed' THEN 'unsubscribed' WHEN 'email.complained' THEN 'complained' ELSE 'bounced' END AS reason,
        ts AS since, false AS recorded
      FROM events WHERE ts <= ${now} AND (event IN ('unsubscribed', 'email.complained')
        OR (event = 'email.bounced' AND lower(coalesce(json_extract_string(properties, '$.bounce_type'), 'permanent')) NOT IN ('transient', 'soft')))
      UNION ALL
      SELECT user_id, reason, NULL, true FROM ledger
      WHERE kind = 'suppressed' AND "at" <= ${now} AND reason IN ('unsubscribed', 'complained', 'bounced'))
    GROUP BY user_id, reason`);
}

/**
 * When `dayLevelsTable(lookbackMs)` reads the user's (`u`) level: the start of their local
 * day, `lookbackMs` earlier. A whole number of days goes back by the calendar, to local
 * midnight that many days before: a day across a clock change lasts 23 or 25 hours, and
 * 24 hours back from its end is not its start, which put a change of level on no day or on
 * two. Any other lookback is exact.
 */
async function dayLevelsAtSql(conn: DuckDBConnection, ctx: EntryContext, lookbackMs: number): Promise<string> {
  const { start } = localTodaySql(ctx);
  if (lookbackMs === 0) return start;
  const days = lookbackMs / DAY_MS;
  if (!Number.isInteger(days)) return `${start} - ${sqlInterval(lookbackMs)}`;
  if (ctx.zones) return localTodaySql({ ...ctx, zones: await zonesDaysEarlier(conn, ctx.zones, days) }).start;
  const tz = userZoneSql("u.timezone", undefined, ctx.timezone);
  return `timezone(${tz}, date_trunc('day', timezone(${tz}, ${start})) - INTERVAL ${days} DAY)`;
}

/** email_activity and email_messages as of `now`: again after email events were added. */
export async function buildEmailTables(conn: DuckDBConnection, config: Config, now: Date): Promise<void> {
  for (const statement of emailActivityStatements(now, config.settings.machineOpenMs)) await conn.run(statement);
  await conn.run(`CREATE OR REPLACE TEMP TABLE email_messages AS ${emailMessagesSql()}`);
}

/**
 * The tag rules in an order where every rule comes after the tags it reads (its entry's
 * `tag_assigned`, a `tag` in its condition or entry condition, through segments too), so a
 * chain assigns in one pass whatever order tags.json lists it in. Ties, and rules caught
 * in a cycle, keep the file's order.
 */
export function tagOrder(config: Config): TagRule[] {
  const reads = new Map([...config.tags.values()].map((rule) => {
    const tags = new Set<string>();
    if (rule.entry.on === "tag_assigned") tags.add(rule.entry.tag);
    if (rule.entry.on === "condition") tagsIn(rule.entry.condition, config, tags);
    if (rule.condition) tagsIn(rule.condition, config, tags);
    tags.delete(rule.id);
    return [rule.id, [...tags].filter((t) => config.tags.has(t))];
  }));
  const ordered: TagRule[] = [];
  const placed = new Set<string>();
  let pending = [...config.tags.values()];
  while (pending.length) {
    const ready = pending.filter((rule) => reads.get(rule.id)!.every((t) => placed.has(t)));
    const next = ready.length ? ready : pending.slice(0, 1); // a cycle: take the first in file order
    for (const rule of next) { ordered.push(rule); placed.add(rule.id); }
    pending = pending.filter((rule) => !placed.has(rule.id));
  }
  return ordered;
}

function tagsIn(condition: Condition, config: Config, into: Set<string>, seen = new Set<string>()): void {
  switch (condition.kind) {
    case "all": case "any": for (const c of condition.of) tagsIn(c, config, into, seen); break;
    case "not": tagsIn(condition.of, config, into, seen); break;
    case "tag": into.add(condition.tag); break;
    case "segment": {
      const segment = config.segments.get(condition.segment);
      if (segment && !seen.has(segment.id)) { seen.add(segment.id); tagsIn(segment.condition, config, into, seen); }
      break;
    }
    default: break;
  }
}

function allEntries(config: Config): Entry[] {
  return [...[...config.campaigns.values()].map((c) => c.entry), ...[...config.tags.values()].map((t) => t.entry)];
}
