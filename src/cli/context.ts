import path from "node:path";
import { usageError } from "../engine/errors.ts";

/** Options every command accepts. */
export interface GlobalOptions {
  config: string;
  data: string;
  now?: string;
  json?: boolean;
  debug?: boolean;
}

/** What a command needs to run: resolved directories, the evaluation instant, output. */
export interface CommandContext {
  configDir: string;
  dataDir: string;
  /** The instant to evaluate at: `--now` or the wall clock. */
  now: Date;
  /** Whether `--now` was given (a command may then default to something other than the wall clock). */
  nowGiven: boolean;
  json: boolean;
  /** Where normal output goes (stdout); tests pass a buffer. */
  out: (line: string) => void;
  /** Where diagnostics go (stderr). */
  err: (line: string) => void;
}

/** ISO 8601 as `--now` takes it: a date, optionally a time (`T` or a space), optionally an offset. */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
/** The same in ISO 8601's basic format (`20261120T090000Z`), as ledger file names write it. */
const ISO_BASIC = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(?:(\d{2})(\.\d{1,9})?)?)?(Z|[+-]\d{2}(?:\d{2})?)?$/i;

/**
 * `--now` as an instant. A time without an offset is UTC, as in the snapshots (JavaScript
 * would read it in the machine's zone, so the same command would plan differently on a
 * laptop and on a runner). Only ISO 8601 is taken, and only a date that exists (JavaScript
 * would read "2026-02-30" as 2 March, and "2026-11-20 9:00 PM" in the machine's zone).
 */
export function parseNow(text: string | undefined): Date {
  if (text === undefined) return new Date();
  const bad = (why: string) => usageError(`--now "${text}" ${why}; write it like 2026-11-22T06:00:00Z`);
  const m = ISO.exec(text.trim()) ?? ISO_BASIC.exec(text.trim());
  if (!m) throw bad("is not an ISO-8601 instant");
  const [, y, mo, d, h = "00", mi = "00", sec = "00", frac = "", offset = "Z"] = m;
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec)] as const;
  const local = new Date(Date.UTC(...fields));
  local.setUTCFullYear(fields[0]);
  if (local.getUTCMonth() !== fields[1] || local.getUTCDate() !== fields[2] || local.getUTCHours() !== fields[3]
    || local.getUTCMinutes() !== fields[4] || local.getUTCSeconds() !== fields[5]) {
    throw bad("names a date or time that does not exist");
  }
  if (fields[0] < 1970) throw bad("is before 1970, earlier than any snapshot");
  const sign = offset.startsWith("-") ? -1 : 1;
  const [oh, om] = offset.toUpperCase() === "Z" ? [0, 0] : [Number(offset.slice(1, 3)), Number(offset.slice(3).replace(":", "") || 0)];
  if (oh > 14 || om > 59) throw bad("has an offset that does not exist");
  const ms = local.getTime() + Math.round(Number(`0${frac}`) * 1000) - sign * (oh * 60 + om) * 60_000;
  return new Date(ms);
}

export function makeContext(opts: GlobalOptions, io: Pick<CommandContext, "out" | "err">): CommandContext {
  // An empty path would be the working directory: `demo --data ""` would write into the checkout.
  if (opts.config.trim() === "") throw usageError("--config is empty; give the config directory, e.g. --config config");
  if (opts.data.trim() === "") throw usageError("--data is empty; give the data directory, e.g. --data data");
  return {
    configDir: path.resolve(opts.config),
    dataDir: path.resolve(opts.data),
    now: parseNow(opts.now),
    nowGiven: opts.now !== undefined,
    json: Boolean(opts.json),
    ...io,
  };
}
