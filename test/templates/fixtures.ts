// Small builders for renderEmail inputs: readable inline templates and one settings object.
import type { MessageType, Settings, Template } from "../../src/engine/config/types.ts";
import type { RenderInput } from "../../src/engine/templates/index.ts";

export const settings: Settings = {
  sender: { from: "Taskly <hello@mail.taskly.example>", postalAddress: "Taskly Inc., 500 Market St, San Francisco, CA 94105" },
  siteUrl: "https://taskly.github.io/nurture",
  unsubscribeUrl: "https://taskly.example/api/unsubscribe",
  timezone: "Europe/Berlin",
  sendWindow: { startMinute: 540, endMinute: 1080 },
  latenessMs: 86_400_000,
  activation: { event: "task.created", count: 5, windowMs: 7 * 86_400_000 },
  caps: [],
  attributionMs: 7 * 86_400_000,
  machineOpenMs: 120_000,
  passiveEvents: [],
  privacyK: 5,
  suppression: { marketing: ["unsubscribed", "complained", "bounced"], service: ["complained", "bounced"] },
  lint: { subjectLength: "error", maxSubjectLength: 50, personalisedSpacing: "warning", stageBalance: "warning", formatChanges: "warning", minDaysBetweenFormatChanges: 60 },
  events: {},
};

export const UNSUBSCRIBE = "https://taskly.example/api/unsubscribe?token=t0k3n";

export function template(body: string, front: { subject?: string; preheader?: string; type?: MessageType; variables?: Record<string, string> } = {}): Template {
  return {
    id: "t",
    subject: front.subject ?? "Hello",
    ...(front.preheader === undefined ? {} : { preheader: front.preheader }),
    type: front.type ?? "regular",
    variables: front.variables ?? {},
    body,
    origin: { file: "templates/t.md", pointer: "" },
  };
}

export function input(user: Record<string, unknown>): RenderInput {
  return { user, settings, campaign: "welcome", step: "day-1", key: "k-1", unsubscribeUrl: UNSUBSCRIBE };
}

/** Everything the hidden preheader, styles and footer add, stripped: the rendered body's HTML. */
export function bodyOf(html: string): string {
  const start = html.indexOf('class="content"');
  const end = html.indexOf('class="footer"');
  return html.slice(start, end);
}
