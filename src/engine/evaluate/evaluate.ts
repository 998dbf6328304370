/**
 * evaluate(): everything due now and everything held back, with the reason, as a Plan.
 *
 * Set-based: per campaign, one query builds its occurrences (entry → audience →
 * re-entry, with goal and exit facts) and one query per step finds the rows whose moment
 * has come, joining small tables built once (sent keys, first opens and clicks per key). Only the rows that
 * are due are then looked at in JavaScript, for the decisions that depend on each other
 * (frequency caps, which admit rows in priority order).
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Campaign, Config, MessageType } from "../config/types.ts";
import { isMarketing } from "../config/types.ts";
import type { Snapshot } from "../data/snapshot.ts";
import { hasColumn, type CompileContext } from "../sql/conditions.ts";
import type { EntryContext } from "../sql/entries.ts";
import { sqlInstant, sqlInterval, sqlIsoText } from "../sql/literals.ts";
import { buildDerivedTables, entryContext } from "./_derived.ts";
import { applyCaps, type CapCandidate } from "./_caps.ts";
import { newOccurrencesSql, occurrenceTableSql } from "./_occurrences.ts";
import { buildStepTables, campaignKeysSql, hasOrphanKeys, keyedOccurrencesSql, keyedSteps, stepSql } from "./_steps-sql.ts";
import { chooseVariant } from "./key.ts";
import type { HeldBack, HeldStatus, NewOccurrence, NewSuppression, Plan, PlannedSend, SendIdentity } from "./types.ts";

/** Computes the plan as of `now`. Reads only; writes nothing but temporary tables. */
export async function evaluate(config: Config, snapshot: Snapshot, now: Date): Promise<Plan> {
  const conn = snapshot.connection;
  const ctx = await entryContext(conn, config, now);
  await buildDerivedTables(conn, config, ctx);
  await buildStepTables(conn, now);
  const orphans = await hasOrphanKeys(conn);

  const candidates: CapCandidate[] = [];
  const held: HeldBack[] = [];
  const entered: NewOccurrence[] = [];
  for (const campaign of config.campaigns.values()) {
    for (const row of await campaignRows(conn, campaign, config, ctx, orphans, entered)) {
      const status = holdStatus(row, campaign, config, now);
      if (status) held.push({ ...row.identity, status: status.status, reason: status.reason });
      else candidates.push({ identity: row.identity, reason: row.reason });
    }
  }
  const { admitted, capped } = applyCaps(candidates, await recentSends(conn, config, now), config.settings.caps, now);
  const sends: PlannedSend[] = admitted.map((c) => ({ ...c.identity, reason: c.reason }));
  held.push(...capped);

  const count = async (table: string): Promise<number> => Number((await conn.runAndReadAll(`SELECT count(*) AS n FROM ${table}`)).getRowObjects()[0]!.n);
  return {
    now: now.toISOString(),
    sends: sends.sort(byDueThenKey),
    held: held.sort(byDueThenKey),
    badRows: await snapshot.badRows(),
    users: await count("users"),
    events: await count("events"),
    suppressions: await newSuppressions(conn),
    entered: entered.sort((a, b) => a.campaign.localeCompare(b.campaign) || a.userId.localeCompare(b.userId) || a.occurrence.localeCompare(b.occurrence)),
    warnings: [...zoneWarnings(ctx), ...attributeWarnings(config, ctx)],
  };
}

/**
 * User attributes the config names that the users snapshot has no column for: every
 * condition reads such an attribute as empty, so a misspelt `overdue_taks` silently holds
 * for no one (`exists`) or for everyone (`not_exists`). Validation cannot know the columns;
 * a plan can.
 */
function attributeWarnings(config: Config, ctx: EntryContext): string[] {
  const missing = new Map<string, Set<string>>();
  // Segments count only where a plan reads them: referenced, directly or through another.
  const segments = new Set<string>();
  const walk = (value: unknown, file: string): void => {
    if (Array.isArray(value)) for (const v of value) walk(v, file);
    else if (value !== null && typeof value === "object") {
      const segment = (value as { kind?: unknown; segment?: unknown }).kind === "segment" ? (value as { segment: unknown }).segment : undefined;
      const found = typeof segment === "string" ? config.segments.get(segment) : undefined;
      if (found && !segments.has(found.id)) {
        segments.add(found.id);
        walk(found, found.origin.file);
      }
      for (const [key, v] of Object.entries(value)) {
        if (key === "attribute" && typeof v === "string" && !hasColumn(ctx, v)) {
          missing.set(v, (missing.get(v) ?? new Set()).add(file));
        } else if (key !== "origin") walk(v, file);
      }
    }
  };
  for (const item of [...config.campaigns.values(), ...config.tags.values(), ...config.scoring.rules]) walk(item, item.origin.file);
  return [...missing].sort(([a], [b]) => a.localeCompare(b)).map(([name, files]) =>
    `attribute "${name}" (${[...files].sort().join(", ")}) is not a column of the users snapshot, so every condition on it reads it as empty: "exists" holds for no one and "not_exists" for everyone. Check its spelling, or export the column`);
}

