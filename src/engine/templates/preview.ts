import fs from "node:fs/promises";
import path from "node:path";
import { NurtureError } from "../errors.ts";
import type { Config, Template } from "../config/types.ts";
import { editDistance } from "../config/_suggest.ts";
import { renderEmail } from "./render.ts";
import { sampleUser } from "./sample-user.ts";
import { previewIndexHtml, type PreviewEntry } from "./_preview-index.ts";

export type { PreviewEntry } from "./_preview-index.ts";

export interface PreviewOptions {
  /** Directory the files go to (created if missing). */
  outDir: string;
  /** Only this template; default every template. */
  templateId?: string;
  /** Attributes to render with; default sampleUser(). */
  user?: Record<string, unknown>;
  /** How index.html names the user, e.g. `user u_42`; default `a sample user`. */
  userLabel?: string;
}

/** Up to `n` ids that look like `word`: shared prefix or substring first, then by edit distance. */
export function closeMatches(word: string, candidates: Iterable<string>, n = 3): string[] {
  const w = word.toLowerCase();
  const reach = Math.max(2, Math.floor(word.length / 3));
  return [...candidates]
    .map((c) => {
      const l = c.toLowerCase();
      const related = w.length >= 3 && (l.includes(w) || w.includes(l));
      return { c, d: related ? 0 : editDistance(w, l) };
    })
    .filter(({ d }) => d <= reach)
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, n)
    .map(({ c }) => c);
}

/** The first campaign step that sends the template, so previews show real utm tags. */
function usageOf(config: Config, templateId: string): { campaign: string; step: string; variant?: string } {
  for (const campaign of config.campaigns.values()) {
    for (const step of campaign.steps) {
      if (step.template === templateId) return { campaign: campaign.id, step: step.id };
      const variant = step.variants?.find((v) => v.template === templateId);
      if (variant) return { campaign: campaign.id, step: step.id, variant: variant.id };
    }
  }
  return { campaign: "preview", step: templateId };
}

function pick(config: Config, templateId: string | undefined): Template[] {
  const all = [...config.templates.values()].sort((a, b) => a.id.localeCompare(b.id));
  if (templateId === undefined) return all;
  const found = config.templates.get(templateId);
  if (found) return [found];
  const near = closeMatches(templateId, config.templates.keys());
  throw new NurtureError("unknown-template", `there is no template "${templateId}" (looked for templates/${templateId}.md)`, {
    problems: [
      {
        code: "unknown-template",
        severity: "error",
        message: `unknown template "${templateId}"`,
        file: "templates",
        hint: near.length > 0 ? `did you mean ${near.map((id) => `"${id}"`).join(", ")}?` : "template ids are the file names under templates/ without .md",
      },
    ],
  });
}

/**
 * Renders every template (or one) to `<outDir>/<id>.html` and `<id>.txt`, plus an
 * `index.html` listing them with subject and preheader. The unsubscribe link carries the
 * token `preview` so nobody can unsubscribe a real user from a preview.
 *
 * @example
 * const entries = await writePreviews(await loadConfig("config"), { outDir: "data/preview" });
 */
export async function writePreviews(config: Config, options: PreviewOptions): Promise<PreviewEntry[]> {
  const templates = pick(config, options.templateId);
  const user = options.user ?? sampleUser();
  const unsubscribeUrl = `${config.settings.unsubscribeUrl}?token=preview`;
  await fs.mkdir(options.outDir, { recursive: true });
  const entries: PreviewEntry[] = [];
  for (const template of templates) {
    const usage = usageOf(config, template.id);
    const email = renderEmail(template, { user, settings: config.settings, key: "preview", unsubscribeUrl, ...usage });
    const entry: PreviewEntry = {
      template: template.id,
      type: template.type,
      campaign: usage.campaign,
      step: usage.step,
      subject: email.subject,
      preheader: email.preheader,
      html: `${template.id}.html`,
      text: `${template.id}.txt`,
    };
    await fs.writeFile(path.join(options.outDir, entry.html), email.html);
    await fs.writeFile(path.join(options.outDir, entry.text), email.text);
    entries.push(entry);
  }
  await fs.writeFile(path.join(options.outDir, "index.html"), previewIndexHtml(entries, options.userLabel ?? "a sample user"));
  return entries;
}
