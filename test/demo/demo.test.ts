import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nurture } from "../support/cli.ts";
import { openSnapshot } from "../../src/engine/data/snapshot.ts";
import { runDemo, tasklyUsers, runInstants } from "../../src/demo/index.ts";
import { evaluate } from "../../src/engine/evaluate/evaluate.ts";

const NOW = "2026-11-20T08:00:00Z";
const small = ["--users", "300", "--days", "40", "--replay-days", "6", "--run-hours", "8,15", "--now", NOW];

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-demo-"));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe("the demo world", () => {
  it("is the same for the same seed and different for another", () => {
    const take = (seed: number) => [...tasklyUsers({ users: 50, days: 30, seed, now: new Date(NOW) })];
    const a = take(1);
    expect(take(1)).toEqual(a);
    expect(take(2)).not.toEqual(a);
  });

  it("puts no event before the user's signup or after now", () => {
    for (const { user, events } of tasklyUsers({ users: 200, days: 30, seed: 3, now: new Date(NOW) })) {
      for (const e of events) {
        expect(e.ts).toBeGreaterThanOrEqual(user.created_at);
        expect(e.ts).toBeLessThanOrEqual(Date.parse(NOW));
      }
    }
  });

  it("replays the given UTC hours of the last days, oldest first, none after now", () => {
    const at = runInstants(new Date("2026-11-20T10:00:00Z"), 2, [15, 8]).map((d) => d.toISOString());
    expect(at).toEqual(["2026-11-19T08:00:00.000Z", "2026-11-19T15:00:00.000Z", "2026-11-20T08:00:00.000Z"]);
  });
});

