import type { Problem } from "../../errors.ts";
import type { Config } from "../types.ts";
import type { LintRule } from "./_shared.ts";
import { subjectLength } from "./subject-length.ts";
import { personalisedSpacing } from "./personalised-spacing.ts";
import { stageBalance } from "./stage-balance.ts";
import { formatChanges } from "./format-changes.ts";

/** Every lint rule, in the order their problems are listed. */
export const LINT_RULES: readonly LintRule[] = [subjectLength, personalisedSpacing, stageBalance, formatChanges];

/** Runs the lint rules over a loaded config, each at the severity settings.lint gives it ("off" skips it). */
export function lint(config: Config): Problem[] {
  const problems: Problem[] = [];
  for (const rule of LINT_RULES) {
    const severity = rule.severity(config.settings.lint);
    if (severity === "off") continue;
    for (const f of rule.check(config)) problems.push({ code: rule.code, severity, ...f });
  }
  return problems;
}
