import type { Config, MessageType, Step, Template } from "../types.ts";

/** A lint finding before its severity is applied from settings.lint. */
export interface Finding {
  message: string;
  file: string;
  pointer: string;
  hint?: string;
}

/** One lint rule: its problem code and the settings.lint key that sets its severity. */
export interface LintRule {
  code: string;
  severity: (lint: Config["settings"]["lint"]) => "error" | "warning" | "off";
  check: (config: Config) => Finding[];
}

/** The templates a step sends (one, or one per variant) that exist. */
export function stepTemplates(step: Step, config: Config): Template[] {
  const ids = step.template !== undefined ? [step.template] : (step.variants ?? []).map((v) => v.template);
  return ids.map((id) => config.templates.get(id)).filter((t): t is Template => t !== undefined);
}

/** The step's message type: its own, else its (first) template's. */
export function stepType(step: Step, config: Config): MessageType | undefined {
  return step.type ?? stepTemplates(step, config)[0]?.type;
}

/** True when the subject uses a `user.` placeholder. */
export const isPersonalised = (subject: string): boolean => /\{\{[^}]*\buser\./.test(subject);

/** Stand-in length for a user attribute without a default: typical of a first name or city. */
export const STAND_IN = "x".repeat(10);

/**
 * The subject as a reader would roughly see it: each `{{ … }}` replaced by its
 * `| default:` value, else the template variable's default, else a 10-character stand-in;
 * `{% … %}` tags count as nothing.
 */
export function representativeSubject(template: Template): string {
  return template.subject
    .replace(/\{%-?[\s\S]*?-?%\}/g, "")
    .replace(/\{\{-?([\s\S]*?)-?\}\}/g, (_, expr: string) => {
      const fallback = /\|\s*default\s*:\s*(?:'([^']*)'|"([^"]*)")/.exec(expr);
      if (fallback) return fallback[1] ?? fallback[2] ?? "";
      const name = /^\s*([A-Za-z_][\w]*)/.exec(expr)?.[1];
      if (name !== undefined && template.variables[name] !== undefined) return template.variables[name]!;
      return STAND_IN;
    });
}
