import type { Problem } from "../errors.ts";

/** A name one config file uses that must exist elsewhere; checked once everything is loaded. */
export interface Reference {
  kind: "event" | "tag" | "segment" | "template";
  name: string;
  file: string;
  pointer: string;
}

/** What normalising one file collects besides its typed value. */
export interface FileContext {
  file: string;
  problems: Problem[];
  refs: Reference[];
}

/** Records an error (or warning) at a pointer of the context's file. */
export function report(ctx: FileContext, code: string, pointer: string, message: string, hint?: string, severity: Problem["severity"] = "error"): void {
  ctx.problems.push({ code, severity, message, file: ctx.file, pointer, ...(hint ? { hint } : {}) });
}

/** Records a reference to be resolved later. */
export function refer(ctx: FileContext, kind: Reference["kind"], name: string, pointer: string): void {
  ctx.refs.push({ kind, name, file: ctx.file, pointer });
}
