import type { Config } from "../engine/config/types.ts";
import { renderEmail, sampleUser } from "./engine.ts";

export interface EmailPreview {
  id: string;
  type: string;
  /** Campaigns and steps that send this template. */
  usedBy: string[];
  subject: string;
  preheader: string;
  /** Rendered HTML (for a sandboxed iframe), or undefined when rendering failed. */
  html?: string;
  error?: string;
}

/**
 * Every template rendered with the renderer's sample user. The sample's name and email
 * are replaced by placeholders: no address or name reaches the site, not even a made-up
 * one that could collide with a real user's.
 */
export async function emailPreviews(config: Config): Promise<{ previews: EmailPreview[]; note?: string }> {
  const usedBy = new Map<string, string[]>();
  for (const c of config.campaigns.values()) {
    for (const st of c.steps) {
      const ids = st.template ? [st.template] : (st.variants ?? []).map((v) => v.template);
      for (const id of ids) usedBy.set(id, [...(usedBy.get(id) ?? []), `${c.id}/${st.id}`]);
    }
  }
  const previews = [...config.templates.values()]
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((t): EmailPreview => {
      const base = { id: t.id, type: t.type, usedBy: usedBy.get(t.id) ?? [], subject: t.subject, preheader: t.preheader ?? "" };
      const [campaign = "preview", step = "preview"] = (usedBy.get(t.id)?.[0] ?? "").split("/");
      try {
        const user = { ...sampleUser(), email: undefined, first_name: "[first name]" };
        const r = renderEmail(t, { user, settings: config.settings, campaign, step, key: "preview", unsubscribeUrl: `${config.settings.unsubscribeUrl}?token=preview` });
        return { ...base, subject: r.subject, preheader: r.preheader, html: r.html };
      } catch (error) {
        return { ...base, error: error instanceof Error ? error.message : String(error) };
      }
    });
  return { previews };
}
