import MarkdownIt, { type Token } from "markdown-it";
import { withUtm, type UtmTags } from "./utm.ts";

// html: false because raw HTML in a body would bypass the layout's escaping and styles;
// linkify off so a bare domain in a user's name never becomes a link.
const md = new MarkdownIt({ html: false, linkify: false, typographer: false });

/** Links that must keep their exact URL: the unsubscribe endpoint carries a signed token. */
export interface LinkPolicy extends UtmTags {
  /** hrefs starting with any of these are left alone. */
  untouched: string[];
}

function tagLinks(tokens: Token[], policy: LinkPolicy): void {
  for (const token of tokens) {
    if (token.children) tagLinks(token.children, policy);
    if (token.type !== "link_open") continue;
    const raw = token.attrGet("href");
    if (raw === null) continue;
    const href = String(raw);
    if (policy.untouched.some((prefix) => prefix !== "" && href.startsWith(prefix))) continue;
    token.attrSet("href", withUtm(href, policy));
  }
}

/** Renders a Markdown body (already through Liquid) to HTML with utm tags on http(s) links. */
export function markdownToHtml(markdown: string, policy: LinkPolicy): string {
  const env = {};
  const tokens = md.parse(markdown, env);
  tagLinks(tokens, policy);
  return md.renderer.render(tokens, md.options, env);
}
