import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { acquireRunLock } from "../../src/engine/send/lock.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CONTENDER = path.join(ROOT, "test/send/_lock-contender.ts");
const DEAD_PID = 999_999_999;

let dir: string;
let lock: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-lock-"));
  lock = path.join(dir, "spool", ".run.lock");
});
afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs one contender process to its end; rejects with its stderr when it fails. */
function contend(log: string, wins: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CONTENDER, lock, log, String(wins)], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`contender exited ${code}: ${err}`))));
  });
}

describe("the run lock", () => {
  it("is refused while a live process holds it, naming that process", () => {
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    fs.writeFileSync(lock, `${process.pid}\n`);
    expect(() => acquireRunLock(lock)).toThrow(`another nurture run (pid ${process.pid})`);
    expect(fs.readFileSync(lock, "utf8")).toBe(`${process.pid}\n`);
  });

  it("takes over a lock whose process is gone, and an empty one", () => {
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    for (const left of [`${DEAD_PID}\n`, ""]) {
      fs.writeFileSync(lock, left);
      const release = acquireRunLock(lock);
      expect(fs.readFileSync(lock, "utf8")).toMatch(new RegExp(`^${process.pid} `));
      release();
      expect(fs.existsSync(lock)).toBe(false);
    }
  });

  it("is held once: a second acquire in the same live process is refused until release", () => {
    const release = acquireRunLock(lock);
    expect(() => acquireRunLock(lock)).toThrow(/another nurture run/);
    release();
    acquireRunLock(lock)();
  });

  it("release leaves alone a lock that is no longer this run's", () => {
    const release = acquireRunLock(lock);
    fs.writeFileSync(lock, "1 someone-else\n"); // pid 1 is alive: another run's lock now
    release();
    expect(fs.readFileSync(lock, "utf8")).toBe("1 someone-else\n");
  });

  it("leaves no draft or guard files behind in the directory", () => {
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    fs.writeFileSync(lock, `${DEAD_PID}\n`);
    acquireRunLock(lock)();
    expect(fs.readdirSync(path.dirname(lock))).toEqual([]);
  });

  it("clears drafts a killed run left over a minute ago, not a draft being written now", () => {
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    const old = `${lock}.0d1e.new`;
    const fresh = `${lock}.f7e5.new`;
    fs.writeFileSync(old, `${DEAD_PID}\n`);
    fs.writeFileSync(fresh, `${DEAD_PID}\n`);
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    fs.utimesSync(old, twoMinutesAgo, twoMinutesAgo);
    acquireRunLock(lock)();
    expect(fs.readdirSync(path.dirname(lock))).toEqual([path.basename(fresh)]);
  });

  it("says what to do on a file system without hard links, and leaves nothing behind", () => {
    vi.spyOn(fs, "linkSync").mockImplementation(() => {
      throw Object.assign(new Error("EPERM: operation not permitted, link"), { code: "EPERM" });
    });
    expect(() => acquireRunLock(lock)).toThrow(expect.objectContaining({
      code: "run-lock-failed",
      message: expect.stringContaining(`could not create the run lock ${lock}`),
      problems: [expect.objectContaining({ file: lock, hint: expect.stringContaining("supports hard links") })],
    }));
    expect(fs.readdirSync(path.dirname(lock))).toEqual([]);
  });

  it("never has two holders when processes race for it, including over dead runs' locks", async () => {
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    fs.writeFileSync(lock, `${DEAD_PID}\n`);
    const log = path.join(dir, "holders.log");
    const processes = 4;
    const wins = 30;
    await Promise.all(Array.from({ length: processes }, () => contend(log, wins)));
    const entries = fs.readFileSync(log, "utf8").trim().split("\n");
    expect(entries).toHaveLength(processes * wins * 2);
    // Holders never overlap: every entry is followed by the same process's exit.
    for (let i = 0; i < entries.length; i += 2) {
      expect(entries[i]!.startsWith("+"), `line ${i + 1}: ${entries[i]}`).toBe(true);
      expect(entries[i + 1], `line ${i + 2}`).toBe(`-${entries[i]!.slice(1)}`);
    }
    expect(fs.readdirSync(path.dirname(lock)).filter((f) => f !== ".run.lock")).toEqual([]);
  }, 60_000);
});