/** Users whose time zone no zone database knows: they are planned in the settings' zone, which they should know. */
function zoneWarnings(ctx: EntryContext): string[] {
  const unknown = ctx.zones?.unknown ?? [];
  if (unknown.length === 0) return [];
  const users = unknown.reduce((n, z) => n + z.users, 0);
  const shown = [...unknown].sort((a, b) => b.users - a.users || a.zone.localeCompare(b.zone)).slice(0, 5);
  const list = shown.map((z) => `${JSON.stringify(z.zone)} (${z.users})`).join(", ") + (unknown.length > shown.length ? `, and ${unknown.length - shown.length} more` : "");
  return [`${users} user(s) have a time zone that is not an IANA name: ${list}; they are planned in the settings' zone ${ctx.timezone}. Correct the users' timezone column (e.g. America/New_York)`];
}

/** The suppressions of the derived `suppressed` table that the ledger does not hold yet. */
async function newSuppressions(conn: DuckDBConnection): Promise<NewSuppression[]> {
  const reader = await conn.runAndReadAll(`SELECT user_id, reason, ${sqlIsoText("since")} AS since
    FROM suppressed WHERE NOT recorded ORDER BY user_id, reason`);
  return reader.getRowObjects().map((r) => ({ userId: String(r.user_id), reason: String(r.reason) as NewSuppression["reason"], since: String(r.since) }));
}

interface CandidateRow {
  identity: SendIdentity;
  reason: string;
  /**
   * `exited`: the exit condition holds now; `exitEnded`: a run skipped an earlier step of the
   * occurrence by it; `suppressed`: every reason the user is suppressed for (unsubscribed, complained, bounced).
   */
  flags: { goal: boolean; exited: boolean; exitEnded: boolean; inWindow: boolean; noEmail?: "none" | "invalid"; suppressed: string[] };
}

/**
 * Every due row of one campaign, across its steps, with the facts needed to decide; adds to
 * `entered` the campaign's occurrences a run must record (`newOccurrencesSql`).
 */
async function campaignRows(
  conn: DuckDBConnection, campaign: Campaign, config: Config, ctx: EntryContext, orphans: boolean, entered: NewOccurrence[],
): Promise<CandidateRow[]> {
  // The campaign's done keys, grouped once by occurrence, serve its occurrences and its steps.
  await conn.run(`CREATE OR REPLACE TEMP TABLE campaign_keys AS ${campaignKeysSql(campaign)}`);
  await conn.run(`CREATE OR REPLACE TEMP TABLE occ AS ${occurrenceTableSql(campaign, config.settings, ctx, "campaign_keys")}`);
  const fresh = newOccurrencesSql(campaign, "occ", config.settings, ctx);
  if (fresh) {
    for (const r of (await conn.runAndReadAll(fresh)).getRowObjects()) {
      entered.push({ userId: String(r.user_id), campaign: campaign.id, occurrence: String(r.occurrence) });
    }
  }
  // Without orphan keys, the steps' keys are found beside their occurrences once per campaign.
  const keyed = !orphans && keyedSteps(campaign);
  if (keyed) await conn.run(`CREATE OR REPLACE TEMP TABLE occ_keyed AS ${keyedOccurrencesSql(campaign, "occ", "campaign_keys")}`);
  const out: CandidateRow[] = [];
  for (const step of campaign.steps) {
    const reader = await conn.runAndReadAll(`SELECT s.*, ${sqlIsoText("s.due")} AS due_iso
      FROM (${stepSql(campaign, step, keyed ? "occ_keyed" : "occ", config.settings, ctx, { orphans, keyed })}) s WHERE s.branch_taken`);
    for (const r of reader.getRowObjects()) {
      const userId = String(r.user_id);
      const variant = step.variants ? chooseVariant(userId, campaign.id, step.id, step.variants) : undefined;
      const template = variant?.template ?? step.template!;
      const type: MessageType = step.type ?? config.templates.get(template)?.type ?? "regular";
      out.push({
        identity: {
          key: String(r.key), userId, campaign: campaign.id, campaignKind: campaign.kind, step: step.id,
          ...(variant ? { variant: variant.id } : {}), template, type,
          occurrence: String(r.occurrence), dueAt: String(r.due_iso), priority: campaign.priority,
        },
        reason: `${describeStep(campaign, step.id)} (occurrence ${String(r.occurrence)})`,
        flags: {
          goal: r.goal_reached === true, exited: r.exited === true, exitEnded: r.exit_ended === true, inWindow: r.in_window === true,
          ...(r.no_email === null ? {} : { noEmail: String(r.no_email) as "none" | "invalid" }), suppressed: r.suppressed === null ? [] : String(r.suppressed).split(","),
        },
      });
    }
  }
  return out;
}

