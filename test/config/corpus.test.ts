import { afterAll, describe, expect, it } from "vitest";
import fs from "node:fs/promises";
import { checkConfig, loadConfig } from "../../src/engine/config/index.ts";
import { NurtureError } from "../../src/engine/errors.ts";
import { brokenCopy, VALID, type Change } from "./_fixture.ts";

interface Case {
  name: string;
  change: Change | Change[];
  code: string;
  file: string;
  pointer?: string;
  /** Text the message or hint must contain. */
  says?: string;
  /** The file line the problem must be reported at. */
  line?: number;
  severity?: "error" | "warning";
}

const seq = (edit: (j: any) => void): Change => ({ file: "sequences/welcome.json", edit });
const settings = (edit: (j: any) => void): Change => ({ file: "settings.json", edit });
const md = (name: string, text: string): Change => ({ file: `templates/${name}.md`, text });

// Each case breaks the valid fixture in one way and names the problem it must produce.
const CASES: Case[] = [
  { name: "JSON syntax: missing comma", change: { file: "settings.json", text: '{\n  "timezone": "UTC"\n  "site_url": "x"\n}\n' }, code: "json-syntax", file: "settings.json", says: "','" },
  { name: "JSON syntax: trailing comma", change: { file: "segments/trial-users.json", text: '{ "name": "T", "condition": { "tag": "x" }, }' }, code: "json-syntax", file: "segments/trial-users.json" },
  { name: "a field given twice: the last would win silently", change: { file: "segments/trial-users.json", text: '{\n  "name": "T",\n  "condition": { "tag": "x" },\n  "name": "U"\n}\n' }, code: "duplicate-key", file: "segments/trial-users.json", pointer: "/name", says: "first on line 2" },
  { name: "a field given twice deep in a list", change: { file: "segments/trial-users.json", text: '{ "name": "T", "condition": { "all": [ { "tag": "x", "tag": "y" } ] } }' }, code: "duplicate-key", file: "segments/trial-users.json", pointer: "/condition/all/0/tag" },
  { name: "JSON syntax: comment", change: { file: "tags.json", text: '// tags\n{ "tags": {} }' }, code: "json-syntax", file: "tags.json", says: "comments" },
  { name: "wrong type: priority as text", change: seq((j) => (j.priority = "high")), code: "wrong-type", file: "sequences/welcome.json", pointer: "/priority", says: "whole number" },
  { name: "wrong type: steps not a list", change: seq((j) => (j.steps = { id: "x" })), code: "wrong-type", file: "sequences/welcome.json", pointer: "/steps" },
  { name: "unknown step field suggests", change: seq((j) => (j.steps[1].wiat = "1d")), code: "unknown-field", file: "sequences/welcome.json", pointer: "/steps/1/wiat", says: 'did you mean "wait"' },
  { name: "unknown top-level field suggests", change: seq((j) => (j.stgae = "onboarding")), code: "unknown-field", file: "sequences/welcome.json", pointer: "/stgae", says: 'did you mean "stage"' },
  { name: "a From that is no address", change: settings((j) => (j.sender.from = "Taskly hello@mail")), code: "bad-value", file: "settings.json", pointer: "/sender/from", says: "is not an email address" },
  { name: "a Reply-To that is no address", change: settings((j) => (j.sender.reply_to = "support at taskly")), code: "bad-value", file: "settings.json", pointer: "/sender/reply_to", says: "Taskly <hello@mail.taskly.example>" },
  { name: "unknown settings field", change: settings((j) => (j.sender.replyto = "a@b.c")), code: "unknown-field", file: "settings.json", pointer: "/sender/replyto", says: "reply_to" },
  { name: "bad duration in a step", change: seq((j) => (j.steps[1].wait = "2 days")), code: "bad-duration", file: "sequences/welcome.json", pointer: "/steps/1/wait", says: "2d, 4h, 30m" },
  { name: "bad duration in settings", change: settings((j) => (j.lateness = "1 day")), code: "bad-duration", file: "settings.json", pointer: "/lateness" },
  { name: "negative lateness: every email too late at once", change: settings((j) => (j.lateness = "-1d")), code: "bad-duration", file: "settings.json", pointer: "/lateness", says: "is not a duration longer than zero" },
  { name: "a lateness of nothing: every email too late", change: settings((j) => (j.lateness = "0s")), code: "bad-duration", file: "settings.json", pointer: "/lateness", says: "is not a duration longer than zero" },
  { name: "a trigger's lateness of nothing", change: { file: "triggers/no-task.json", edit: (j) => (j.lateness = "0m") }, code: "bad-duration", file: "triggers/no-task.json", pointer: "/lateness", says: "longer than zero" },
  { name: "negative wait", change: seq((j) => (j.steps[1].wait = "-2d")), code: "bad-duration", file: "sequences/welcome.json", pointer: "/steps/1/wait", says: "only an attribute_date offset may be negative" },
  { name: "a cap over no time never holds", change: settings((j) => (j.caps[0].per = "0d")), code: "bad-duration", file: "settings.json", pointer: "/caps/0/per", says: "longer than zero" },
  { name: "a half-life of nothing", change: { file: "scoring.json", edit: (j) => (j.decay.half_life = "-60d") }, code: "bad-duration", file: "scoring.json", pointer: "/decay/half_life", says: "longer than zero" },
  { name: "bad duration deep in a tag anchor", change: { file: "tags.json", edit: (j) => (j.tags["webinar-clicked-not-registered"].on.within = "48") }, code: "bad-duration", file: "tags.json", pointer: "/tags/webinar-clicked-not-registered/on/within" },
  { name: "bad stage enum", change: seq((j) => (j.stage = "onbording")), code: "bad-value", file: "sequences/welcome.json", pointer: "/stage", says: 'did you mean "onboarding"' },
  { name: "bad branch enum", change: seq((j) => (j.steps[2].when = "opend")), code: "bad-value", file: "sequences/welcome.json", pointer: "/steps/2/when", says: "not_opened" },
  { name: "missing name", change: seq((j) => delete j.name), code: "missing-field", file: "sequences/welcome.json", pointer: "", says: 'add "name"' },
  { name: "missing steps", change: seq((j) => delete j.steps), code: "missing-field", file: "sequences/welcome.json", says: "steps" },
  { name: "unknown template", change: seq((j) => (j.steps[1].template = "welcom-2")), code: "unknown-template", file: "sequences/welcome.json", pointer: "/steps/1/template", says: 'did you mean "welcome-2"' },
  { name: "unknown variant template", change: seq((j) => (j.steps[4].variants[1].template = "test-c")), code: "unknown-template", file: "sequences/welcome.json", pointer: "/steps/4/variants/1/template" },
  { name: "unknown segment", change: seq((j) => (j.audience = { segment: "trial" })), code: "unknown-segment", file: "sequences/welcome.json", pointer: "/audience/segment" },
  { name: "unknown tag in a nested condition", change: { file: "segments/warm-trial.json", edit: (j) => (j.condition.all[2].not.tag = "pricing") }, code: "unknown-tag", file: "segments/warm-trial.json", pointer: "/condition/all/2/not/tag" },
  { name: "unknown event in entry", change: seq((j) => (j.entry = { event: "task.deleted" })), code: "unknown-event", file: "sequences/welcome.json", pointer: "/entry/event", says: "settings.json" },
  { name: "unknown passive event", change: { file: "settings.json", edit: (j) => (j.passive_events = ["task.created", "task.asigned"]) }, code: "unknown-event", file: "settings.json", pointer: "/passive_events/1", says: "task.assigned" },
  { name: "unknown event in scoring", change: { file: "scoring.json", edit: (j) => (j.rules[0].event = "webinar.registerd") }, code: "unknown-event", file: "scoring.json", pointer: "/rules/0/event", says: "webinar.registered" },
  { name: "unknown goal event", change: seq((j) => (j.goal.event = "purchase")), code: "unknown-event", file: "sequences/welcome.json", pointer: "/goal/event" },
  { name: "a score threshold of 0 or less: every score starts there", change: { file: "triggers/no-task.json", edit: (j) => (j.on = { score_reached: 0 }) }, code: "schema", file: "triggers/no-task.json", pointer: "/on/score_reached", says: "more than 0" },
  { name: "tag_assigned of unknown tag", change: { file: "triggers/no-task.json", edit: (j) => (j.on = { tag_assigned: "vip" }) }, code: "unknown-tag", file: "triggers/no-task.json", pointer: "/on/tag_assigned" },
  { name: "unknown after step", change: seq((j) => (j.steps[2].after = "first-projekt")), code: "unknown-step", file: "sequences/welcome.json", pointer: "/steps/2/after" },
  { name: "after names a later step", change: seq((j) => (j.steps[1].after = "offer")), code: "unknown-step", file: "sequences/welcome.json", pointer: "/steps/1/after", says: "does not come before" },
  { name: "duplicate step ids", change: seq((j) => (j.steps[3].id = "resend")), code: "duplicate-step", file: "sequences/welcome.json", pointer: "/steps/3/id" },
  { name: "segment cycle", change: { file: "segments/trial-users.json", edit: (j) => (j.condition = { segment: "warm-trial" }) }, code: "segment-cycle", file: "segments/trial-users.json", pointer: "/condition/segment", says: "trial-users → warm-trial → trial-users" },
  { name: "a single variant", change: seq((j) => j.steps[4].variants.pop()), code: "too-few-variants", file: "sequences/welcome.json", pointer: "/steps/4/variants" },
  { name: "both template and variants", change: seq((j) => (j.steps[4].template = "test-a")), code: "step-template", file: "sequences/welcome.json", pointer: "/steps/4" },
  { name: "bad front matter YAML", change: md("welcome-2", "---\nsubject: Set up: your project: now\ntype: [regular\n---\nBody\n"), code: "yaml-syntax", file: "templates/welcome-2.md" },
  { name: "missing subject", change: md("welcome-2", "---\ntype: regular\n---\nBody\n"), code: "missing-field", file: "templates/welcome-2.md", says: 'add "subject"' },
  { name: "bad template type", change: md("welcome-2", "---\nsubject: Hi\ntype: newsletter\n---\nBody\n"), code: "bad-value", file: "templates/welcome-2.md", pointer: "/type", says: "regular, promo" },
  { name: "a YAML error is reported at its own line", change: md("welcome-2", "---\nsubject: Hi\ntype: : regular\n---\nBody\n"), code: "yaml-syntax", file: "templates/welcome-2.md", line: 3 },
  { name: "an unknown Liquid filter, which only a send would have found", change: md("welcome-2", "---\nsubject: Hi\ntype: regular\n---\nline one\n\nHi {{ user.first_name | defualt: 'there' }}\n"), code: "liquid-syntax", file: "templates/welcome-2.md", pointer: "/body", line: 7, says: 'did you mean "default"' },
  { name: "an unknown Liquid filter in the subject", change: md("welcome-2", "---\nsubject: \"Hi {{ user.first_name | shout }}\"\ntype: regular\n---\nBody\n"), code: "liquid-syntax", file: "templates/welcome-2.md", pointer: "/subject", line: 2, says: 'unknown Liquid filter "shout"' },
  { name: "bad Liquid in body", change: md("welcome-2", "---\nsubject: Hi\ntype: regular\n---\nline one\n{% if user.plan %}never closed\n"), code: "liquid-syntax", file: "templates/welcome-2.md", pointer: "/body" },
  { name: "bad Liquid in subject", change: md("welcome-2", "---\nsubject: \"Hi {{ user.first_name \"\ntype: regular\n---\nBody\n"), code: "liquid-syntax", file: "templates/welcome-2.md", pointer: "/subject" },
  { name: "bad step id", change: seq((j) => (j.steps[0].id = "Welcome Email")), code: "bad-id", file: "sequences/welcome.json", pointer: "/steps/0/id", says: "lower-case" },
  { name: "bad file name id", change: { file: "segments/Trial Users.json", text: '{ "name": "T", "condition": { "inactive": "30d" } }' }, code: "bad-id", file: "segments/Trial Users.json" },
  { name: "bad tag id", change: { file: "tags.json", edit: (j) => (j.tags["Visited Pricing"] = { name: "x", on: { signup: true } }) }, code: "bad-id", file: "tags.json", pointer: "/tags/Visited Pricing" },
  { name: "engagement level missing", change: { file: "engagement.json", edit: (j) => j.levels.splice(2, 1) }, code: "engagement-levels", file: "engagement.json", pointer: "/levels", says: "neutral" },
  { name: "engagement last level not empty", change: { file: "engagement.json", edit: (j) => (j.levels[4].when = { sent: { gte: 0 } }) }, code: "engagement-levels", file: "engagement.json", pointer: "/levels/4/when" },
  { name: "engagement level twice", change: { file: "engagement.json", edit: (j) => (j.levels[1].level = "highly_engaged") }, code: "engagement-levels", file: "engagement.json", pointer: "/levels/1/level" },
  { name: "invalid time zone", change: settings((j) => (j.timezone = "Europe/Berlinn")), code: "bad-timezone", file: "settings.json", pointer: "/timezone" },
  { name: "bad send_window time", change: settings((j) => (j.send_window.start = "9am")), code: "bad-value", file: "settings.json", pointer: "/send_window/start", says: "HH:MM" },
  { name: "send_window ends before it starts", change: settings((j) => (j.send_window = { start: "18:00", end: "09:00" })), code: "bad-send-window", file: "settings.json", pointer: "/send_window/end" },
  { name: "cap with unknown type", change: settings((j) => (j.caps[0].types = ["promotional"])), code: "bad-value", file: "settings.json", pointer: "/caps/0/types/0", says: 'did you mean "promo"' },
  { name: "condition without a known form", change: seq((j) => (j.audience = { plna: "trial" })), code: "bad-condition", file: "sequences/welcome.json", pointer: "/audience", says: "exactly one of" },
  { name: "entry without a known form", change: seq((j) => (j.entry = { signin: true })), code: "bad-entry", file: "sequences/welcome.json", pointer: "/entry", says: 'did you mean "signup"' },
  { name: "condition form with a stray field", change: seq((j) => (j.exit = { event: "unsubscribed", whithin: "2d" })), code: "unknown-field", file: "sequences/welcome.json", pointer: "/exit/whithin", says: "within" },
  { name: "anchor that is not one", change: { file: "triggers/no-task.json", edit: (j) => (j.on.after = "yesterday") }, code: "schema", file: "triggers/no-task.json", pointer: "/on/after", says: '"signup"' },
  { name: "in with a single value", change: { file: "segments/trial-users.json", edit: (j) => (j.condition.op = "in") }, code: "bad-value", file: "segments/trial-users.json", pointer: "/condition/value" },
  { name: "negative duration in a date op", change: { file: "segments/trial-users.json", edit: (j) => (j.condition = { attribute: "trial_ends_at", op: "more_than_ago", value: "-1d" }) }, code: "bad-duration", file: "segments/trial-users.json", pointer: "/condition/value", says: "takes a duration of 0 or more, not \"-1d\"" },
  { name: "date op without a duration", change: { file: "segments/trial-users.json", edit: (j) => (j.condition = { attribute: "trial_ends_at", op: "within_next", value: "soon" }) }, code: "bad-duration", file: "segments/trial-users.json", pointer: "/condition/value" },
  { name: "branch on the first step", change: seq((j) => (j.steps[0].when = "opened")), code: "branch-without-after", file: "sequences/welcome.json", pointer: "/steps/0/when" },
  { name: "trigger with template and steps", change: { file: "triggers/no-task.json", edit: (j) => (j.steps = [{ id: "a", template: "nudge" }]) }, code: "trigger-template", file: "triggers/no-task.json", pointer: "/steps" },
  { name: "same id for a sequence and a trigger", change: { file: "triggers/welcome.json", text: '{ "name": "W", "on": { "signup": true }, "template": "nudge" }' }, code: "duplicate-campaign", file: "triggers/welcome.json" },
  { name: "settings.json missing", change: { file: "settings.json", text: null }, code: "missing-file", file: "settings.json" },
  { name: "scoring bands reversed", change: { file: "scoring.json", edit: (j) => (j.bands = { hot: 10, warm: 20 }) }, code: "bad-range", file: "scoring.json", pointer: "/bands/hot" },
  { name: "scoring rule with event and signal", change: { file: "scoring.json", edit: (j) => (j.rules[2].event = "page.viewed") }, code: "scoring-rule", file: "scoring.json", pointer: "/rules/2" },
  { name: "engagement condition with a bad level", change: seq((j) => (j.audience = { engagement: "hot" })), code: "bad-value", file: "sequences/welcome.json", pointer: "/audience/engagement", says: "at_risk" },
  { name: "unsubscribe_url not https", change: settings((j) => (j.unsubscribe_url = "taskly.example/unsub")), code: "bad-value", file: "settings.json", pointer: "/unsubscribe_url", says: "https://" },
  { name: "undeclared template variable", change: md("welcome-2", "---\nsubject: Hi\ntype: regular\n---\nSee {{ cta_link }}\n"), code: "unknown-variable", file: "templates/welcome-2.md", pointer: "/body", severity: "warning" },
  { name: "stray file", change: { file: "sequence/welcome.json", text: "{}" }, code: "unknown-file", file: "sequence", severity: "warning" },
];

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
});

