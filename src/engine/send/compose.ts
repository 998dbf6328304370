/**
 * Turns one planned send into the email that goes out: rendered template, recipient,
 * unsubscribe headers for marketing mail, and the tags that let webhooks join events back.
 */
import { isMarketing, type Config } from "../config/types.ts";
import type { SendIdentity } from "../evaluate/types.ts";
import { NurtureError } from "../errors.ts";
import { renderEmail } from "../templates/render.ts";
import { emailTags } from "./tags.ts";
import type { OutgoingEmail } from "./transport.ts";
import { unsubscribeUrl } from "./unsubscribe.ts";

export type Composed = { ok: true; email: OutgoingEmail } | { ok: false; error: string };

/** What composing needs to know about a send. */
export type ComposeSend = Pick<SendIdentity, "key" | "userId" | "campaign" | "step" | "variant" | "template" | "type">;

/**
 * The email for `send`, addressed to `user` (its snapshot attributes). Marketing types get
 * `List-Unsubscribe: <https://…?token=…>` and `List-Unsubscribe-Post:
 * List-Unsubscribe=One-Click` (RFC 8058, as Gmail and Yahoo require of bulk senders) and a
 * visible unsubscribe link; service mail gets neither. Deterministic: the same inputs give
 * the same bytes. What cannot be sent (no such user or address, a template that fails to
 * render, an id too long for a tag) comes back as `ok: false` with the reason.
 *
 * @example
 * const c = composeEmail(plan.sends[0], await snapshot.userAttributes(plan.sends[0].userId), { config, secret });
 */
export function composeEmail(send: ComposeSend, user: Record<string, unknown> | undefined, context: { config: Config; secret: string }): Composed {
  const { config, secret } = context;
  const { settings } = config;
  if (!user) return { ok: false, error: `user "${send.userId}" is not in the snapshot` };
  const address = typeof user.email === "string" ? user.email.trim() : "";
  if (address === "") return { ok: false, error: `user "${send.userId}" has no email address` };
  const template = config.templates.get(send.template);
  if (!template) return { ok: false, error: `template "${send.template}" does not exist (templates/${send.template}.md)` };
  const tags = emailTags(send);
  if (!tags) return { ok: false, error: `user id "${send.userId}" is too long to carry as a Resend tag (about 190 bytes at most)` };

  const link = unsubscribeUrl(settings.unsubscribeUrl, send.userId, secret);
  let rendered;
  try {
    // The step's type wins over the template's, so the footer and the headers agree.
    rendered = renderEmail({ ...template, type: send.type }, {
      user, settings, campaign: send.campaign, step: send.step, key: send.key, unsubscribeUrl: link,
      ...(send.variant ? { variant: send.variant } : {}),
    });
  } catch (error) {
    if (error instanceof NurtureError) return { ok: false, error: error.message };
    throw error;
  }
  const email: OutgoingEmail = {
    from: settings.sender.from,
    to: [address],
    ...(settings.sender.replyTo ? { replyTo: settings.sender.replyTo } : {}),
    subject: rendered.subject,
    html: rendered.html,
    text: rendered.text,
    tags,
  };
  if (isMarketing(send.type)) {
    email.headers = { "List-Unsubscribe": `<${link}>`, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" };
  }
  return { ok: true, email };
}
