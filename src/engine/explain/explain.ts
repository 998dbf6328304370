/**
 * explain(): why one user did or did not get each campaign's emails, as of `now`.
 *
 * It runs the same evaluate() the plan runs and takes that user's rows from it, so what
 * `explain` says is due or held always agrees with `plan`. Around those rows it adds the
 * facts a person debugging needs: the user's attributes, score, level, tags and
 * suppression, and per campaign the entry occurrences, whether the audience matched,
 * what the ledger says was sent or skipped, and when the next step will be due.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { BranchOn, Campaign, Config, EngagementLevel, ScoreBand } from "../config/types.ts";
import type { Snapshot } from "../data/snapshot.ts";
import { attribute, attributeTimeSql, compileCondition, whereSql } from "../sql/conditions.ts";
import { entrySql, type EntryContext } from "../sql/entries.ts";
import { sqlInstant, sqlInterval, sqlIsoText, sqlString } from "../sql/literals.ts";
import { evaluate } from "../evaluate/evaluate.ts";
import { entryContext } from "../evaluate/_derived.ts";
import { occurrenceTableSql } from "../evaluate/_occurrences.ts";
import { hasOrphanKeys, stepSql } from "../evaluate/_steps-sql.ts";
import type { BadRowCount, HeldBack, PlannedSend, Plan } from "../evaluate/types.ts";
import { unknownUser } from "../data/unknown-user.ts";

/** One line of a campaign's history in the ledger. */
export interface LedgerLine {
  step: string;
  kind: "sent" | "skipped" | "failed" | "pending";
  at: string;
  occurrence: string;
  detail?: string;
}

export interface UpcomingStep {
  step: string;
  occurrence: string;
  due: string;
  /** For a branch step, what must hold by then for it to be sent, in words ("first-project" not opened). */
  if?: string;
}

/** A branch step that is not sent for the latest occurrence: its moment came without its behaviour, or what the user did rules it out. */
export interface BranchNotTaken {
  step: string;
  /** What it needed, in words. */
  needed: string;
  due: string;
}

/** The one-word state of a campaign for the user, most actionable first. */
export type Verdict =
  | "sends_now"
  | "held"
  | "waiting"
  | "ended"
  | "stopped"
  | "branch_not_taken"
  | "finished"
  | "not_in_audience"
  | "not_entered";

export interface CampaignExplanation {
  id: string;
  kind: "sequence" | "trigger";
  file: string;
  verdict: Verdict;
  /** The verdict in plain words. */
  summary: string;
  /** Entry occurrences before the audience and re-entry filters: those the entry gives now and those the ledger records the user entered. */
  entered: string[];
  /** Occurrences that count (after audience and re-entry). */
  occurrences: string[];
  audienceMatches: boolean | null;
  sends: PlannedSend[];
  held: HeldBack[];
  history: LedgerLine[];
  upcoming: UpcomingStep[];
  /** Branch steps of the latest occurrence whose moment came without their behaviour, or that what the user did rules out. */
  branchesNotTaken: BranchNotTaken[];
  /**
   * What ended the latest occurrence's remaining steps before their moment: its goal was
   * reached, or its exit condition holds, or held when a run skipped a step by it (which
   * ended the occurrence). Those steps are not upcoming; when their moment comes the plan
   * holds them for the same reason.
   */
  endedBy: "goal" | "exit" | null;
}

export interface Explanation {
  now: string;
  userId: string;
  attributes: Record<string, unknown>;
  score: number | null;
  band: ScoreBand | null;
  level: EngagementLevel | null;
  tags: { tag: string; assignedAt: string }[];
  suppressed: string[];
  campaigns: CampaignExplanation[];
  warnings: string[];
  /** Rows of the snapshot set aside while loading, as the plan counts them: any may be this user's. */
  badRows: BadRowCount[];
}

/**
 * Explains, for one user, every campaign's state as of `now`.
 *
 * @throws NurtureError `unknown-user` when the user is not in the snapshot (saying so
 *   when their row was set aside as bad).
 * @example
 * const why = await explain(config, snapshot, "u042", new Date("2026-11-20T09:00:00Z"));
 * why.campaigns.find((c) => c.id === "welcome")?.summary;
 */