describe("nurture demo", () => {
  let data: string;
  let summary: {
    users: number;
    events: number;
    replay: { runs: number; sent: number; sentByType: Record<string, number>; emailEvents: Record<string, number> };
  };

  beforeAll(async () => {
    data = path.join(root, "data");
    const r = await nurture("demo", "--data", data, ...small, "--json");
    expect(r.err).not.toMatch(/Error:|at .*\.ts:\d+/);
    expect(r.code).toBe(0);
    summary = JSON.parse(r.out);
  });

  it("writes users, events and a ledger that the snapshot loader reads without bad rows", async () => {
    expect(summary.users).toBe(300);
    const snapshot = await openSnapshot(data);
    try {
      expect(await snapshot.badRows()).toEqual([]);
      const n = async (sql: string) => Number((await snapshot.connection.runAndReadAll(sql)).getRowObjects()[0]!.n);
      expect(await n("SELECT count(*) AS n FROM users")).toBe(300);
      expect(await n("SELECT count(*) AS n FROM events")).toBe(summary.events);
      // Every sent key in the ledger has its intent, and every email event joins back to a sent key.
      expect(await n("SELECT count(*) AS n FROM ledger WHERE kind = 'sent'")).toBe(summary.replay.sent);
      expect(await n(`SELECT count(*) AS n FROM ledger s WHERE s.kind = 'sent'
        AND NOT EXISTS (SELECT 1 FROM ledger i WHERE i.kind = 'intent' AND i.key = s.key)`)).toBe(0);
      expect(await n(`SELECT count(*) AS n FROM events e WHERE e.event LIKE 'email.%'
        AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.kind = 'sent' AND l.key = json_extract_string(e.properties, '$.key'))`)).toBe(0);
      // No key is sent twice across the replayed runs.
      expect(await n("SELECT count(*) AS n FROM (SELECT key FROM ledger WHERE kind = 'sent' GROUP BY key HAVING count(*) > 1)")).toBe(0);
    } finally {
      snapshot.close();
    }
  });

  it("replays every run and produces sends and the email events they cause", () => {
    // Six days at 08:00 and 15:00, but the last day's 15:00 is after --now (08:00).
    expect(summary.replay.runs).toBe(11);
    expect(summary.replay.sent).toBeGreaterThan(0);
    expect(summary.replay.emailEvents["email.sent"]).toBe(summary.replay.sent);
    expect(summary.replay.emailEvents["email.delivered"]).toBeGreaterThan(0);
    expect(summary.replay.emailEvents["email.opened"]).toBeGreaterThan(0);
  });

  it("makes the same data again for the same seed", async () => {
    const again = path.join(root, "again");
    const r = await nurture("demo", "--data", again, ...small, "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ users: summary.users, events: summary.events, replay: { sent: summary.replay.sent } });
  });

  it("refuses to replace data it did not make, and says how to proceed", async () => {
    const foreign = path.join(root, "foreign");
    fs.mkdirSync(path.join(foreign, "ledger"), { recursive: true });
    fs.writeFileSync(path.join(foreign, "ledger", "20261101T000000Z-real.ndjson"), "{}\n");
    const r = await nurture("demo", "--data", foreign, ...small);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--force|--data/);
    expect(fs.readFileSync(path.join(foreign, "ledger", "20261101T000000Z-real.ndjson"), "utf8")).toBe("{}\n");
  });

  it("refuses a directory that is not a data directory (--data ~), and adds nothing to it", async () => {
    const home = path.join(root, "home");
    fs.mkdirSync(path.join(home, "projects"), { recursive: true });
    fs.writeFileSync(path.join(home, "notes.txt"), "mine\n");
    const r = await nurture("demo", "--data", home, ...small);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${home} is not a nurture data directory`);
    expect(r.err).toContain("2 entries nurture does not write, e.g. notes.txt, projects");
    expect(r.err).toContain("--force");
    expect(fs.readdirSync(home).sort()).toEqual(["notes.txt", "projects"]);
  });

  it("adds the demo beside what nurture itself keeps in a data directory (the benchmark's data)", async () => {
    const data = path.join(root, "beside-bench");
    fs.mkdirSync(path.join(data, "bench", "100-1000"), { recursive: true });
    fs.writeFileSync(path.join(data, ".gitkeep"), "");
    const r = await nurture("demo", "--data", data, "--users", "30", "--days", "5", "--replay-days", "0", "--now", NOW);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(data).sort()).toEqual([".gitkeep", "bench", "snapshots"]);
  });

  it("lists a link under the data as a file it would remove, without following it: a loop or a link to nothing", async () => {
    const linked = path.join(root, "linked");
    fs.mkdirSync(path.join(linked, "snapshots", "events"), { recursive: true });
    fs.symlinkSync("..", path.join(linked, "snapshots", "events", "up"));
    fs.symlinkSync(path.join(root, "not-mounted"), path.join(linked, "snapshots", "share"));
    const r = await nurture("demo", "--data", linked, ...small);
    expect(r.code).toBe(1);
    expect(r.err).toContain("2 file(s)");
    expect(r.err).toContain(path.join("snapshots", "events", "up"));
    expect(r.err).toContain(path.join("snapshots", "share"));
    expect(fs.readlinkSync(path.join(linked, "snapshots", "events", "up"))).toBe("..");
  });

  it("refuses to replace a demo's directory to which a real file was added since, and leaves it as it is", async () => {
    const again = path.join(root, "again");
    const real = path.join(again, "ledger", "20261101T000000Z-real.ndjson");
    fs.writeFileSync(real, "{}\n");
    const r = await nurture("demo", "--data", again, ...small);
    expect(r.code).toBe(1);
    expect(r.err).toContain("ledger/20261101T000000Z-real.ndjson");
    expect(fs.readFileSync(real, "utf8")).toBe("{}\n");
    expect(fs.existsSync(path.join(again, "snapshots", "users"))).toBe(true);
  });

  it("with --force, leaves the data it would replace as it was when it fails, and replaces it when it succeeds", async () => {
    const dir = path.join(root, "forced");
    const real = path.join(dir, "ledger", "20261101T000000Z-real.ndjson");
    fs.mkdirSync(path.dirname(real), { recursive: true });
    fs.writeFileSync(real, "{}\n");
    const options = {
      configDir: "config", dataDir: dir, users: 40, days: 10, seed: 1, now: new Date(NOW), replayDays: 2, runHours: [8],
      format: "ndjson" as const, force: true, log: () => {},
    };
    const stopped = runDemo({ ...options, evaluate: async () => { throw new Error("stopped mid-replay"); } });
    await expect(stopped).rejects.toThrow("stopped mid-replay");
    expect(fs.readdirSync(dir).sort()).toEqual(["ledger"]);
    expect(fs.readFileSync(real, "utf8")).toBe("{}\n");

    const done = await runDemo({ ...options, evaluate });
    expect(done.users).toBe(40);
    expect(fs.readdirSync(dir).sort()).toEqual(["ledger", "snapshots"]);
    expect(fs.existsSync(real)).toBe(false);
    expect(fs.readdirSync(path.join(dir, "ledger")).every((f) => f.includes("-sim-"))).toBe(true);
  });

  it("rejects a replay longer than the period as a usage error", async () => {
    const r = await nurture("demo", "--data", path.join(root, "x"), "--users", "10", "--days", "3", "--replay-days", "5");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--replay-days/);
  });
});
