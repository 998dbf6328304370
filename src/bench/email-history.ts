/**
 * A year of email history for the benchmark data, consistent with the programme in
 * `config/`: what the nightly job would have sent up to yesterday, so that `plan` today
 * does a steady-state night's work (today's due rows) rather than a first run that finds
 * a year of everything overdue.
 *
 * It runs the evaluator's own set-based SQL (occurrences, step queries, message keys) on
 * the snapshot as of `until`, step by step for every campaign, records each due row as
 * sent at the next run after its due moment, and adds the recipients' email events
 * (email-events.ts) so that later steps can branch on opens and clicks. Two rounds, so
 * that campaigns started by email-derived facts (NPS answers, tags on clicks) find them.
 * Simplified on purpose: frequency caps are not applied and clicks cause no conversions.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Campaign, Config, Step } from "../engine/config/types.ts";
import { isMarketing } from "../engine/config/types.ts";
import { occurrenceTableSql } from "../engine/evaluate/_occurrences.ts";
import { buildStepTables, hasOrphanKeys, stepSql } from "../engine/evaluate/_steps-sql.ts";
import { buildDerivedTables, buildEmailTables, entryContext } from "../engine/evaluate/_derived.ts";
import type { EntryContext } from "../engine/sql/entries.ts";
import { sqlInstant, sqlString } from "../engine/sql/literals.ts";
import { emailEventsSql } from "./email-events.ts";

export interface HistoryOptions {
  config: Config;
  seed: number;
  /** The benchmark's `now`: no email event lands after it. */
  now: Date;
  /** The last run of the history (the plan under test runs after it). */
  until: Date;
  /** UTC hours of the nightly runs, e.g. [8, 15]. */
  runHours: number[];
  log: (line: string) => void;
}

export interface HistorySummary {
  sends: number;
}

const ROUNDS = 2;

/**
 * Builds `bench_sends(key, user_id, campaign, step, variant, template, type, occurrence,
 * due, "at")` and appends the email events to `events`, on an open snapshot connection.
 */
export async function simulateHistory(conn: DuckDBConnection, o: HistoryOptions): Promise<HistorySummary> {
  const ctx = await entryContext(conn, o.config, o.until);
  await conn.run(`CREATE OR REPLACE TABLE bench_sends (key VARCHAR, user_id VARCHAR, campaign VARCHAR, step VARCHAR, variant VARCHAR,
    template VARCHAR, type VARCHAR, occurrence VARCHAR, due TIMESTAMPTZ, "at" TIMESTAMPTZ)`);
  for (let round = 1; round <= ROUNDS; round++) {
    const before = await count(conn, "bench_sends");
    // Tags, scores, levels and suppression as of `until`, exactly as evaluate() builds them.
    await buildDerivedTables(conn, o.config, ctx);
    await buildStepTables(conn, o.until);
    for (const campaign of o.config.campaigns.values()) {
      await conn.run(`CREATE OR REPLACE TEMP TABLE occ AS ${occurrenceTableSql(campaign, o.config.settings, ctx)}`);
      for (const [index, step] of campaign.steps.entries()) {
        const sent = await sendStep(conn, campaign, step, ctx, o);
        // Later steps of the campaign start from this one's sends and branch on its events.
        if (sent > 0 && index < campaign.steps.length - 1) {
          await buildEmailTables(conn, o.config, o.until);
          await buildStepTables(conn, o.until);
        }
      }
    }
    o.log(`  history round ${round}: ${(await count(conn, "bench_sends")) - before} sends`);
  }
  return { sends: await count(conn, "bench_sends") };
}

