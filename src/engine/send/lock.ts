/**
 * One sending run at a time per data directory: two runs reading the same ledger would
 * both find the same keys due and both send them. The lock is a file created exclusively
 * holding the owner's pid; a lock whose process is gone (a killed run) is taken over.
 */
import fs from "node:fs";
import path from "node:path";
import { NurtureError } from "../errors.ts";

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

/**
 * Takes the lock file `file` (its directory is created) and returns its release function.
 * Throws NurtureError `run-locked` when a live process holds it.
 */
export function acquireRunLock(file: string): () => void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(file, "wx");
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      return () => fs.rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const pid = Number.parseInt(fs.readFileSync(file, "utf8"), 10);
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
      throw new NurtureError("run-locked", `another nurture run (pid ${pid}) is sending from this data directory`, {
        problems: [{
          code: "run-locked", severity: "error", message: `${file} is held by pid ${pid}`, file,
          hint: "wait for that run to finish; if no nurture run is active, delete the lock file",
        }],
      });
    }
    fs.rmSync(file, { force: true });
  }
  throw new NurtureError("run-locked", `could not take the run lock ${file}`);
}