export async function explain(config: Config, snapshot: Snapshot, userId: string, now: Date): Promise<Explanation> {
  const attributes = await snapshot.userAttributes(userId);
  if (!attributes) throw await unknownUser(snapshot.connection, userId);
  const plan = await evaluate(config, snapshot, now);
  const conn = snapshot.connection;
  const ctx = await entryContext(conn, config, now);
  const facts = await userFacts(conn, userId);
  const campaigns: CampaignExplanation[] = [];
  for (const campaign of config.campaigns.values()) campaigns.push(await explainCampaign(conn, campaign, config, ctx, plan, userId));
  campaigns.sort((a, b) => VERDICT_ORDER.indexOf(a.verdict) - VERDICT_ORDER.indexOf(b.verdict) || a.id.localeCompare(b.id));
  return { now: plan.now, userId, attributes, ...facts, campaigns, warnings: plan.warnings, badRows: plan.badRows };
}

const VERDICT_ORDER: Verdict[] = ["sends_now", "held", "waiting", "ended", "stopped", "branch_not_taken", "finished", "not_in_audience", "not_entered"];

async function explainCampaign(
  conn: DuckDBConnection, campaign: Campaign, config: Config, ctx: EntryContext, plan: Plan, userId: string,
): Promise<CampaignExplanation> {
  const user = sqlString(userId);
  const sends = plan.sends.filter((s) => s.userId === userId && s.campaign === campaign.id);
  const held = plan.held.filter((h) => h.userId === userId && h.campaign === campaign.id);
  const history = await ledgerHistory(conn, campaign.id, userId, ctx.now);
  // Entries that only the current day's facts give (a condition, a level change, a tag)
  // leave no trace once they stop holding but the ledger's: what was sent or skipped, and
  // the `entered` records (the evaluation's entered_occurrences).
  const entered = [...new Set([
    ...history.map((h) => h.occurrence),
    ...await strings(conn, `SELECT occurrence AS v FROM entered_occurrences WHERE campaign = ${sqlString(campaign.id)} AND user_id = ${user}`),
    ...await strings(conn, `SELECT occurrence AS v FROM (${entrySql(campaign.entry, ctx)}) WHERE user_id = ${user}`),
  ])].sort(byOccurrence);
  const audienceMatches = campaign.audience
    ? (await strings(conn, `SELECT 'y' AS v FROM users u WHERE u.user_id = ${user} AND (${compileCondition(campaign.audience, ctx)})`)).length > 0
    : null;
  await conn.run(`CREATE OR REPLACE TEMP TABLE explain_occ AS SELECT * FROM (${occurrenceTableSql(campaign, config.settings, ctx)}) WHERE user_id = ${user}`);
  const occ = (await conn.runAndReadAll("SELECT occurrence, goal_reached, exited FROM explain_occ ORDER BY occurred_at, occurrence")).getRowObjects();
  const occurrences = occ.map((o) => String(o.occurrence));
  const latest = occ.at(-1);

  const upcoming: (UpcomingStep & { order: number })[] = [];
  const branchesNotTaken: BranchNotTaken[] = [];
  let endedBy: CampaignExplanation["endedBy"] = null;
  const orphans = await hasOrphanKeys(conn);
  for (const [order, step] of campaign.steps.entries()) {
    const rows = (await conn.runAndReadAll(`SELECT occurrence, branch_taken, branch_closed, goal_reached, exited, exit_ended,
        ${sqlIsoText("due")} AS due, due > ${sqlInstant(ctx.now)} AS later
      FROM (${stepSql(campaign, step, "explain_occ", config.settings, ctx, { upcoming: true, orphans })}) ORDER BY due`)).getRowObjects();
    const needed = step.when && step.after ? describeWhen(step.when, step.after) : undefined;
    for (const r of rows) {
      // A step of an occurrence the exit ended is never sent (the plan holds it, once due, as exited).
      if (r.later === true && r.exit_ended === true) continue;
      // The plan's order of precedence: a goal reached holds a row before an exit does.
      const ended = r.goal_reached === true ? "goal" : r.exited === true ? "exit" : null;
      const notTaken = needed !== undefined && (r.later === true ? r.branch_closed === true : r.branch_taken !== true);
      if (r.later === true && ended) endedBy ??= ended;
      else if (notTaken) {
        if (r.occurrence === latest?.occurrence) branchesNotTaken.push({ step: step.id, needed: needed!, due: String(r.due) });
      } else if (r.later === true) {
        upcoming.push({ step: step.id, occurrence: String(r.occurrence), due: String(r.due), ...(needed ? { if: needed } : {}), order });
      }
    }
  }
  upcoming.sort((a, b) => a.due.localeCompare(b.due) || a.order - b.order);
  // The latest occurrence stopped at a step skipped by the exit, which ended it; or at one
  // skipped as too late: the steps after it follow a sent email only.
  const mine = history.filter((h) => h.occurrence === latest?.occurrence);
  const exitSkip = mine.find((h) => h.kind === "skipped" && isExitSkip(h));
  // So did one whose every record is a skip (a one-email trigger missed): nothing was sent.
  const stoppedAt = exitSkip ?? mine.find((h) => h.kind === "skipped"
    && campaign.steps.some((s) => s.after === h.step && !mine.some((m) => m.step === s.id)))
    ?? (mine.some((m) => m.kind === "sent") ? undefined : mine.find((h) => h.kind === "skipped"));
  if (exitSkip) endedBy = "exit";
  else if (stoppedAt && !endedBy) endedBy = latest?.goal_reached === true ? "goal" : latest?.exited === true ? "exit" : null;

  const base = {
    id: campaign.id, kind: campaign.kind, file: campaign.origin.file, entered, occurrences, audienceMatches, sends, held, history,
    upcoming: upcoming.map(({ order: _, ...u }) => u), branchesNotTaken, endedBy,
  };
  const notEntered = entered.length === 0 ? await describeEntry(conn, campaign, ctx, userId) : "";
  return { ...base, ...verdict(campaign, base, stoppedAt, notEntered) };
}

