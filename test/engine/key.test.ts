import { describe, expect, it } from "vitest";
import { chooseVariant, messageKey } from "../../src/engine/evaluate/key.ts";

describe("messageKey", () => {
  it("is 32 lowercase hex characters and stable", () => {
    const key = messageKey("u1", "welcome", "day-2", "2026-11-20T09:00:00.000Z");
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(messageKey("u1", "welcome", "day-2", "2026-11-20T09:00:00.000Z")).toBe(key);
  });

  it.each([
    ["user", ["u2", "welcome", "day-2", "o"]],
    ["campaign", ["u1", "welcome2", "day-2", "o"]],
    ["step", ["u1", "welcome", "day-3", "o"]],
    ["occurrence", ["u1", "welcome", "day-2", "o2"]],
  ])("changes with the %s", (_, parts) => {
    expect(messageKey(...(parts as [string, string, string, string]))).not.toBe(messageKey("u1", "welcome", "day-2", "o"));
  });

  it("does not confuse parts that only differ in where they are split", () => {
    expect(messageKey("u1", "ab", "c", "o")).not.toBe(messageKey("u1", "a", "bc", "o"));
  });
});

describe("chooseVariant", () => {
  const variants = [
    { id: "a", template: "t-a", weight: 1 },
    { id: "b", template: "t-b", weight: 3 },
  ];

  it("gives a user the same variant every time", () => {
    for (let i = 0; i < 50; i++) {
      expect(chooseVariant(`u${i}`, "welcome", "s", variants).id).toBe(chooseVariant(`u${i}`, "welcome", "s", variants).id);
    }
  });

  it("splits users by weight (1:3 within a few points over 4,000 users)", () => {
    let b = 0;
    for (let i = 0; i < 4000; i++) if (chooseVariant(`u${i}`, "welcome", "s", variants).id === "b") b++;
    expect(b / 4000).toBeGreaterThan(0.72);
    expect(b / 4000).toBeLessThan(0.78);
  });

  it("never picks a zero-weight variant", () => {
    const withZero = [{ id: "a", template: "t", weight: 0 }, { id: "b", template: "t", weight: 1 }];
    for (let i = 0; i < 500; i++) expect(chooseVariant(`u${i}`, "c", "s", withZero).id).toBe("b");
  });
});
