import { compile } from "html-to-text";

// Compiled once: `convert` would rebuild the selector machinery on every call, which cost
// more than the rest of rendering put together when sending thousands of emails.
const toText = compile({
  // No hard wrap: a wrapped line would split `text (url)` and long URLs; clients wrap themselves.
  wordwrap: false,
  selectors: [
    { selector: "a", options: { linkBrackets: ["(", ")"], hideLinkHrefIfSameAsText: true } },
    { selector: "img", format: "skip" },
    { selector: "ul", options: { itemPrefix: " * " } },
  ],
});

/**
 * The plain-text part from the body HTML (not the layout: tables and the hidden preheader
 * would only add noise). Links read `text (url)`, lists keep their bullets, headings
 * stand out in capitals, entities are decoded.
 */
export function htmlToText(bodyHtml: string): string {
  return toText(bodyHtml).trim();
}