/**
 * Why an `attribute_date` entry has not happened for the user, from the value itself: no
 * such column, empty, not a date or time the loader reads, or a moment still to come.
 */
async function attributeDateDetail(
  conn: DuckDBConnection, entry: Extract<Campaign["entry"], { on: "attribute_date" }>, ctx: EntryContext, userId: string,
): Promise<string> {
  const name = `"${entry.attribute}"`;
  const column = attribute(entry.attribute, ctx);
  if (column === "NULL") return `the users table has no column ${name}`;
  const row = (await conn.runAndReadAll(`SELECT trim(${column}::VARCHAR) AS raw,
      ${sqlIsoText(`${attributeTimeSql(entry.attribute, ctx)} + ${sqlInterval(entry.offsetMs)}`)} AS at
    FROM users u WHERE u.user_id = ${sqlString(userId)}`)).getRowObjects()[0];
  const raw = row?.raw === null || row?.raw === undefined ? "" : String(row.raw);
  if (raw === "") return `${name} is empty for this user`;
  if (row!.at === null) {
    return `${name} is ${JSON.stringify(raw)}, which is not a date or time it reads (ISO 8601, e.g. 2026-11-26 or 2026-11-26T09:00:00Z)`;
  }
  const at = String(row!.at);
  const moment = `${name}${entry.offsetMs ? " + the offset" : ""} is ${at}`;
  return at > ctx.now.toISOString() ? `${moment}, which is still to come` : `${moment}, but the user signed up after now`;
}

/** A `skipped` record of a step the campaign's exit held (see `planRecords`). */
const isExitSkip = (h: LedgerLine): boolean => h.detail?.startsWith("exited:") === true;

/** Occurrences are instants (ISO, UTC) or local days (YYYY-MM-DD): both sort as text. */
const byOccurrence = (a: string, b: string): number => a.localeCompare(b);

function describeWhen(when: BranchOn, after: string): string {
  switch (when) {
    case "opened": return `"${after}" opened`;
    case "clicked": return `"${after}" clicked`;
    case "not_opened": return `"${after}" not opened`;
    case "not_clicked": return `"${after}" not clicked`;
    case "opened_not_clicked": return `"${after}" opened but not clicked`;
    case "clicked_not_converted": return `"${after}" clicked but no conversion`;
    case "converted": return `a conversion after "${after}"`;
  }
}

