/**
 * One of several processes competing for the run lock (run by lock.test.ts): it takes the
 * lock `wins` times, logging `+pid` on entry and `-pid` on exit, and after every third win
 * leaves behind a lock naming a dead process, as a killed run would.
 * Usage: node --import tsx _lock-contender.ts LOCK LOG WINS
 */
import fs from "node:fs";
import { acquireRunLock } from "../../src/engine/send/lock.ts";
import { NurtureError } from "../../src/engine/errors.ts";

const [lock, log, wins] = process.argv.slice(2) as [string, string, string];
const pause = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const DEAD_PID = 999_999_999;

for (let won = 0; won < Number(wins);) {
  let release: () => void;
  try {
    release = acquireRunLock(lock);
  } catch (error) {
    if (!(error instanceof NurtureError && error.code === "run-locked")) throw error;
    pause(Math.random() * 2);
    continue;
  }
  won += 1;
  fs.appendFileSync(log, `+${process.pid}\n`);
  pause(2);
  fs.appendFileSync(log, `-${process.pid}\n`);
  if (won % 3 === 0) {
    // "Dies" holding the lock: swap in, atomically, a lock whose owner is gone.
    const draft = `${lock}.${process.pid}.dead`;
    fs.writeFileSync(draft, `${DEAD_PID}\n`);
    fs.renameSync(draft, lock);
  } else release();
}
