import { Command, CommanderError } from "commander";
import pc from "picocolors";
import { NurtureError, formatProblem } from "../engine/errors.ts";
import { makeContext, type CommandContext, type GlobalOptions } from "./context.ts";
import { commands } from "./commands/index.ts";

/** One command of `nurture`: its name, help, extra options and what it does. */
export interface CommandSpec {
  name: string;
  summary: string;
  /** Adds the command's own options and arguments. */
  configure?: (cmd: Command) => void;
  /** Runs the command; returns the exit code. */
  action: (ctx: CommandContext, options: Record<string, unknown>, args: string[]) => Promise<number>;
}

export interface MainIO {
  out?: (line: string) => void;
  err?: (line: string) => void;
}

/**
 * Runs `nurture` with the given arguments and returns the exit code: 0 success,
 * 1 a problem the user must look at, 2 a usage error. This is the only place that
 * catches errors: a NurtureError prints its message; anything else prints in full.
 */
export async function main(argv: string[], io: MainIO = {}): Promise<number> {
  const out = io.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = io.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  let exitCode = 0;
  const debug = argv.includes("--debug");

  const program = new Command("nurture")
    .description("Lifecycle email automation kept as code.")
    .exitOverride()
    .configureOutput({ writeOut: (s) => out(s.trimEnd()), writeErr: (s) => err(s.trimEnd()) })
    .showHelpAfterError();

  for (const spec of commands) {
    const cmd = program
      .command(spec.name)
      .description(spec.summary)
      .option("--config <dir>", "config directory", "config")
      .option("--data <dir>", "data directory", "data")
      .option("--now <iso>", "evaluate as of this ISO-8601 instant (default: now)")
      .option("--json", "machine-readable output")
      .option("--debug", "print stack traces for unexpected errors");
    spec.configure?.(cmd);
    cmd.action(async (...received: unknown[]) => {
      const command = received[received.length - 1] as Command;
      const options = command.opts<GlobalOptions & Record<string, unknown>>();
      const args = command.args;
      exitCode = await spec.action(makeContext(options, { out, err }), options, args);
    });
  }

  // With --json a failure is machine output too: one JSON object on stdout, the text on stderr as ever.
  const json = argv.includes("--json") && !argv.includes("--help");
  const failed = (code: number, error: { code: string; message: string; problems?: unknown[] }): number => {
    if (json) out(JSON.stringify({ ok: false, exitCode: code, error: { problems: [], ...error } }, null, 2));
    return code;
  };
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (caught) {
    if (caught instanceof CommanderError) {
      return caught.exitCode === 0 ? 0 : failed(2, { code: "usage", message: caught.message.replace(/^error: /, "") });
    }
    const error = caught instanceof NurtureError ? caught : fromSystemError(caught);
    if (error) {
      // The headline only when no problem already says it.
      if (!error.problems.some((p) => p.message === error.message)) err(pc.red(error.message));
      for (const problem of error.problems) err(formatProblem(problem));
      const stack = error.cause instanceof Error ? error.cause.stack : error.stack;
      if (debug && stack) err(stack);
      return failed(error.exitCode, { code: error.code, message: error.message, problems: error.problems });
    }
    err(pc.red("nurture: unexpected error (this is a bug; please report it with the output below)"));
    err(caught instanceof Error ? (caught.stack ?? caught.message) : String(caught));
    return failed(1, { code: "unexpected", message: caught instanceof Error ? caught.message : String(caught) });
  }
}

/** What the operating system refused, and what to do about it. */
const SYSTEM_ERRORS: Record<string, { what: string; hint: string }> = {
  EACCES: { what: "permission denied", hint: "check the permissions of the path (ls -l), or run as a user who may read and write it" },
  EPERM: { what: "operation not permitted", hint: "check the permissions of the path (ls -l), or run as a user who may read and write it" },
  ENOTDIR: { what: "a file is where a directory should be", hint: "give a directory, or move the file out of the way" },
  EISDIR: { what: "a directory is where a file should be", hint: "give a file, or move the directory out of the way" },
  EROFS: { what: "the file system is read-only", hint: "give a directory on a writable file system" },
  ENOSPC: { what: "no space left on the device", hint: "free some space, or give a directory on another device" },
  EEXIST: { what: "a file is already where a directory must be made", hint: "give a path that does not exist yet (or a directory), or move the file out of the way" },
};

/**
 * A file-system error the user can meet (a path they may not read, a file where a
 * directory should be) as a NurtureError naming the path, so it is reported like any
 * other problem, without a stack trace; undefined for anything else.
 */
function fromSystemError(error: unknown): NurtureError | undefined {
  const e = error as NodeJS.ErrnoException;
  const known = e && typeof e === "object" && typeof e.code === "string" ? SYSTEM_ERRORS[e.code] : undefined;
  if (!known) return undefined;
  const file = e.path ?? (e as { dest?: string }).dest;
  const message = `cannot ${e.syscall ?? "use"} ${file ?? "a path"}: ${known.what}`;
  return new NurtureError(`fs-${e.code!.toLowerCase()}`, message, {
    cause: error,
    problems: [{ code: `fs-${e.code!.toLowerCase()}`, severity: "error", message, ...(file ? { file } : {}), hint: known.hint }],
  });
}
