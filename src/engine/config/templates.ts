import matter from "gray-matter";
import { Liquid } from "liquidjs";
import type { Problem } from "../errors.ts";
import type { MessageType, Template } from "./types.ts";
import { lineIndex, pointerSegments } from "./_jsonc.ts";
import { schemaErrors } from "./_schemas.ts";
import { schemaProblems } from "./_schema-problems.ts";
import { closest } from "./_suggest.ts";

/** Placeholders every template may use besides its own `variables` (first path segment). */
export const KNOWN_PLACEHOLDERS = ["user", "campaign", "step", "key", "site_url", "unsubscribe_url", "sender"] as const;

// Strict filters, as the renderer has them (templates/_liquid.ts): an unknown filter is an
// error here, in review, rather than a failed send in the nightly run.
const liquid = new Liquid({ strictFilters: true });

interface RawFrontMatter {
  subject: string;
  preheader?: string;
  type: MessageType;
  format?: string;
  variables?: Record<string, string | number | boolean>;
}

/** A template file's result: the template when its front matter is valid, plus problems (with lines). */
export interface TemplateResult {
  template?: Template;
  problems: Problem[];
  /** Line of a front-matter pointer (`/subject`), for problems found later (lint). */
  lineOf?: (pointer: string) => number;
}

/** Finds the line of a front-matter key (`/subject`, `/variables/cta_url`) in the file. */
function frontMatterLocator(lines: string[], end: number): (pointer: string) => number {
  return (pointer) => {
    const [top, sub] = pointerSegments(pointer).map(String);
    if (top === undefined) return 1;
    const topLine = lines.findIndex((l, i) => i > 0 && i < end && new RegExp(`^${top}\\s*:`).test(l));
    if (topLine < 0) return 1;
    if (sub === undefined) return topLine + 1;
    const subLine = lines.findIndex((l, i) => i > topLine && i < end && new RegExp(`^\\s+["']?${sub}["']?\\s*:`).test(l));
    return (subLine < 0 ? topLine : subLine) + 1;
  };
}

/** Liquid parse errors, reported at the file line where the text starts. */
function liquidProblems(text: string, file: string, pointer: string, firstLine: number): { problems: Problem[]; used: string[][] } {
  try {
    const parsed = liquid.parse(text);
    return { problems: [], used: liquid.globalVariableSegmentsSync(parsed).map((s) => s.map(String)) };
  } catch (error) {
    const token = (error as { token?: { getPosition?: () => [number, number] } }).token;
    const [line, column] = token?.getPosition?.() ?? [1, 1];
    const message = (error as Error).message.replace(/, line:\d+, col:\d+$/, "");
    const filter = /^undefined filter: (\S+)/.exec(message)?.[1];
    const near = filter === undefined ? undefined : closest(filter, Object.keys(liquid.filters));
    return {
      problems: [
        {
          code: "liquid-syntax",
          severity: "error",
          message: filter === undefined ? `Liquid syntax error in ${pointer.slice(1)}: ${message}` : `unknown Liquid filter "${filter}" in ${pointer.slice(1)}`,
          file,
          pointer,
          line: firstLine + line - 1,
          column,
          hint: filter !== undefined
            ? `${near ? `did you mean "${near}"? ` : ""}filters are Liquid's own (default, date, upcase, …: https://liquidjs.com/filters/overview.html)`
            : "placeholders look like {{ user.first_name | default: 'there' }}; tags like {% if ... %} need a matching {% endif %}",
        },
      ],
      used: [],
    };
  }
}

/**
 * Reads one `templates/<id>.md`: YAML front matter checked against template.schema.json,
 * Liquid syntax of subject, preheader and body checked, and every placeholder that is
 * neither a template variable nor a known one reported as a warning.
 */
export function parseTemplate(id: string, text: string, file: string): TemplateResult {
  let parsed: matter.GrayMatterFile<string>;
  try {
    // Passing options disables gray-matter's global cache, which hands out shared objects.
    parsed = matter(text, {});
  } catch (error) {
    const mark = (error as { mark?: { line: number; column: number } }).mark;
    const reason = (error as { reason?: string }).reason ?? (error as Error).message.split("\n")[0];
    return {
      problems: [
        {
          code: "yaml-syntax",
          severity: "error",
          message: `invalid YAML front matter: ${reason}`,
          file,
          // js-yaml counts the front matter's lines from 0, and the front matter starts on the file's line 2.
          line: mark ? mark.line + 1 : 1,
          column: mark ? mark.column + 1 : 1,
          hint: "front matter is YAML between two --- lines; quote values that contain ':' or start with '{'",
        },
      ],
    };
  }
  const lines = text.split("\n");
  const fmEnd = text.startsWith("---") ? lines.findIndex((l, i) => i > 0 && l.trimEnd() === "---") : 0;
  const lineOf = frontMatterLocator(lines, fmEnd < 0 ? lines.length : fmEnd);
  const data: unknown = parsed.data;
  const problems: Problem[] = schemaProblems(schemaErrors("template", data), file, data).map((p) => ({ ...p, line: lineOf(p.pointer ?? ""), column: 1 }));
  if (problems.length > 0) return { problems, lineOf };

  const raw = data as RawFrontMatter;
  const bodyOffset = text.endsWith(parsed.content) ? text.length - parsed.content.length : 0;
  const bodyLine = lineIndex(text)(bodyOffset).line;
  const variables = Object.fromEntries(Object.entries(raw.variables ?? {}).map(([k, v]) => [k, String(v)]));
  const used: { pointer: string; line: number; segments: string[][] }[] = [];
  const parts: [string, string | undefined, number][] = [
    ["/subject", raw.subject, lineOf("/subject")],
    ["/preheader", raw.preheader, lineOf("/preheader")],
    ["/body", parsed.content, bodyLine],
  ];
  for (const [pointer, part, line] of parts) {
    if (part === undefined) continue;
    const result = liquidProblems(part, file, pointer, line);
    problems.push(...result.problems);
    used.push({ pointer, line, segments: result.used });
  }
  const known = new Set<string>([...KNOWN_PLACEHOLDERS, ...Object.keys(variables)]);
  for (const { pointer, line, segments } of used) {
    for (const name of new Set(segments.map((s) => s[0]!).filter((n) => !known.has(n)))) {
      problems.push({
        code: "unknown-variable",
        severity: "warning",
        message: `placeholder "${name}" in ${pointer.slice(1)} is neither a template variable nor a known placeholder`,
        file,
        pointer,
        line,
        hint: `add it under variables with a default, or use one of: user.<attribute>, ${KNOWN_PLACEHOLDERS.filter((k) => k !== "user").join(", ")}`,
      });
    }
  }
  const template: Template = {
    id,
    subject: raw.subject,
    ...(raw.preheader !== undefined ? { preheader: raw.preheader } : {}),
    type: raw.type,
    ...(raw.format !== undefined ? { format: raw.format } : {}),
    variables,
    body: parsed.content,
    origin: { file, pointer: "" },
  };
  return { template, problems, lineOf };
}
