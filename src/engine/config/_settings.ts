import { parseDuration } from "../duration.ts";
import type { LintSettings, Settings } from "./types.ts";
import { refer, report, type FileContext } from "./_context.ts";

type Raw = Record<string, any>;

const ms = (text: string | undefined, fallback: string): number => parseDuration(text ?? fallback)!;

/** Lint defaults from README.md, "The config format"; also used when settings.json is broken. */
export const DEFAULT_LINT: LintSettings = {
  subjectLength: "error",
  maxSubjectLength: 50,
  personalisedSpacing: "warning",
  stageBalance: "warning",
  formatChanges: "warning",
  minDaysBetweenFormatChanges: 60,
};

const minuteOfDay = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** True when the runtime's time-zone database knows the IANA name. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Normalises a schema-valid settings.json, filling the documented defaults. */
export function settings(raw: Raw, ctx: FileContext): Settings {
  if (!isTimeZone(raw.timezone)) {
    report(ctx, "bad-timezone", "/timezone", `"${raw.timezone}" is not a known IANA time zone`, "write a zone name like Europe/Berlin, America/New_York or UTC");
  }
  const startMinute = minuteOfDay(raw.send_window?.start ?? "09:00");
  const endMinute = minuteOfDay(raw.send_window?.end ?? "18:00");
  if (startMinute >= endMinute) {
    report(ctx, "bad-send-window", "/send_window/end", `send_window ends (${raw.send_window.end}) before or when it starts (${raw.send_window.start})`, "make end later than start on the same day, e.g. 09:00 to 18:00");
  }
  refer(ctx, "event", raw.activation.event, "/activation/event");
  const passiveEvents: string[] = raw.passive_events ?? [];
  passiveEvents.forEach((event, i) => refer(ctx, "event", event, `/passive_events/${i}`));
  const lint: Raw = raw.lint ?? {};
  return {
    sender: { from: raw.sender.from, ...(raw.sender.reply_to ? { replyTo: raw.sender.reply_to } : {}), postalAddress: raw.sender.postal_address },
    siteUrl: raw.site_url,
    unsubscribeUrl: raw.unsubscribe_url,
    timezone: raw.timezone,
    sendWindow: { startMinute, endMinute },
    latenessMs: ms(raw.lateness, "1d"),
    activation: { event: raw.activation.event, count: raw.activation.count, windowMs: ms(raw.activation.window, "7d") },
    caps: ((raw.caps ?? []) as Raw[]).map((c) => ({ types: c.types, max: c.max, perMs: ms(c.per, "1d") })),
    attributionMs: ms(raw.attribution_window, "7d"),
    machineOpenMs: ms(raw.machine_open_window, "2m"),
    passiveEvents,
    privacyK: raw.privacy?.k ?? 5,
    suppression: {
      marketing: raw.suppression?.marketing ?? ["unsubscribed", "complained", "bounced"],
      service: raw.suppression?.service ?? ["complained", "bounced"],
    },
    lint: {
      subjectLength: lint.subject_length ?? DEFAULT_LINT.subjectLength,
      maxSubjectLength: lint.max_subject_length ?? DEFAULT_LINT.maxSubjectLength,
      personalisedSpacing: lint.personalised_spacing ?? DEFAULT_LINT.personalisedSpacing,
      stageBalance: lint.stage_balance ?? DEFAULT_LINT.stageBalance,
      formatChanges: lint.format_changes ?? DEFAULT_LINT.formatChanges,
      minDaysBetweenFormatChanges: lint.min_days_between_format_changes ?? DEFAULT_LINT.minDaysBetweenFormatChanges,
    },
    events: raw.events ?? {},
  };
}
