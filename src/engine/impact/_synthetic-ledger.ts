/**
 * Writes a backtest run's outcome into the in-memory `ledger` table as a real run would
 * record it (an `intent` and a `sent` per send, and `planRecords`: a `skipped` per row
 * that came too late, an `entered` per new occurrence the plan lists, a
 * `suppressed` per newly suppressed user; with the columns that
 * table keeps), so later runs of the replay see it through the same ledger the evaluator
 * reads.
 * Nothing touches the ledger files on disk.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { planRecords } from "../ledger/plan-records.ts";
import { LEDGER_TABLE_COLUMNS } from "../ledger/table.ts";
import type { Plan } from "../evaluate/types.ts";

const STAGE_COLUMNS = LEDGER_TABLE_COLUMNS;
type StageRow = Partial<Record<(typeof STAGE_COLUMNS)[number], string>>;

/** Appends the synthetic ledger records of `plan`, "sent" at `at`; returns how many rows were written. */
export async function recordSyntheticRun(conn: DuckDBConnection, plan: Plan, at: Date): Promise<number> {
  const iso = at.toISOString();
  const rows: StageRow[] = [];
  for (const s of plan.sends) {
    const identity = { at: iso, key: s.key, user_id: s.userId, campaign: s.campaign, step: s.step, occurrence: s.occurrence };
    rows.push({ kind: "intent", ...identity, type: s.type, ...(s.variant ? { variant: s.variant } : {}) });
    rows.push({ kind: "sent", at: iso, key: s.key });
  }
  for (const r of planRecords(plan, iso, "backtest")) {
    if (r.kind === "skipped") rows.push({ kind: r.kind, at: r.at, key: r.key, user_id: r.user_id, campaign: r.campaign, step: r.step, occurrence: r.occurrence, reason: r.reason });
    else if (r.kind === "entered") rows.push({ kind: r.kind, at: r.at, user_id: r.user_id, campaign: r.campaign, occurrence: r.occurrence });
    else rows.push({ kind: r.kind, at: r.at, user_id: r.user_id, reason: r.reason });
  }
  if (rows.length === 0) return 0;

  await conn.run(`CREATE OR REPLACE TEMP TABLE backtest_stage (${STAGE_COLUMNS.map((c) => `"${c}" VARCHAR`).join(", ")})`);
  const appender = await conn.createAppender("backtest_stage");
  for (const row of rows) {
    for (const column of STAGE_COLUMNS) {
      const value = row[column];
      if (value === undefined) appender.appendNull();
      else appender.appendVarchar(value);
    }
    appender.endRow();
  }
  appender.closeSync();
  await conn.run(`INSERT INTO ledger BY NAME
    SELECT * REPLACE ("at"::TIMESTAMPTZ AS "at") FROM backtest_stage`);
  await conn.run("DROP TABLE backtest_stage");
  return rows.length;
}
