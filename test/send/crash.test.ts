/**
 * Exactly once under crashes: `nurture run` runs as a child process against the fake
 * Resend server (which lives in this test process) and is SIGKILLed at random moments —
 * when a request arrives (dropped, or processed with nobody left to read the answer), just
 * after an answer is written, at a random instant while it sends, or during start-up.
 * After each kill the run is repeated to completion, and the server's own record must
 * show every due email delivered exactly once: no duplicate, nothing lost. Two lanes,
 * each with its own server and data, run side by side to keep the wall time down.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluate, loadConfig, openSnapshot, type Config } from "../../src/engine/index.ts";
import { resendTransport, runSends } from "../../src/engine/send/index.ts";
import { startFakeResend, type FakeResend } from "../support/fake-resend.ts";
import { seeded } from "../support/random.ts";
import { ANN, BOB, CONFIG_DIR, NOW, SECRET } from "./_world.ts";

// At least 50 (the contract); NURTURE_CRASH_TRIALS raises it for a longer soak.
const TRIALS = Math.max(50, Number(process.env.NURTURE_CRASH_TRIALS) || 0);
const BATCH = 4;
const ROOT = path.resolve(import.meta.dirname, "../..");

// 24 trial users get the welcome email (marketing), 6 customers the licence reminder
// (service): 30 sends in 8 requests of 4.
const USERS = [
  ...Array.from({ length: 24 }, (_, i) => ({ ...ANN, user_id: `t${i}`, email: `t${i}@example.com` })),
  ...Array.from({ length: 6 }, (_, i) => ({ ...BOB, user_id: `c${i}`, email: `c${i}@example.com` })),
];

const LANES = 2;
let config: Config;
let template: string;
let expected: string[];
beforeAll(async () => {
  config = await loadConfig(CONFIG_DIR);
  template = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-crash-"));
  fs.mkdirSync(path.join(template, "snapshots/users"), { recursive: true });
  fs.mkdirSync(path.join(template, "snapshots/events"), { recursive: true });
  fs.writeFileSync(path.join(template, "snapshots/users/users.ndjson"), USERS.map((u) => JSON.stringify(u)).join("\n"));
  fs.writeFileSync(path.join(template, "snapshots/events/events.ndjson"), "");
  const snapshot = await openSnapshot(template);
  expected = (await evaluate(config, snapshot, new Date(NOW))).sends.map((s) => s.key).sort();
  snapshot.close();
});
afterAll(() => fs.rmSync(template, { recursive: true, force: true }));

/** The child: the real CLI, pointed at this lane's server through the environment. */
function spawnRun(dir: string, server: FakeResend) {
  const argv = ["run", "--config", CONFIG_DIR, "--data", dir, "--now", NOW, "--transport", "resend", "--batch-size", String(BATCH)];
  const env = { ...process.env, RESEND_API_KEY: server.apiKey, RESEND_BASE_URL: server.url, NURTURE_UNSUBSCRIBE_SECRET: SECRET };
  const child = spawn(process.execPath, [path.join(ROOT, "scripts/nurture.mjs"), ...argv], { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal, stderr })));
  return { child, exited };
}

/** The rerun to completion, in this process (the same engine the CLI runs). */
const rerun = (dir: string, server: FakeResend) =>
  runSends({
    config, dataDir: dir, now: new Date(NOW), clock: () => new Date(NOW), secret: SECRET, batchSize: BATCH,
    transport: resendTransport({ apiKey: server.apiKey, baseUrl: server.url }),
  });

type Mode = "arrival-dropped" | "arrival-processed" | "after-answer" | "while-sending" | "start-up";
const MODES: Mode[] = ["arrival-dropped", "arrival-processed", "after-answer", "while-sending", "while-sending", "start-up"];

/** Arms the server (or a timer) to SIGKILL the child at the trial's moment. */
function arm(child: ChildProcess, server: FakeResend, mode: Mode, rng: ReturnType<typeof seeded>): void {
  const kill = () => child.kill("SIGKILL");
  const at = rng.int(0, 7);
  const delay = rng.int(0, 250);
  let seen = 0;
  server.onRequest = () => {
    const n = seen++;
    if (mode === "while-sending" && n === 0) setTimeout(kill, delay);
    if (n !== at) return;
    if (mode === "arrival-dropped") {
      kill();
      server.fault({ kind: "drop", when: "before-delivery" });
    } else if (mode === "arrival-processed") kill();
  };
  server.onDelivered = () => {
    if (mode === "after-answer" && seen - 1 === at) setTimeout(kill, delay % 15);
  };
  if (mode === "start-up") setTimeout(kill, rng.int(300, 2500));
}

/** Runs this lane's trials one after another; returns how many kills landed mid-send. */
async function lane(index: number, trials: number): Promise<number> {
  const server = await startFakeResend({ rate: 1000 });
  const rng = seeded(20261120 + index);
  let killedMidway = 0;
  try {
    for (let trial = 0; trial < trials; trial++) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-crash-trial-"));
      fs.cpSync(path.join(template, "snapshots"), path.join(dir, "snapshots"), { recursive: true });
      server.reset();
      const mode = rng.pick(MODES);
      const { child, exited } = spawnRun(dir, server);
      arm(child, server, mode, rng);
      const first = await exited;
      server.onRequest = undefined;
      server.onDelivered = undefined;
      const context = `lane ${index} trial ${trial} (${mode}): first run ended ${first.signal ?? `with exit ${first.code}`}`;
      if (first.signal === null) expect(first.code, `${context}\n${first.stderr}`).toBe(0);
      const before = server.delivered.length;
      if (first.signal === "SIGKILL" && before > 0 && before < expected.length) killedMidway++;

      const report = await rerun(dir, server);
      expect(report.outcomes.filter((o) => o.status === "failed"), context).toEqual([]);
      const counts = new Map<string, number>();
      for (const d of server.delivered) counts.set(d.tags.key!, (counts.get(d.tags.key!) ?? 0) + 1);
      expect([...counts.keys()].sort(), `${context}: every due key delivered, no other`).toEqual(expected);
      expect([...counts.values()].filter((n) => n > 1), `${context}: no key delivered twice`).toEqual([]);

      // A further run finds nothing left to send.
      expect((await rerun(dir, server)).outcomes, context).toEqual([]);
      expect(server.delivered.length, context).toBe(expected.length);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await server.close();
  }
  return killedMidway;
}

describe("nurture run killed at random moments", () => {
  it(`delivers every due email exactly once across ${TRIALS} kill-and-rerun trials`, async () => {
    const perLane = Math.ceil(TRIALS / LANES);
    const midway = await Promise.all(Array.from({ length: LANES }, (_, i) => lane(i, perLane)));
    // The kills must actually have landed mid-send often enough to mean something.
    expect(midway.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(TRIALS / 3);
  }, 900_000);
});
