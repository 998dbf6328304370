/**
 * Replays the nightly job day by day over a snapshot, so the report site gets real
 * history: at each run instant the evaluator sees only what had happened by then (users
 * signed up, their attributes as of that moment, events up to that instant, the ledger so
 * far); its plan is "sent" through the simulated transport and the recipients' reactions
 * become email events that later runs (branches, suppression, scoring) see in turn.
 */
import path from "node:path";
import type { Config, MessageType } from "../engine/config/types.ts";
import type { Snapshot } from "../engine/data/snapshot.ts";
import { appendLedgerFiles } from "../engine/ledger/table.ts";
import type { HeldStatus, Plan } from "../engine/evaluate/types.ts";
import { DAY_MS, HOUR_MS } from "../engine/duration.ts";
import { react } from "./behaviour.ts";
import { realiseConversion } from "./_conversions.ts";
import { appendEvents, appendPeople, tsLiteral, usersAsOfSql } from "./store.ts";
import type { DemoEvent, DemoUser } from "./taskly.ts";
import { simulateRun } from "./transport.ts";

/** The evaluator's signature (src/engine/evaluate/evaluate.ts). */
export type EvaluateFn = (config: Config, snapshot: Snapshot, now: Date) => Promise<Plan>;

export interface ReplayOptions {
  config: Config;
  dataDir: string;
  seed: number;
  /** The last instant of the replay (and of the data). */
  now: Date;
  days: number;
  /** UTC hours of the runs on each day, e.g. [8, 15]. */
  runHours: number[];
  evaluate: EvaluateFn;
  /** Everyone in the snapshot with their timeline; conversions update it. */
  people: Map<string, DemoUser>;
  log: (line: string) => void;
}

export interface ReplaySummary {
  runs: number;
  sent: number;
  skipped: number;
  held: Partial<Record<HeldStatus, number>>;
  /** Email events by name, plus nps.answered. */
  emailEvents: Record<string, number>;
  sentByType: Partial<Record<MessageType, number>>;
  conversions: number;
}


/** The run instants: `runHours` on each of the last `days` days, none after `now`, oldest first. */
export function runInstants(now: Date, days: number, runHours: number[]): Date[] {
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  const out: Date[] = [];
  for (let d = days - 1; d >= 0; d--) {
    for (const h of [...runHours].sort((a, b) => a - b)) {
      const at = today - d * DAY_MS + h * HOUR_MS;
      if (at <= now.getTime()) out.push(new Date(at));
    }
  }
  return out;
}

/**
 * Runs the replay on an open snapshot of the generated data. Afterwards the connection
 * holds `events_all` (product + email events, some possibly after `now`) and
 * `demo_people` (the updated timeline) for the caller to export.
 */
export async function replay(snapshot: Snapshot, o: ReplayOptions): Promise<ReplaySummary> {
  const conn = snapshot.connection;
  const instants = runInstants(o.now, o.days, o.runHours);
  await conn.run("ALTER TABLE events RENAME TO events_all");
  await conn.run("DROP TABLE users");
  await appendPeople(conn, o.people.values());
  const first = instants[0] ?? o.now;
  await conn.run(`CREATE TABLE events AS SELECT * FROM events_all WHERE ts <= ${tsLiteral(first)}`);

  const summary: ReplaySummary = { runs: 0, sent: 0, skipped: 0, held: {}, emailEvents: {}, sentByType: {}, conversions: 0 };
  const ledgerDir = path.join(o.dataDir, "ledger");
  let revealed = first;
  let day = { label: "", sent: 0, held: 0, skipped: 0 };
  const flushDay = (): void => {
    if (day.label) o.log(`${day.label}  sent ${day.sent}  held ${day.held}  skipped ${day.skipped}`);
  };

  for (const at of instants) {
    await conn.run(`CREATE OR REPLACE TABLE users AS ${usersAsOfSql(at)}`);
    if (at > revealed) {
      await conn.run(`INSERT INTO events SELECT * FROM events_all WHERE ts > ${tsLiteral(revealed)} AND ts <= ${tsLiteral(at)}`);
      revealed = at;
    }
    const plan = await o.evaluate(o.config, snapshot, at);
    const run = simulateRun(plan, { at, ledgerDir });
    if (run.file) {
      await appendLedgerFiles(conn, [run.file]);
    }

    const fresh: DemoEvent[] = [];
    const changed = new Map<string, DemoUser>();
    run.sent.forEach((send, i) => {
      summary.sentByType[send.type] = (summary.sentByType[send.type] ?? 0) + 1;
      const goal = o.config.campaigns.get(send.campaign)?.goal;
      const reaction = react(send, at.getTime() + i * 50, { seed: o.seed, siteUrl: o.config.settings.siteUrl, goal });
      fresh.push(...reaction.events);
      const person = o.people.get(send.userId);
      if (reaction.conversion && person) {
        const result = realiseConversion(reaction.conversion, person, { seed: o.seed, now: o.now.getTime() });
        if (result.events.length) summary.conversions++;
        fresh.push(...result.events);
        if (result.changed) changed.set(person.user_id, person);
      }
    });
    for (const e of fresh) if (e.event.startsWith("email.") || e.event === "unsubscribed" || e.event === "nps.answered") {
      summary.emailEvents[e.event] = (summary.emailEvents[e.event] ?? 0) + 1;
    }
    if (fresh.length) await appendEvents(conn, "events_all", fresh);
    if (changed.size) {
      await conn.run(`DELETE FROM demo_people WHERE user_id IN (${[...changed.keys()].map((k) => `'${k}'`).join(", ")})`);
      await appendPeople(conn, changed.values());
    }

    summary.runs++;
    summary.sent += run.sent.length;
    summary.skipped += run.skipped;
    for (const h of plan.held) summary.held[h.status] = (summary.held[h.status] ?? 0) + 1;
    const label = at.toISOString().slice(0, 10);
    if (label !== day.label) {
      flushDay();
      day = { label, sent: 0, held: 0, skipped: 0 };
    }
    day.sent += run.sent.length;
    day.held += plan.held.length;
    day.skipped += run.skipped;
  }
  flushDay();
  return summary;
}