/** The first reason (in order of precedence) a due row must not be sent now, if any. */
function holdStatus(row: CandidateRow, campaign: Campaign, config: Config, now: Date): { status: HeldStatus; reason: string } | undefined {
  const { flags, identity } = row;
  const late = now.getTime() - Date.parse(identity.dueAt);
  const suppressBy = isMarketing(identity.type) ? config.settings.suppression.marketing : config.settings.suppression.service;
  const goal = `goal "${campaign.goal?.event}" reached`;
  // The exit holds now, or held when a run skipped an earlier step by it, which ended the occurrence.
  const exited = flags.exited ? "the campaign's exit condition holds"
    : flags.exitEnded ? "the campaign's exit condition held at an earlier step, which ended the occurrence" : undefined;
  // Too late first: a row past its allowance can never be sent, whatever else holds it, so
  // it is recorded as skipped and leaves the plan, instead of being held by its goal or
  // exit in every run from then on.
  if (late > campaign.latenessMs) {
    const also = flags.goal ? `; ${goal}` : exited ? `; ${exited}` : "";
    return { status: "too_late", reason: `due ${identity.dueAt}, more than the lateness allowance ago${also}` };
  }
  if (flags.goal) return { status: "goal_reached", reason: goal };
  if (exited) return { status: "exited", reason: exited };
  if (flags.noEmail === "none") return { status: "no_email", reason: "the user has no email address" };
  if (flags.noEmail === "invalid") return { status: "no_email", reason: "the user's email address is not one mail can be sent to (fix it in the users snapshot)" };
  const suppressedFor = flags.suppressed.find((reason) => suppressBy.includes(reason as never));
  if (suppressedFor) {
    return { status: "suppressed", reason: `${suppressedFor}: no ${isMarketing(identity.type) ? "marketing" : "service"} email` };
  }
  if (!flags.inWindow) return { status: "outside_window", reason: "outside the user's local send window now; sent at the next run inside it" };
  return undefined;
}

/** Sends recorded in the ledger inside the longest cap window, with their message type. */
async function recentSends(conn: DuckDBConnection, config: Config, now: Date): Promise<{ userId: string; type: string; at: number }[]> {
  const longest = Math.max(0, ...config.settings.caps.map((c) => c.perMs));
  if (longest === 0) return [];
  // The window's sends first, then only their intents: de-duplicating every intent in the
  // ledger before the join took 1.3–2.0 s at 1M users against 0.3 s (README, Benchmarks).
  const reader = await conn.runAndReadAll(`WITH s AS (
      SELECT key, "at" FROM ledger WHERE kind = 'sent' AND "at" > ${sqlInstant(now)} - ${sqlInterval(longest)} AND "at" <= ${sqlInstant(now)})
    SELECT i.user_id, i.type, epoch_ms(s."at") AS at FROM s
    JOIN (SELECT DISTINCT key, user_id, type FROM ledger WHERE kind = 'intent' AND key IN (SELECT key FROM s)) i ON i.key = s.key`);
  return reader.getRowObjects().map((r) => ({ userId: String(r.user_id), type: String(r.type), at: Number(r.at) }));
}

function describeStep(campaign: Campaign, stepId: string): string {
  return `${campaign.kind} "${campaign.id}" step "${stepId}" is due`;
}

const byDueThenKey = (a: SendIdentity, b: SendIdentity): number => a.dueAt.localeCompare(b.dueAt) || a.key.localeCompare(b.key);

export type { CompileContext };
