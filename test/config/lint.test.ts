import { afterAll, describe, expect, it } from "vitest";
import fs from "node:fs/promises";
import { checkConfig, representativeSubject, type Template } from "../../src/engine/config/index.ts";
import { brokenCopy, type Change } from "./_fixture.ts";

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
});

async function problemsWith(...changes: Change[]) {
  const dir = await brokenCopy(...changes);
  dirs.push(dir);
  return (await checkConfig(dir)).problems;
}

const md = (name: string, front: string, body = "Body\n"): Change => ({ file: `templates/${name}.md`, text: `---\n${front}\n---\n${body}` });
const lintSetting = (key: string, value: unknown): Change => ({ file: "settings.json", edit: (j) => (j.lint = { ...j.lint, [key]: value }) });
const template = (subject: string, variables: Record<string, string> = {}): Template => ({
  id: "t",
  subject,
  type: "regular",
  variables,
  body: "",
  origin: { file: "templates/t.md", pointer: "" },
});

describe("representativeSubject", () => {
  it.each([
    ["Plain subject", "Plain subject"],
    ["Hi {{ user.first_name | default: 'there' }}!", "Hi there!"],
    ['Hi {{ user.first_name | default: "friend" }}', "Hi friend"],
    ["Hi {{ user.first_name }}", "Hi xxxxxxxxxx"],
    ["{{ discount }} off", "20% off"],
    ["{% if user.plan %}Pro: {% endif %}news", "Pro: news"],
    ["From {{ campaign }}", "From xxxxxxxxxx"],
  ])("%s → %s", (subject, shown) => {
    expect(representativeSubject(template(subject, { discount: "20%" }))).toBe(shown);
  });
});

describe("subject-length", () => {
  const long = "subject: Everything you need to know about projects, tasks and teams\ntype: regular";
  it("fires on a long subject, as an error by default, naming the length", async () => {
    const p = (await problemsWith(md("welcome-2", long))).filter((x) => x.code === "subject-length");
    expect(p).toMatchObject([{ severity: "error", file: "templates/welcome-2.md", pointer: "/subject", line: 2 }]);
    expect(p[0]!.message).toContain("59 characters, over the limit of 50");
  });
  it("measures placeholders with a 10-character stand-in and says so", async () => {
    // 43 characters of text + 10 for the name = 53.
    const p = await problemsWith(md("welcome-2", 'subject: "{{ user.first_name }}, your first project takes just two minutes"\ntype: regular'));
    expect(p.find((x) => x.code === "subject-length")?.message).toMatch(/53 characters.*10-character stand-in/);
  });
  it("uses the | default: value, so the same subject with a short default passes", async () => {
    const p = await problemsWith(md("welcome-2", "subject: \"{{ user.first_name | default: 'you' }}, your first project takes just two minutes\"\ntype: regular"));
    expect(p.filter((x) => x.code === "subject-length")).toEqual([]);
  });
  it("follows max_subject_length and severity, and is silent when off", async () => {
    expect((await problemsWith(md("welcome-2", long), lintSetting("max_subject_length", 70))).filter((x) => x.code === "subject-length")).toEqual([]);
    expect((await problemsWith(md("welcome-2", long), lintSetting("subject_length", "warning"))).find((x) => x.code === "subject-length")?.severity).toBe("warning");
    expect((await problemsWith(md("welcome-2", long), lintSetting("subject_length", "off"))).filter((x) => x.code === "subject-length")).toEqual([]);
  });
});

describe("personalised-spacing", () => {
  const personal = md("welcome-2", "subject: \"{{ user.first_name | default: 'Hi' }}, set up a project\"\ntype: regular\nformat: newsletter");
  it("fires when two of three consecutive steps are personalised", async () => {
    const p = (await problemsWith(personal)).filter((x) => x.code === "personalised-spacing");
    expect(p).toMatchObject([{ severity: "warning", file: "sequences/welcome.json", pointer: "/steps/1" }]);
    expect(p[0]!.message).toContain('"welcome" and "first-project"');
  });
  it("counts a variant step as personalised when any variant is", async () => {
    const p = await problemsWith(md("offer", "subject: \"{{ user.first_name }}: 20% off\"\ntype: promo"), md("test-b", "subject: \"{{ user.first_name }}, invite one\"\ntype: promo"));
    expect(p.filter((x) => x.code === "personalised-spacing").map((x) => x.pointer)).toEqual(["/steps/4"]);
  });
  it("passes when personalised steps are three apart, and is silent when off", async () => {
    expect((await problemsWith(md("offer", "subject: \"{{ user.first_name }}: 20% off\"\ntype: promo"))).filter((x) => x.code === "personalised-spacing")).toEqual([]);
    expect((await problemsWith(personal, lintSetting("personalised_spacing", "off"))).filter((x) => x.code === "personalised-spacing")).toEqual([]);
  });
});

describe("stage-balance", () => {
  const allRegular = ["offer", "test-a", "test-b"].map((n) => md(n, `subject: Tips ${n}\ntype: regular`));
  it("fires when one type is more than twice the other, giving both counts", async () => {
    const p = (await problemsWith(...allRegular)).filter((x) => x.code === "stage-balance");
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ severity: "warning", pointer: "/stage" });
    expect(p[0]!.message).toContain('stage "onboarding" has 5 regular and 0 promo emails');
  });
  it("lets a step's own type override its template's", async () => {
    const p = await problemsWith(...allRegular, { file: "sequences/welcome.json", edit: (j) => ((j.steps[3].type = "promo"), (j.steps[4].type = "promo")) });
    expect(p.filter((x) => x.code === "stage-balance")).toEqual([]);
  });
  it("is silent when off", async () => {
    expect((await problemsWith(...allRegular, lintSetting("stage_balance", "off"))).filter((x) => x.code === "stage-balance")).toEqual([]);
  });
});

describe("format-changes", () => {
  const contest = md("welcome-2", "subject: Win a year of Taskly\ntype: promo\nformat: contest");
  const video = md("test-a", "subject: Watch how teams plan a sprint\ntype: promo\nformat: video");
  it("fires on two format changes closer than the minimum, naming both steps and the gap", async () => {
    const p = (await problemsWith(contest, video)).filter((x) => x.code === "format-changes");
    expect(p).toMatchObject([{ severity: "warning", file: "sequences/welcome.json", pointer: "/steps/4" }]);
    expect(p[0]!.message).toContain('"first-project" and "subject-test" are 7 days apart (minimum 60)');
  });
  it("passes when the changes are far enough apart for the configured minimum", async () => {
    expect((await problemsWith(contest, video, lintSetting("min_days_between_format_changes", 7))).filter((x) => x.code === "format-changes")).toEqual([]);
  });
  it("treats a single change as fine and is silent when off", async () => {
    expect((await problemsWith(contest)).filter((x) => x.code === "format-changes")).toEqual([]);
    expect((await problemsWith(contest, video, lintSetting("format_changes", "off"))).filter((x) => x.code === "format-changes")).toEqual([]);
  });
});
