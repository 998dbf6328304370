import { isMarketing, type Settings, type Template } from "../config/types.ts";
import { isTimeZone } from "../config/index.ts";
import { singleLine } from "./_escape.ts";
import { renderPart } from "./_liquid.ts";
import { markdownToHtml } from "./_markdown.ts";
import { htmlToText } from "./_text.ts";
import { brandOf, footerText, layoutEmail } from "./layout.ts";

export { sampleUser } from "./sample-user.ts";

/** Everything one email needs besides its template. */
export interface RenderInput {
  /** The user's attributes, available as `user.*`. */
  user: Record<string, unknown>;
  settings: Settings;
  /** Campaign (sequence or trigger) id: `campaign` in Liquid and `utm_campaign`. */
  campaign: string;
  /** Step id: `step` in Liquid and `utm_content`. */
  step: string;
  /** The message key (idempotency key); `key` in Liquid, e.g. for NPS answer links. */
  key: string;
  variant?: string;
  /** The full one-click unsubscribe URL including its signed token. */
  unsubscribeUrl: string;
}

export interface RenderedEmail {
  /** Plain text, one line. */
  subject: string;
  /** Plain text, one line; empty when the template has none. */
  preheader: string;
  html: string;
  text: string;
}

/** The user's own zone if it is a valid IANA name (in any case, blanks around it ignored, as the evaluator reads it), else the settings default. */
function zoneOf(user: Record<string, unknown>, settings: Settings): string {
  const tz = typeof user.timezone === "string" ? user.timezone.trim() : undefined;
  return tz && isTimeZone(tz) ? tz : settings.timezone;
}

/**
 * Renders a template for one user: Liquid (every value escaped for where it lands), then
 * Markdown, the shared layout with CSS inlined, and a plain-text part. Pure and
 * deterministic: the same input gives the same bytes. A template that fails to render
 * throws NurtureError `template-render` naming its file.
 *
 * @example
 * const email = renderEmail(config.templates.get("welcome-1")!, {
 *   user: sampleUser(), settings: config.settings, campaign: "welcome", step: "welcome",
 *   key: "k1", unsubscribeUrl: `${config.settings.unsubscribeUrl}?token=preview`,
 * });
 */
export function renderEmail(template: Template, input: RenderInput): RenderedEmail {
  const { settings } = input;
  const context: Record<string, unknown> = {
    ...template.variables,
    user: input.user,
    campaign: input.campaign,
    step: input.step,
    key: input.key,
    variant: input.variant ?? "",
    site_url: settings.siteUrl,
    unsubscribe_url: input.unsubscribeUrl,
    sender: { from: settings.sender.from, postal_address: settings.sender.postalAddress },
  };
  const zone = zoneOf(input.user, settings);
  const subject = singleLine(renderPart(template, "subject", context, zone));
  const preheader = singleLine(renderPart(template, "preheader", context, zone));
  const markdown = renderPart(template, "body", context, zone);

  const bodyHtml = markdownToHtml(markdown, {
    campaign: input.campaign,
    content: input.step,
    untouched: [input.unsubscribeUrl, settings.unsubscribeUrl],
  });
  const footer = {
    service: !isMarketing(template.type),
    brand: brandOf(settings.sender.from),
    postalAddress: settings.sender.postalAddress,
    unsubscribeUrl: input.unsubscribeUrl,
  };
  const html = layoutEmail({ subject, preheader, bodyHtml, ...footer });
  const text = `${htmlToText(bodyHtml)}\n\n--\n${footerText(footer)}\n`;
  return { subject, preheader, html, text };
}
