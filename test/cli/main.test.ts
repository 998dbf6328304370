import { describe, expect, it } from "vitest";
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
});
