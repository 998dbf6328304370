/**
 * Everything the site shows, computed once per build from the snapshot and the config
 * (NURTURE_DATA, default `data`; NURTURE_CONFIG, default `config`; NURTURE_NOW pins the
 * "as of" instant, else the latest timestamp in the data). Pages share one promise, so
 * DuckDB runs each query once however many pages read it.
 */
import path from "node:path";
import type { Config } from "../engine/config/types.ts";
import { rows } from "./db.ts";
import { buildMessages, type GoalSpec } from "./messages.ts";
import { activationCohorts, type Cohort } from "./metrics/activation.ts";
import { audienceOverTime, type AudienceReport } from "./metrics/audience.ts";
import { sendsPerWeek, stepFunnels, typeFunnels, type StepFunnel, type TypeFunnel } from "./metrics/campaigns.ts";
import { headline, type Headline } from "./metrics/overview.ts";
import { npsReport, NPS_EVENT, type NpsReport } from "./metrics/nps.ts";
import { subjectTests, type SubjectTest } from "./metrics/variants.ts";
import { configChanges, type ConfigChange } from "./changes.ts";
import { audienceSnapshot, loadConfig, openSnapshot } from "./engine.ts";
import { emailPreviews, type EmailPreview } from "./emails.ts";

export interface SiteData {
  asOf: string;
  k: number;
  timezone: string;
  siteUrl: string;
  /** Where detractors' replies go: the sender's reply-to (a team address from the config). */
  replyTo: string;
  users: number;
  activationSpec: { event: string; count: number; windowDays: number };
  headlines: Headline[];
  cohorts: { week: Cohort[]; month: Cohort[] };
  changes: ConfigChange[];
  steps: StepFunnel[];
  types: TypeFunnel[];
  tests: SubjectTest[];
  weeklySends: { week: string; sent: number; users: number }[];
  campaigns: Record<string, { name: string; kind: string }>;
  nps: NpsReport;
  /** Null until the evaluator's audienceSnapshot exists (or when it fails: `audienceNote`). */
  audience: AudienceReport | null;
  audienceNote?: string;
  emails: EmailPreview[];
  emailsNote?: string;
}

const DAY = 86_400_000;

async function asOfInstant(conn: Parameters<typeof rows>[0]): Promise<Date> {
  if (process.env.NURTURE_NOW) return new Date(process.env.NURTURE_NOW);
  const [r] = await rows(
    conn,
    `SELECT greatest((SELECT max(ts) FROM events), (SELECT max(created_at) FROM users), (SELECT max("at") FROM ledger))::VARCHAR AS latest`,
  );
  return r?.latest ? new Date(String(r.latest)) : new Date();
}

/** Builds all site data. Exported for tests; pages call `siteData()`. */
export async function buildSiteData(dataDir: string, configDir: string): Promise<SiteData> {
  const config = await loadConfig(configDir);
  const snapshot = await openSnapshot(dataDir);
  try {
    return await compute(config, snapshot, configDir);
  } finally {
    snapshot.close();
  }
}

async function compute(config: Config, snapshot: Awaited<ReturnType<typeof openSnapshot>>, configDir: string): Promise<SiteData> {
  const conn = snapshot.connection;
  const s = config.settings;
  const k = s.privacyK;
  const campaigns = [...config.campaigns.values()];
  const goals: GoalSpec[] = campaigns.flatMap((c) => (c.goal
    ? [{ campaign: c.id, event: c.goal.event, ...(c.goal.where ? { where: c.goal.where } : {}), attributionMs: c.goal.attributionMs }]
    : []));
  await buildMessages(conn, { machineOpenMs: s.machineOpenMs, goals });
  const asOf = await asOfInstant(conn);
  const opts = { conn, activation: s.activation, timezone: s.timezone, asOf, k };
  const [usersRow] = await rows(conn, "SELECT count(*)::INTEGER AS n FROM users");
  const audience = await audienceReport(config, snapshot, asOf, k);
  const emails = await emailPreviews(config);
  return {
    asOf: asOf.toISOString(),
    k,
    timezone: s.timezone,
    siteUrl: s.siteUrl,
    replyTo: s.sender.replyTo ?? /<([^>]+)>/.exec(s.sender.from)?.[1] ?? s.sender.from,
    users: Number(usersRow?.n ?? 0),
    activationSpec: { event: s.activation.event, count: s.activation.count, windowDays: s.activation.windowMs / DAY },
    headlines: [await headline(opts, 7), await headline(opts, 30), await headline(opts, 90)],
    cohorts: { week: await activationCohorts(opts, "week"), month: await activationCohorts(opts, "month") },
    changes: await configChanges(configDir),
    steps: await stepFunnels(conn, k, new Map(campaigns.map((c) => [c.id, c.steps.map((st) => st.id)]))),
    types: await typeFunnels(conn, k),
    tests: await subjectTests(conn, k),
    weeklySends: await sendsPerWeek(conn, s.timezone),
    campaigns: Object.fromEntries(campaigns.map((c) => [c.id, { name: c.name, kind: c.kind }])),
    nps: await npsReport(conn, {
      k,
      timezone: s.timezone,
      followUpCampaigns: campaigns.filter((c) => c.entry.on === "event" && c.entry.event === NPS_EVENT).map((c) => c.id),
    }),
    audience: audience.report,
    audienceNote: audience.note,
    emails: emails.previews,
    emailsNote: emails.note,
  };
}

async function audienceReport(config: Config, snapshot: Awaited<ReturnType<typeof openSnapshot>>, asOf: Date, k: number): Promise<{ report: AudienceReport | null; note?: string }> {
  try {
    return { report: await audienceOverTime((instant) => audienceSnapshot(config, snapshot, instant), { asOf, weeks: 12, k }) };
  } catch (error) {
    return { report: null, note: `The audience could not be computed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

let cached: Promise<SiteData> | undefined;

/** The site's data for this build (computed on first use). */
export function siteData(): Promise<SiteData> {
  cached ??= buildSiteData(path.resolve(process.env.NURTURE_DATA ?? "data"), path.resolve(process.env.NURTURE_CONFIG ?? "config"));
  return cached;
}