/** Sends one step's due rows (those a run would send: not held) and adds their email events. */
async function sendStep(conn: DuckDBConnection, campaign: Campaign, step: Step, ctx: EntryContext, o: HistoryOptions): Promise<number> {
  const settings = o.config.settings;
  const options = step.variants ?? [{ id: "", template: step.template!, weight: 1 }];
  const typeOf = (template: string): string => step.type ?? o.config.templates.get(template)?.type ?? "regular";
  const marketing = isMarketing(typeOf(options[0]!.template) as never);
  const blocked = marketing ? settings.suppression.marketing : settings.suppression.service;
  const variant = step.variants ? variantSql(campaign.id, step.id, step.variants) : "CAST(NULL AS VARCHAR)";
  const pick = (f: (v: (typeof options)[number]) => string): string =>
    options.length === 1 ? sqlString(f(options[0]!)) : `CASE variant ${options.map((v) => `WHEN ${sqlString(v.id)} THEN ${sqlString(f(v))}`).join(" ")} END`;
  const suppressed = blocked.length
    ? `AND NOT EXISTS (SELECT 1 FROM suppressed p WHERE p.user_id = s.user_id AND p.reason IN (${blocked.map(sqlString).join(", ")}))`
    : "";
  await conn.run(`CREATE OR REPLACE TEMP TABLE new_sends AS
    SELECT key, user_id, campaign, step, variant, ${pick((v) => v.template)} AS template, ${pick((v) => typeOf(v.template))} AS type,
      occurrence, due, least(${nextRunSql("due", o.runHours)}, ${sqlInstant(o.until)}) AS "at"
    FROM (SELECT s.key, s.user_id, ${sqlString(campaign.id)} AS campaign, ${sqlString(step.id)} AS step, ${variant} AS variant, s.occurrence, s.due
      FROM (${stepSql(campaign, step, "occ", settings, ctx, { orphans: await hasOrphanKeys(conn) })}) s
      WHERE s.branch_taken AND NOT s.goal_reached AND NOT s.exited AND s.no_email IS NULL ${suppressed})`);
  const n = await count(conn, "new_sends");
  if (n === 0) return 0;
  await conn.run("INSERT INTO bench_sends SELECT * FROM new_sends");
  await conn.run(`INSERT INTO ledger (kind, "at", run, key, user_id, campaign, step, occurrence)
    SELECT 'sent', "at", 'bench-history', key, user_id, campaign, step, occurrence FROM new_sends`);
  await conn.run(`INSERT INTO events ${emailEventsSql("new_sends", { seed: o.seed, nowUs: o.now.getTime() * 1000, siteUrl: settings.siteUrl })}`);
  return n;
}

/** The engine's `chooseVariant` in SQL: 52 bits of sha256(user, campaign, step) onto the weights. */
function variantSql(campaign: string, step: string, variants: readonly { id: string; weight: number }[]): string {
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  const point = `(('0x' || sha256(s.user_id || chr(0) || ${sqlString(campaign)} || chr(0) || ${sqlString(step)})[1:13])::UBIGINT / ${2 ** 52} * ${total})`;
  let edge = 0;
  const arms = variants.slice(0, -1).map((v) => `WHEN ${point} < ${(edge += v.weight)} THEN ${sqlString(v.id)}`);
  return `CASE ${arms.join(" ")} ELSE ${sqlString(variants[variants.length - 1]!.id)} END`;
}

/** The first nightly run at or after `due` (runs at `hours` UTC each day). */
function nextRunSql(due: string, hours: number[]): string {
  const day = `date_trunc('day', ${due})`;
  const sorted = [...hours].sort((a, b) => a - b);
  const arms = sorted.map((h) => `WHEN ${due} <= ${day} + INTERVAL ${h} HOUR THEN ${day} + INTERVAL ${h} HOUR`);
  return `CASE ${arms.join(" ")} ELSE ${day} + INTERVAL 1 DAY + INTERVAL ${sorted[0]} HOUR END`;
}

async function count(conn: DuckDBConnection, table: string): Promise<number> {
  return Number((await conn.runAndReadAll(`SELECT count(*) AS n FROM ${table}`)).getRowObjects()[0]!.n);
}
