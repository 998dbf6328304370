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
  json: boolean;
  /** Where normal output goes (stdout); tests pass a buffer. */
  out: (line: string) => void;
  /** Where diagnostics go (stderr). */
  err: (line: string) => void;
}

/**
 * `--now` as an instant. A time without an offset is UTC, as in the snapshots (JavaScript
 * would read it in the machine's zone, so the same command would plan differently on a
 * laptop and on a runner).
 */
export function parseNow(text: string | undefined): Date {
  if (text === undefined) return new Date();
  const utc = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text) ? `${text.replace(" ", "T")}Z` : text;
  const date = new Date(utc);
  if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(text)) {
    throw usageError(`--now "${text}" is not an ISO-8601 instant; write it like 2026-11-22T06:00:00Z`);
  }
  return date;
}

export function makeContext(opts: GlobalOptions, io: Pick<CommandContext, "out" | "err">): CommandContext {
  return {
    configDir: path.resolve(opts.config),
    dataDir: path.resolve(opts.data),
    now: parseNow(opts.now),
    json: Boolean(opts.json),
    ...io,
  };
}
