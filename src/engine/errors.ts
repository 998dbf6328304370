/**
 * The one error class users can meet. It carries a string code, the exit code the CLI
 * should use, and where the problem is (file, line:column, JSON pointer or row) plus a
 * hint in plain words. Only the CLI's `main` catches it; anything else is a bug and is
 * printed in full.
 */
export interface Problem {
  /** Stable machine code, e.g. `schema`, `unknown-template`, `subject-too-long`. */
  code: string;
  severity: "error" | "warning";
  /** What is wrong, in plain words. */
  message: string;
  /** Path relative to the config or data directory. */
  file?: string;
  line?: number;
  column?: number;
  /** JSON pointer inside the file, e.g. `/steps/1/template`. */
  pointer?: string;
  /** How to fix it. */
  hint?: string;
}

export type ExitCode = 0 | 1 | 2;

export class NurtureError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly problems: Problem[];

  constructor(code: string, message: string, options: { exitCode?: ExitCode; problems?: Problem[]; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "NurtureError";
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
    this.problems = options.problems ?? [];
  }
}

/** A usage mistake on the command line (exit 2). */
export const usageError = (message: string): NurtureError => new NurtureError("usage", message, { exitCode: 2 });

/** `file:line:column` (as far as known) followed by the pointer, for human output. */
export function formatLocation(p: Pick<Problem, "file" | "line" | "column" | "pointer">): string {
  let at = p.file ?? "";
  if (p.file && p.line) at += `:${p.line}${p.column ? `:${p.column}` : ""}`;
  if (p.pointer) at += `${at ? " " : ""}at ${p.pointer || "/"}`;
  return at;
}

/** One problem as a human-readable line (plus an indented hint). */
export function formatProblem(p: Problem): string {
  const at = formatLocation(p);
  const head = `${p.severity}${at ? ` ${at}` : ""}: ${p.message}`;
  return p.hint ? `${head}\n  hint: ${p.hint}` : head;
}
