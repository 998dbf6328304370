import { Liquid, type Template as LiquidTemplate } from "liquidjs";
import { NurtureError } from "../errors.ts";
import type { Template } from "../config/types.ts";
import { neutralise, singleLine, toText } from "./_escape.ts";

/** Two engines per time zone: one escapes for Markdown/HTML, one for plain-text headers. */
interface Engines {
  markdown: Liquid;
  plain: Liquid;
}

const engines = new Map<string, Engines>();

function enginesFor(timezone: string): Engines {
  let found = engines.get(timezone);
  if (!found) {
    // The `date` filter must not depend on the machine's zone, or renders would differ
    // between a laptop and CI. ownPropertyOnly keeps templates off prototypes.
    const common = { timezoneOffset: timezone, ownPropertyOnly: true, strictFilters: true } as const;
    found = {
      markdown: new Liquid({ ...common, outputEscape: neutralise }),
      plain: new Liquid({ ...common, outputEscape: (v: unknown) => singleLine(toText(v)) }),
    };
    engines.set(timezone, found);
  }
  return found;
}

// Parsing is the expensive half of rendering and a run renders the same few templates
// for thousands of users. A parsed template is bound to its engine (the escape filter is
// attached at parse time), hence the key; the bound keeps a long-lived process small.
const parsed = new Map<string, LiquidTemplate[]>();
const PARSE_CACHE_LIMIT = 500;

function parse(engine: Liquid, engineKey: string, text: string): LiquidTemplate[] {
  const cacheKey = `${engineKey}\u0000${text}`;
  let tpl = parsed.get(cacheKey);
  if (!tpl) {
    tpl = engine.parse(text);
    if (parsed.size >= PARSE_CACHE_LIMIT) parsed.delete(parsed.keys().next().value!);
    parsed.set(cacheKey, tpl);
  }
  return tpl;
}

/** Which part of a template is rendered: the front-matter fields are plain text, the body Markdown. */
export type Part = "subject" | "preheader" | "body";

/**
 * Renders one part of a template with Liquid. Every `{{ }}` output is escaped for the
 * part's destination; a template error becomes a NurtureError naming the file and part.
 */
export function renderPart(template: Template, part: Part, context: Record<string, unknown>, timezone: string): string {
  const text = part === "body" ? template.body : part === "subject" ? template.subject : (template.preheader ?? "");
  const kind = part === "body" ? "markdown" : "plain";
  const engine = enginesFor(timezone)[kind];
  try {
    return engine.renderSync(parse(engine, `${timezone}\u0000${kind}`, text), context) as string;
  } catch (error) {
    throw new NurtureError("template-render", `template ${template.id} could not be rendered (${part}): ${(error as Error).message}`, {
      cause: error,
      problems: [
        {
          code: "template-render",
          severity: "error",
          message: (error as Error).message,
          file: template.origin.file,
          pointer: part === "body" ? "" : `/${part}`,
          hint: "check the Liquid filters and the attribute they receive, e.g. {{ user.trial_ends_at | date: '%-d %B' }} needs a date",
        },
      ],
    });
  }
}