describe("the valid fixture", () => {
  it("has no problems at all and loads", async () => {
    const { config, problems } = await checkConfig(VALID);
    expect(problems).toEqual([]);
    expect(config?.campaigns.size).toBe(3);
  });
});

describe("broken configs", () => {
  it("the corpus is large enough", () => expect(CASES.length).toBeGreaterThanOrEqual(35));

  it.each(CASES)("$name → $code in $file", async (c) => {
    const dir = await brokenCopy(...[c.change].flat());
    dirs.push(dir);
    const { config, problems } = await checkConfig(dir);
    const hit = problems.find((p) => p.code === c.code && p.file === c.file && (c.pointer === undefined || p.pointer === c.pointer));
    expect(hit, JSON.stringify(problems, null, 2)).toBeDefined();
    expect(hit!.severity).toBe(c.severity ?? "error");
    if (c.says) expect(`${hit!.message} ${hit!.hint ?? ""}`).toContain(c.says);
    if (c.line !== undefined) expect(hit!.line).toBe(c.line);
    if (c.pointer !== undefined || c.code.endsWith("syntax")) expect(hit!.line).toBeGreaterThan(0);
    if ((c.severity ?? "error") === "error") expect(config).toBeUndefined();
    else expect(config).toBeDefined();
    // Every message names a place, never a stack trace.
    for (const p of problems) expect(`${p.message}${p.hint ?? ""}`).not.toMatch(/\bat .*\.ts:\d+/);
  });
});

