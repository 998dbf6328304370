import juice from "juice";
import { escapeHtml } from "./_escape.ts";

/** What the shared layout wraps around a rendered body. */
export interface LayoutInput {
  subject: string;
  preheader: string;
  /** Body HTML from Markdown: already escaped, inserted as is. */
  bodyHtml: string;
  /** Service (transactional) mail explains why it is sent and has no marketing unsubscribe. */
  service: boolean;
  /** Brand name for the footer, e.g. `Taskly`. */
  brand: string;
  postalAddress: string;
  unsubscribeUrl: string;
}

/** The brand in a `Name <address>` sender, else the address's domain, else the whole string. */
export function brandOf(from: string): string {
  const name = from.replace(/<[^>]*>/, "").replace(/^"|"$/g, "").trim();
  if (name !== "") return name;
  const domain = /@([^>\s]+)/.exec(from)?.[1];
  return domain ?? from.trim();
}

// Kept to what email clients honour: table layout, a single column at most 600px wide,
// and one media query (kept in <style> by juice) for small screens.
const CSS = `
body { margin: 0; padding: 0; background: #f4f5f7; }
.wrapper { width: 100%; background: #f4f5f7; }
.container { width: 600px; max-width: 600px; background: #ffffff; border-radius: 6px; }
.content { padding: 32px 40px; font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; font-size: 16px; line-height: 1.55; color: #1f2328; }
.content h1 { font-size: 24px; line-height: 1.25; margin: 0 0 16px; }
.content h2 { font-size: 20px; line-height: 1.3; margin: 24px 0 12px; }
.content h3 { font-size: 17px; margin: 20px 0 8px; }
.content p { margin: 0 0 16px; }
.content ul, .content ol { margin: 0 0 16px; padding-left: 24px; }
.content li { margin: 0 0 6px; }
.content a { color: #2557d6; text-decoration: underline; }
.content blockquote { margin: 0 0 16px; padding-left: 12px; border-left: 3px solid #d0d7de; color: #57606a; }
.content img { max-width: 100%; height: auto; }
.footer { padding: 16px 40px 32px; font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; font-size: 12px; line-height: 1.5; color: #6e7781; }
.footer a { color: #6e7781; text-decoration: underline; }
@media only screen and (max-width: 620px) {
  .container { width: 100% !important; border-radius: 0 !important; }
  .content { padding: 24px 20px !important; }
  .footer { padding: 16px 20px 24px !important; }
}
`;

// Clients show the first text of the body next to the subject; filler characters after
// the preheader stop the body's first words from trailing into that preview.
const PREHEADER_FILLER = "&#847;&zwnj;&nbsp;".repeat(60);

function footerHtml(input: LayoutInput): string {
  const address = `<p style="margin:0 0 8px;">${escapeHtml(input.postalAddress)}</p>`;
  if (input.service) {
    return `<p style="margin:0 0 8px;">This is a service email about your ${escapeHtml(input.brand)} account. We send it even if you unsubscribed from our newsletters, because it concerns your account.</p>${address}`;
  }
  return `<p style="margin:0 0 8px;">You receive this email because you signed up for ${escapeHtml(input.brand)}. <a href="${escapeHtml(input.unsubscribeUrl)}">Unsubscribe</a> from these emails at any time.</p>${address}`;
}

/** The footer as plain text, for the text part. */
export function footerText(input: Pick<LayoutInput, "service" | "brand" | "postalAddress" | "unsubscribeUrl">): string {
  if (input.service) {
    return `This is a service email about your ${input.brand} account. We send it even if you unsubscribed from our newsletters, because it concerns your account.\n${input.postalAddress}`;
  }
  return `You receive this email because you signed up for ${input.brand}.\nUnsubscribe: ${input.unsubscribeUrl}\n${input.postalAddress}`;
}

/**
 * The one responsive layout every email shares: hidden preheader, white card with the
 * body, footer with the postal address and (for marketing mail) a visible unsubscribe
 * link. CSS is inlined with juice because Gmail and Outlook drop most `<style>` rules.
 */
export function layoutEmail(input: LayoutInput): string {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="x-apple-disable-message-reformatting">
<meta name="color-scheme" content="light">
<title>${escapeHtml(input.subject)}</title>
<style>${CSS}</style>
</head>
<body>
<div style="display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all;">${escapeHtml(input.preheader)}${PREHEADER_FILLER}</div>
<table role="presentation" class="wrapper" width="100%" cellpadding="0" cellspacing="0" border="0">
<tr><td align="center" style="padding:24px 0;">
<table role="presentation" class="container" width="600" cellpadding="0" cellspacing="0" border="0">
<tr><td class="content">
${input.bodyHtml}
</td></tr>
</table>
<table role="presentation" class="container" width="600" cellpadding="0" cellspacing="0" border="0" style="background:transparent;">
<tr><td class="footer">
${footerHtml(input)}
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;
  return juice(html, { preserveMediaQueries: true, removeStyleTags: true, applyWidthAttributes: true, applyAttributesTableElements: true });
}
