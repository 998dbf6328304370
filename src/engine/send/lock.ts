/**
 * One sending run at a time per data directory: two runs reading the same ledger would
 * both find the same keys due and both send them. The lock is a file holding the owner's
 * pid and a token of its own; a lock whose process is gone (a killed run) is taken over.
 *
 * Runs starting together must not both win, so:
 * * the lock appears with its content already in it (written to a private file, then
 *   hard-linked into place, which fails if a lock exists): nobody ever reads a lock that
 *   is still being written and mistakes it for a dead one;
 * * a dead run's lock is removed only by the holder of a second, short-lived guard file
 *   (`<lock>.takeover`), which checks again under the guard that the owner is gone. Without
 *   the guard, two runs that both saw the dead lock could remove each other's new one;
 * * release removes the lock only while it still holds this run's token.
 *
 * A draft left by a run killed before linking it is removed by the next run to take the
 * lock once it is a minute old.
 *
 * One gap remains: a run killed in the microseconds it holds the guard leaves a guard
 * naming a dead process, and two runs removing that guard at once could both take it.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { NurtureError } from "../errors.ts";

const code = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

/** The pid a lock's text names, when that process is running; undefined for a dead or unreadable owner. */
function livePid(text: string): number | undefined {
  const pid = Number.parseInt(text, 10);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    return code(error) === "EPERM" ? pid : undefined;
  }
}

/** What a lock or guard file holds: this process's pid (for liveness checks) and a token of this taking alone. */
const ownerText = (): string => `${process.pid} ${randomUUID()}\n`;

/** The file's text, or undefined when it is not there. */
function readIfThere(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    if (code(error) === "ENOENT") return undefined;
    throw error;
  }
}

/** Creates `file` holding `text`, atomically; false when it already exists. */
function createWith(file: string, text: string): boolean {
  const draft = `${file}.${randomUUID()}.new`;
  fs.writeFileSync(draft, text, { flag: "wx" });
  try {
    fs.linkSync(draft, file);
    return true;
  } catch (error) {
    if (code(error) === "EEXIST") return false;
    throw new NurtureError("run-lock-failed", `could not create the run lock ${file}: ${(error as Error).message}`, {
      cause: error,
      problems: [{
        code: "run-lock-failed", severity: "error", message: `hard-linking ${path.basename(draft)} to ${path.basename(file)} failed (${code(error)})`, file,
        hint: "keep the data directory on a local file system that supports hard links (ext4, APFS, NTFS); the lock relies on them",
      }],
    });
  } finally {
    fs.rmSync(draft, { force: true });
  }
}

const pause = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Removes the lock `file` if its owner is gone, holding the takeover guard while it checks
 * and removes. False when another run holds the guard (it is doing the same; try again).
 */
function removeIfDead(file: string): boolean {
  const guard = `${file}.takeover`;
  const mine = ownerText();
  if (!createWith(guard, mine)) {
    const held = readIfThere(guard);
    if (held !== undefined && livePid(held) === undefined) fs.rmSync(guard, { force: true }); // its taker was killed
    return false;
  }
  try {
    const current = readIfThere(file);
    if (current !== undefined && livePid(current) === undefined) fs.rmSync(file, { force: true });
  } finally {
    if (readIfThere(guard) === mine) fs.rmSync(guard, { force: true });
  }
  return true;
}

/** Removes drafts of `file` (see createWith) that a run killed before linking left over a minute ago. */
function tidyDrafts(file: string): void {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}.`;
  for (const name of fs.readdirSync(dir)) {
    if (!name.startsWith(prefix) || !name.endsWith(".new")) continue;
    const draft = path.join(dir, name);
    try {
      if (Date.now() - fs.statSync(draft).mtimeMs > 60_000) fs.rmSync(draft, { force: true });
    } catch (error) {
      if (code(error) !== "ENOENT") throw error;
    }
  }
}

/**
 * Takes the lock file `file` (its directory is created) and returns its release function.
 * Throws NurtureError `run-locked` when a live process holds it.
 *
 * @example
 * const release = acquireRunLock("data/spool/.run.lock");
 * try { … send … } finally { release(); }
 */
export function acquireRunLock(file: string): () => void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const mine = ownerText();
  const release = (): void => {
    if (readIfThere(file) === mine) fs.rmSync(file, { force: true });
  };
  for (let attempt = 0; attempt < 100; attempt++) {
    if (createWith(file, mine)) {
      tidyDrafts(file);
      return release;
    }
    const seen = readIfThere(file);
    if (seen === undefined) continue; // released meanwhile
    const pid = livePid(seen);
    if (pid !== undefined) {
      throw new NurtureError("run-locked", `another nurture run (pid ${pid}) is sending from this data directory`, {
        problems: [{
          code: "run-locked", severity: "error", message: `held by pid ${pid}, a process that is running`, file,
          hint: "wait for that run to finish; if no nurture run is active, delete the lock file",
        }],
      });
    }
    if (!removeIfDead(file)) pause(1 + Math.random() * 4);
  }
  throw new NurtureError("run-locked", `could not take the run lock ${file}: other runs kept taking it over`, {
    problems: [{
      code: "run-locked", severity: "error", message: `${file} changed hands on every attempt`, file,
      hint: "several nurture runs are starting in this data directory at once; run one at a time",
    }],
  });
}
