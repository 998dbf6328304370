import { describe, expect, it } from "vitest";
import { withUtm } from "../../src/engine/templates/index.ts";

const tags = { campaign: "welcome", content: "day-1" };
const UTM = "utm_source=nurture&utm_medium=email&utm_campaign=welcome&utm_content=day-1";

describe("withUtm", () => {
  it.each([
    { href: "https://app.example/tasks", expected: `https://app.example/tasks?${UTM}` },
    { href: "http://app.example/", expected: `http://app.example/?${UTM}` },
    { href: "https://app.example/x?ref=a&b=%20c", expected: `https://app.example/x?ref=a&b=%20c&${UTM}` },
    { href: "https://app.example/x?", expected: `https://app.example/x?${UTM}` },
    { href: "https://app.example/x#top", expected: `https://app.example/x?${UTM}#top` },
    { href: "https://app.example/x?a=1#top", expected: `https://app.example/x?a=1&${UTM}#top` },
    { href: "HTTPS://APP.EXAMPLE/x", expected: `HTTPS://APP.EXAMPLE/x?${UTM}` },
    { href: "https://app.example/x?utm_campaign=spring", expected: "https://app.example/x?utm_campaign=spring&utm_source=nurture&utm_medium=email&utm_content=day-1" },
    { href: "mailto:support@taskly.example", expected: "mailto:support@taskly.example" },
    { href: "tel:+491234", expected: "tel:+491234" },
    { href: "/relative/path", expected: "/relative/path" },
  ])("$href", ({ href, expected }) => {
    expect(withUtm(href, tags)).toBe(expected);
  });

  it("encodes campaign and step ids", () => {
    expect(withUtm("https://a.example", { campaign: "a b&c", content: "x=y" })).toContain("utm_campaign=a%20b%26c&utm_content=x%3Dy");
  });
});