describe("loadConfig", () => {
  it("returns the typed config for a valid directory", async () => {
    const config = await loadConfig(VALID);
    const welcome = config.campaigns.get("welcome")!;
    expect(welcome.steps.map((s) => [s.id, s.after, s.waitMs])).toEqual([
      ["welcome", undefined, 0],
      ["first-project", "welcome", 86_400_000],
      ["resend", "first-project", 2 * 86_400_000],
      ["offer", "first-project", 3 * 86_400_000],
      ["subject-test", "offer", 2 * 86_400_000],
    ]);
    expect(config.campaigns.get("no-task")!.steps).toMatchObject([{ id: "send", template: "nudge", waitMs: 0 }]);
    expect(config.settings.sendWindow).toEqual({ startMinute: 540, endMinute: 1080 });
  });

  it("throws invalid-config with every error, exit code 1", async () => {
    const dir = await brokenCopy(seq((j) => (j.steps[1].template = "nope")), settings((j) => (j.timezone = "Mars/Base")));
    dirs.push(dir);
    const error = await loadConfig(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NurtureError);
    expect((error as NurtureError).code).toBe("invalid-config");
    expect((error as NurtureError).exitCode).toBe(1);
    expect((error as NurtureError).problems.map((p) => p.code).sort()).toEqual(["bad-timezone", "unknown-template"]);
  });

  it("reports a missing directory as a problem, not a crash", async () => {
    const { problems } = await checkConfig("/nonexistent/nurture-config");
    expect(problems).toMatchObject([{ code: "config-not-found" }]);
  });
});
