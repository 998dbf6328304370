import { describe, expect, it } from "vitest";
import { toEvents } from "../../src/engine/webhooks/to-events.ts";
import { npsScore } from "../../src/engine/webhooks/nps-link.ts";
import { click, resendEvent, TAGS, userTag } from "./_deliveries.ts";

const rowsOf = (payload: unknown) => {
  const r = toEvents(payload, "msg_1");
  if (r.kind !== "rows") throw new Error(`expected rows, got ${JSON.stringify(r)}`);
  return r.rows;
};

describe("toEvents: one Resend event → event rows", () => {
  it.each([
    "email.sent", "email.delivered", "email.delivery_delayed", "email.opened",
    "email.complained", "email.failed", "email.suppressed",
  ])("%s keeps its name, with the tags as properties", (type) => {
    const [row, ...rest] = rowsOf(resendEvent(type));
    expect(rest).toEqual([]);
    expect(row).toMatchObject({ user_id: "u1", event: type, ts: "2026-11-20T09:00:00.000Z", event_id: "msg_1" });
    expect(row!.properties).toMatchObject({ key: "k-welcome-u1", campaign: "welcome", step: "first-project", type: "regular" });
  });

  it("never copies the address, subject or sender into a row", () => {
    expect(JSON.stringify(rowsOf(resendEvent("email.delivered")))).not.toMatch(/secret-ann|Create your first|hello@/);
  });

  it.each([
    ["Permanent", "permanent"],
    ["Transient", "transient"],
    ["Undetermined", "undetermined"],
  ])("email.bounced of type %s → bounce_type %s", (type, expected) => {
    const [row] = rowsOf(resendEvent("email.bounced", { bounce: { message: "550 no such user", subType: "General", type } }));
    expect(row!.properties).toMatchObject({ bounce_type: expected, bounce_subtype: "General" });
    expect(JSON.stringify(row)).not.toContain("550 no such user");
  });

  it("email.failed carries the reason and email.suppressed its type", () => {
    expect(rowsOf(resendEvent("email.failed", { failed: { reason: "reached_daily_quota" } }))[0]!.properties.reason).toBe("reached_daily_quota");
    expect(rowsOf(resendEvent("email.suppressed", { suppressed: { message: "on the list", type: "OnAccountSuppressionList" } }))[0]!.properties.suppressed_type).toBe("OnAccountSuppressionList");
  });

  it("email.clicked carries the link and takes the click's own time", () => {
    const rows = rowsOf(click("https://taskly.example/go/projects?utm_source=nurture&utm_medium=email"));
    expect(rows).toEqual([
      expect.objectContaining({ event: "email.clicked", ts: "2026-11-20T09:05:00.000Z", properties: expect.objectContaining({ link: "https://taskly.example/go/projects?utm_source=nurture&utm_medium=email" }) }),
    ]);
  });

  it("a click on an NPS answer link also yields nps.answered with the score", () => {
    const survey = { ...TAGS, type: "survey", campaign: "nps", step: "send", key: "k-nps-u1" };
    const rows = rowsOf(click("https://taskly.github.io/nurture/nps/9/?k=k-nps-u1&utm_source=nurture&utm_medium=email&utm_campaign=nps&utm_content=send", survey));
    expect(rows.map((r) => r.event)).toEqual(["email.clicked", "nps.answered"]);
    expect(rows[1]).toMatchObject({ user_id: "u1", event_id: "msg_1:nps", ts: "2026-11-20T09:05:00.000Z", properties: { score: 9, key: "k-nps-u1", campaign: "nps", type: "survey" } });
    expect(rows[1]!.properties.link).toBeUndefined();
  });

  it("a click on the unsubscribe link is only a click, never an unsubscribe (RFC 8058)", () => {
    const rows = rowsOf(click("https://taskly.example/api/unsubscribe?token=v1.dTE.c2ln"));
    expect(rows.map((r) => r.event)).toEqual(["email.clicked"]);
  });

  it("reads an encoded user tag back into the user id, and tags sent as a list", () => {
    const [row] = rowsOf(resendEvent("email.opened", {}, { ...TAGS, user: userTag("ann@example.com") }));
    expect(row!.user_id).toBe("ann@example.com");
    const listed = resendEvent("email.opened", { tags: [{ name: "user", value: "u2" }, { name: "key", value: "k2" }] }, null);
    expect(rowsOf(listed)[0]).toMatchObject({ user_id: "u2", properties: { key: "k2" } });
  });

  it("sets aside an event without a user tag, and ignores types that are not about a sent email", () => {
    expect(toEvents(resendEvent("email.opened", {}, { key: "k1" }), "m")).toMatchObject({ kind: "no-user", reason: expect.stringContaining("no \"user\" tag") });
    expect(toEvents({ type: "contact.created", created_at: "2026-11-20T09:00:00Z", data: {} }, "m")).toEqual({ kind: "ignored", type: "contact.created" });
    expect(toEvents({ type: "email.received", created_at: "2026-11-20T09:00:00Z", data: {} }, "m")).toEqual({ kind: "ignored", type: "email.received" });
  });

  it.each([
    [[1, 2], "not a JSON object"],
    [{ created_at: "2026-11-20T09:00:00Z", data: {} }, "no \"type\""],
    [{ type: "email.opened", created_at: "2026-11-20T09:00:00Z" }, "no \"data\" object"],
    [{ ...resendEvent("email.opened"), created_at: "yesterday" }, "no readable \"created_at\""],
    [resendEvent("email.clicked"), "no data.click.link"],
  ])("reports a malformed event: %j", (payload, reason) => {
    expect(toEvents(payload, "m")).toEqual({ kind: "malformed", reason: expect.stringContaining(reason) });
  });
});

describe("npsScore", () => {
  it.each([
    ["https://taskly.github.io/nurture/nps/0/?k=abc", undefined, 0],
    ["https://taskly.github.io/nurture/nps/10/?k=abc&utm_source=nurture", undefined, 10],
    ["https://taskly.github.io/nurture/nps/7", undefined, 7],
    ["https://survey.example/answer?score=3", "survey", 3],
    ["https://survey.example/answer?score=3", "regular", undefined],
    ["https://taskly.github.io/nurture/nps/11/", undefined, undefined],
    ["https://taskly.github.io/nurture/nps/", undefined, undefined],
    ["https://taskly.github.io/nurture/nps/9/results", undefined, undefined],
    ["not a url", "survey", undefined],
  ])("%s (%s) → %s", (link, type, score) => {
    expect(npsScore(link, type)).toBe(score);
  });
});