/** Picks the verdict from the facts, in order of what a person most needs to know. */
function verdict(
  campaign: Campaign, f: Omit<CampaignExplanation, "verdict" | "summary">, stoppedAt: LedgerLine | undefined, notEntered: string,
): { verdict: Verdict; summary: string } {
  const sent = f.history.filter((h) => h.kind === "sent").length;
  const steps = `${sent} email(s) sent so far`;
  if (f.sends.length > 0) {
    return { verdict: "sends_now", summary: `due now: ${f.sends.map((s) => `step "${s.step}"${s.variant ? ` (variant ${s.variant})` : ""}`).join(", ")}; ${steps}` };
  }
  if (f.held.length > 0) {
    return { verdict: "held", summary: f.held.map((h) => `step "${h.step}" held back, ${h.status}: ${h.reason}`).join("; ") };
  }
  if (f.upcoming.length > 0) {
    const next = f.upcoming[0]!;
    return { verdict: "waiting", summary: `next: step "${next.step}" due ${next.due}${next.if ? ` if ${next.if} by then` : ""}; ${steps}` };
  }
  if (f.endedBy) {
    // A goal event stays in the history; an exit condition may stop holding (a login
    // `within` 1d), and ends the occurrence only once a run holds a step by it.
    const summary = f.endedBy === "goal"
      ? `ended: its goal "${campaign.goal?.event}" was reached, so no further step is sent`
      : stoppedAt && isExitSkip(stoppedAt)
        ? `ended: step "${stoppedAt.step}" was skipped because its exit condition (${campaign.origin.file} /exit) held, which ended the occurrence, so no further step is sent`
        : `ended: its exit condition (${campaign.origin.file} /exit) holds, so the next step is skipped, and the occurrence ended, if it still holds when that step is due`;
    return { verdict: "ended", summary: `${summary}; ${steps}` };
  }
  if (stoppedAt) {
    return {
      verdict: "stopped",
      summary: `stopped: step "${stoppedAt.step}" was skipped (${stoppedAt.detail ?? "too late"})${
        campaign.steps.some((s) => s.after === stoppedAt.step) ? ", and the steps after it follow a sent email only" : ""}; ${steps}`,
    };
  }
  // A branch the latest occurrence did not take is the answer only when nothing was sent after its moment.
  const lastSent = f.history.filter((h) => h.kind === "sent" && h.occurrence === f.occurrences.at(-1)).map((h) => h.at).sort().at(-1);
  const branch = f.branchesNotTaken.find((b) => lastSent === undefined || b.due >= lastSent);
  if (branch) {
    return { verdict: "branch_not_taken", summary: `step "${branch.step}" is only sent if ${branch.needed}, which did not happen; ${steps}` };
  }
  if (f.occurrences.length > 0) {
    const untaken = f.branchesNotTaken.map((b) => `"${b.step}"`);
    return { verdict: "finished", summary: `every step is done for the latest occurrence${untaken.length ? ` (branch ${untaken.join(", ")} not taken)` : ""}; ${steps}` };
  }
  if (f.entered.length > 0 && f.audienceMatches === false) {
    return {
      verdict: "not_in_audience",
      summary: `entered ${f.entered.length} time(s) but the audience (${campaign.origin.file} /audience) does not match${sent ? ` now; ${steps}` : ""}`,
    };
  }
  return { verdict: "not_entered", summary: `the entry never happened: ${notEntered}` };
}

/**
 * Why a `no_event` entry has not happened: the anchor that opens its window never did (no
 * such event, no such date), or it did and the event followed within the window, or the
 * window is still open.
 */
async function noEventDetail(
  conn: DuckDBConnection, entry: Extract<Campaign["entry"], { on: "no_event" }>, ctx: EntryContext, userId: string,
): Promise<string> {
  const user = sqlString(userId);
  const a = entry.after;
  const anchored = a.kind === "signup" ? `SELECT created_at IS NOT NULL AS y FROM users u WHERE u.user_id = ${user}`
    : a.kind === "event" ? `SELECT EXISTS (SELECT 1 FROM events e WHERE e.user_id = ${user} AND e.event = ${sqlString(a.event)}
        AND e.ts <= ${sqlInstant(ctx.now)}${whereSql(a.where, "e")}) AS y`
    : `SELECT ${attributeTimeSql(a.attribute, ctx)} IS NOT NULL AS y FROM users u WHERE u.user_id = ${user}`;
  const row = (await conn.runAndReadAll(anchored)).getRowObjects()[0];
  if (row?.y !== true) {
    return a.kind === "signup" ? "the user has no signup time (created_at), which opens the window"
      : a.kind === "event" ? `no "${a.event}" event${a.where ? " matching its properties" : ""} up to now, which opens the window`
      : `"${a.attribute}" is empty or not a date for this user, and it opens the window`;
  }
  return `"${entry.event}" was done within the window, or the window has not ended yet`;
}

