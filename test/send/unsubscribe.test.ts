import { describe, expect, it } from "vitest";
import { decodeTagValue, encodeTagValue, signUnsubscribeToken, unsubscribeUrl, verifyUnsubscribeToken } from "../../src/engine/index.ts";
import { unsubscribeSecret } from "../../src/engine/send/index.ts";

const SECRET = "s3cret-s3cret-s3cret";

describe("unsubscribe tokens", () => {
  it.each(["u_42", "ann@example.com", "ünïcode id"])("verify back to the user id they were signed for (%j)", (userId) => {
    expect(verifyUnsubscribeToken(signUnsubscribeToken(userId, SECRET), SECRET)).toBe(userId);
  });

  it("fail when forged: another secret, another user, a changed signature, garbage", () => {
    const token = signUnsubscribeToken("u_42", SECRET);
    const [v, id, mac] = token.split(".") as [string, string, string];
    expect(verifyUnsubscribeToken(token, "another-secret-entirely")).toBeUndefined();
    expect(verifyUnsubscribeToken(`${v}.${Buffer.from("u_43").toString("base64url")}.${mac}`, SECRET)).toBeUndefined();
    expect(verifyUnsubscribeToken(`${v}.${id}.${mac.slice(0, -1)}${mac.endsWith("A") ? "B" : "A"}`, SECRET)).toBeUndefined();
    for (const bad of ["", "preview", "v1..", `v2.${id}.${mac}`, `${token}.x`]) expect(verifyUnsubscribeToken(bad, SECRET)).toBeUndefined();
  });

  it("go into the settings' URL as ?token=, keeping any query it has", () => {
    const url = new URL(unsubscribeUrl("https://taskly.example/api/unsubscribe?list=news", "u_42", SECRET));
    expect(url.searchParams.get("list")).toBe("news");
    expect(verifyUnsubscribeToken(url.searchParams.get("token")!, SECRET)).toBe("u_42");
  });

  it("need a real secret for real mail, and fall back to a marked development one otherwise", () => {
    expect(() => unsubscribeSecret({}, { required: true })).toThrow(/NURTURE_UNSUBSCRIBE_SECRET is not set/);
    expect(() => unsubscribeSecret({ NURTURE_UNSUBSCRIBE_SECRET: "short" }, { required: false })).toThrow(/too short/);
    expect(unsubscribeSecret({}, { required: false })).toMatchObject({ dev: true });
    expect(unsubscribeSecret({ NURTURE_UNSUBSCRIBE_SECRET: SECRET }, { required: true })).toEqual({ secret: SECRET, dev: false });
  });
});

describe("tag values", () => {
  it.each([
    ["u_42", "u_42"],
    ["3f9c-AB", "3f9c-AB"],
    ["ann@example.com", "b64-YW5uQGV4YW1wbGUuY29t"],
    ["b64-looks-encoded", "b64-YjY0LWxvb2tzLWVuY29kZWQ"],
  ])("carry %j as %j and decode back", (value, tag) => {
    expect(encodeTagValue(value)).toBe(tag);
    expect(tag).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
    expect(decodeTagValue(tag)).toBe(value);
  });

  it("refuse a value too long to carry even encoded", () => {
    expect(encodeTagValue("é".repeat(100))).toBeUndefined();
    expect(encodeTagValue("x".repeat(256))).toBe("x".repeat(256));
  });
});
