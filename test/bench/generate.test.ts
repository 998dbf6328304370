// The benchmark's data generator on a small population: what it makes must be what a year
// of the programme would leave (users, product and email events, a ledger of sends that
// the engine's own loader reads), or `npm run bench` measures some other plan.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureBenchData } from "../../src/bench/generate.ts";
import { openSnapshot } from "../../src/engine/index.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-bench-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const options = { dir, config: "config", users: 400, events: 20_000, now: new Date("2026-11-20T08:00:00Z"), days: 90, seed: 1, log: () => {} };

describe("the benchmark data", () => {
  it("holds a history of sends, their email events and a ledger the engine reads without bad rows", async () => {
    const data = await ensureBenchData(options);
    expect(data.reused).toBe(false);
    expect(data.users).toBe(400);
    expect(data.sends).toBeGreaterThan(400);
    expect(data.emailEvents).toBeGreaterThan(data.sends);
    const snapshot = await openSnapshot(dir);
    try {
      const n = async (sql: string): Promise<number> => Number((await snapshot.connection.runAndReadAll(sql)).getRowObjects()[0]!.n);
      expect(await n("SELECT count(DISTINCT key) AS n FROM ledger WHERE kind = 'sent'")).toBe(data.sends);
      expect(await n("SELECT count(DISTINCT campaign) AS n FROM ledger WHERE kind = 'intent'")).toBeGreaterThan(3);
      expect(await n("SELECT count(*) AS n FROM events WHERE event = 'email.delivered'")).toBeGreaterThan(0);
      expect(await snapshot.badRows()).toEqual([]);
    } finally {
      snapshot.close();
    }
  }, 120_000);

  it("is reused when asked for again with the same parameters", async () => {
    const again = await ensureBenchData(options);
    expect(again.reused).toBe(true);
  });
});