/** Why the campaign's entry has not happened for the user (an attribute date from the user's value). */
async function describeEntry(conn: DuckDBConnection, campaign: Campaign, ctx: EntryContext, userId: string): Promise<string> {
  const e = campaign.entry;
  switch (e.on) {
    case "signup": return "the user has no signup time (created_at) up to now";
    case "event": return `no "${e.event}" event${e.where ? " matching its properties" : ""} up to now`;
    case "no_event": return noEventDetail(conn, e, ctx, userId);
    case "attribute_date": return attributeDateDetail(conn, e, ctx, userId);
    case "inactive": return "the user has been active more recently than the inactivity period";
    case "tag_assigned": return `the tag "${e.tag}" has not been assigned`;
    case "score_reached": return `the score has not reached ${e.threshold}`;
    case "engagement_changed": return `the engagement level has not changed to "${e.to}"`;
    case "condition": return `the condition does not hold today (${campaign.origin.file} /entry)`;
  }
}

/** The campaign's ledger lines for the user up to `now`: sent, skipped, failed, and intents still pending. */
async function ledgerHistory(conn: DuckDBConnection, campaign: string, userId: string, now: Date): Promise<LedgerLine[]> {
  // A plan as of an earlier instant does not know what later runs recorded.
  const asOf = `"at" <= ${sqlInstant(now)}`;
  const rows = (await conn.runAndReadAll(`WITH mine AS (
      SELECT DISTINCT key, step, occurrence FROM ledger
      WHERE kind IN ('intent', 'skipped', 'failed') AND user_id = ${sqlString(userId)} AND campaign = ${sqlString(campaign)} AND ${asOf})
    SELECT m.step, m.occurrence, l.kind, ${sqlIsoText('l."at"')} AS at, coalesce(l.reason, l.error) AS detail,
      EXISTS (SELECT 1 FROM ledger d WHERE d.key = m.key AND d.kind IN ('sent', 'skipped', 'failed') AND d.${asOf}) AS settled
    FROM mine m JOIN ledger l ON l.key = m.key WHERE l.kind IN ('sent', 'skipped', 'failed', 'intent') AND l.${asOf} ORDER BY l."at", l.kind`)).getRowObjects();
  const out: LedgerLine[] = [];
  for (const r of rows) {
    if (r.kind === "intent" && r.settled === true) continue;
    const kind = r.kind === "intent" ? "pending" : (String(r.kind) as LedgerLine["kind"]);
    out.push({ step: String(r.step), kind, at: String(r.at), occurrence: String(r.occurrence), ...(r.detail ? { detail: String(r.detail) } : {}) });
  }
  return out;
}

async function userFacts(conn: DuckDBConnection, userId: string): Promise<Pick<Explanation, "score" | "band" | "level" | "tags" | "suppressed">> {
  const user = sqlString(userId);
  const score = (await conn.runAndReadAll(`SELECT score, band FROM user_scores WHERE user_id = ${user}`)).getRowObjects()[0];
  const level = (await conn.runAndReadAll(`SELECT level FROM user_levels WHERE user_id = ${user}`)).getRowObjects()[0];
  const tags = (await conn.runAndReadAll(`SELECT tag, strftime(timezone('UTC', min(assigned_at)), '%Y-%m-%dT%H:%M:%S') || 'Z' AS at
    FROM user_tags WHERE user_id = ${user} GROUP BY tag ORDER BY min(assigned_at), tag`)).getRowObjects();
  return {
    // Cut, not rounded, to two decimals: 49.9976 shown as 50 beside the band of 49.9976 (warm under a hot of 50) would puzzle.
    score: score ? Math.trunc(Number(score.score) * 100) / 100 : null,
    band: score ? (String(score.band) as ScoreBand) : null,
    level: level ? (String(level.level) as EngagementLevel) : null,
    tags: tags.map((t) => ({ tag: String(t.tag), assignedAt: String(t.at) })),
    suppressed: await strings(conn, `SELECT DISTINCT reason AS v FROM suppressed WHERE user_id = ${user} ORDER BY 1`),
  };
}

async function strings(conn: DuckDBConnection, sql: string): Promise<string[]> {
  return (await conn.runAndReadAll(sql)).getRowObjects().map((r) => String(r.v));
}

