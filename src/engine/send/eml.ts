/**
 * An outgoing email as an RFC 5322 / MIME message (.eml) that any mail client opens:
 * multipart/alternative with the text and HTML parts base64-encoded, non-ASCII header
 * text as RFC 2047 encoded words, and the message tags as an `X-Nurture-Tags` header.
 */
import type { OutgoingEmail } from "./transport.ts";

const ASCII = /^[\x20-\x7e]*$/;

/** RFC 2047 encoded word for header text that is not plain printable ASCII. */
const headerText = (text: string): string => (ASCII.test(text) ? text : `=?UTF-8?B?${Buffer.from(text, "utf8").toString("base64")}?=`);

/** `Name <addr>` with only the display name encoded when it needs to be. */
function mailbox(value: string): string {
  const m = /^\s*(.*?)\s*<([^>]+)>\s*$/.exec(value);
  if (!m || ASCII.test(m[1]!)) return value;
  return `${headerText(m[1]!)} <${m[2]}>`;
}

/** RFC 5322 date, e.g. `Fri, 20 Nov 2026 08:00:00 +0000`. */
const rfc5322Date = (iso: string): string => new Date(iso).toUTCString().replace("GMT", "+0000");

/** Base64 in lines of 76 characters, as MIME asks. */
const base64Lines = (text: string): string => Buffer.from(text, "utf8").toString("base64").replace(/.{76}/g, "$&\r\n");

/**
 * The .eml text for one email. Deterministic (the date and ids come from the arguments),
 * so writing it again after a crash writes the same bytes.
 *
 * @example fs.writeFileSync(`${key}.eml`, toEml(email, { key, date: batch.composedAt }));
 */
export function toEml(email: OutgoingEmail, options: { key: string; date: string }): string {
  const boundary = `nurture-${options.key}`;
  const headers: [string, string][] = [
    ["From", mailbox(email.from)],
    ["To", email.to.map(mailbox).join(", ")],
    ...(email.replyTo ? [["Reply-To", mailbox(email.replyTo)] as [string, string]] : []),
    ["Subject", headerText(email.subject)],
    ["Date", rfc5322Date(options.date)],
    ["Message-ID", `<${options.key}@nurture.invalid>`],
    ["MIME-Version", "1.0"],
    ...Object.entries(email.headers ?? {}),
    ["X-Nurture-Tags", email.tags.map((t) => `${t.name}=${t.value}`).join("; ")],
    ["Content-Type", `multipart/alternative; boundary="${boundary}"`],
  ];
  const part = (type: string, body: string): string =>
    `--${boundary}\r\nContent-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64Lines(body)}\r\n`;
  return `${headers.map(([name, value]) => `${name}: ${value}`).join("\r\n")}\r\n\r\n`
    + part("text/plain", email.text) + part("text/html", email.html) + `--${boundary}--\r\n`;
}
