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

  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof NurtureError) {
      err(pc.red(error.message));
      for (const problem of error.problems) err(formatProblem(problem));
      if (debug && error.stack) err(error.stack);
      return error.exitCode;
    }
    err(pc.red("nurture: unexpected error (this is a bug; please report it with the output below)"));
    err(error instanceof Error ? (error.stack ?? error.message) : String(error));
    return 1;
  }
}
