import { describe, expect, it } from "vitest";
import { parseNow } from "../../src/cli/context.ts";
import { nurture } from "../support/cli.ts";

describe("nurture CLI", () => {
  it("lists every command in --help and exits 0", async () => {
    const r = await nurture("--help");
    expect(r.code).toBe(0);
    for (const name of ["validate", "plan", "run", "diff", "backtest", "explain", "preview", "demo"]) {
      expect(r.out).toContain(name);
    }
  });

  it("exits 2 on an unknown command", async () => {
    const r = await nurture("bogus");
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown command");
  });

  it("exits 2 with a plain message when --now is not an instant", async () => {
    const r = await nurture("validate", "--now", "yesterday");
    expect(r.code).toBe(2);
    expect(r.err).toContain('--now "yesterday" is not an ISO-8601 instant');
    expect(r.err).not.toMatch(/at .*\.ts:\d+/);
  });

  it("reads --now without an offset as UTC, whatever the machine's time zone", () => {
    const zone = process.env.TZ;
    process.env.TZ = "America/New_York";
    try {
      expect(parseNow("2026-11-20T09:00:00").toISOString()).toBe("2026-11-20T09:00:00.000Z");
      expect(parseNow("2026-11-20 09:00").toISOString()).toBe("2026-11-20T09:00:00.000Z");
      expect(parseNow("2026-11-20T09:00:00+02:00").toISOString()).toBe("2026-11-20T07:00:00.000Z");
      expect(parseNow("2026-11-20").toISOString()).toBe("2026-11-20T00:00:00.000Z");
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });
});
