import fs from "node:fs";
import os from "node:os";
import path from "node:path";
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

  it("reads --now in ISO 8601's basic format, as ledger file names write instants", () => {
    expect(parseNow("20261120T090000Z").toISOString()).toBe("2026-11-20T09:00:00.000Z");
    expect(parseNow("20261120T0900").toISOString()).toBe("2026-11-20T09:00:00.000Z");
    expect(parseNow("20261120T090000.250+0200").toISOString()).toBe("2026-11-20T07:00:00.250Z");
    expect(parseNow("20261120").toISOString()).toBe("2026-11-20T00:00:00.000Z");
    // Basic and extended are not mixed, and a basic date names a real day too.
    expect(() => parseNow("2026-11-20T090000Z")).toThrow(/is not an ISO-8601 instant/);
    expect(() => parseNow("20261120T09:00:00Z")).toThrow(/is not an ISO-8601 instant/);
    expect(() => parseNow("20260230")).toThrow(/does not exist/);
  });

  it("refuses a --now that is not strict ISO 8601 or names a day that does not exist, instead of guessing", async () => {
    for (const [text, said] of [
      ["2026-11-20 9:00 PM", "is not an ISO-8601 instant"],
      ["2026-11-20 EST", "is not an ISO-8601 instant"],
      ["2026-02-30T09:00:00Z", "names a date or time that does not exist"],
      ["0000-01-01T00:00:00Z", "is before 1970"],
    ]) {
      const r = await nurture("validate", "--now", text!);
      expect(r.code, text).toBe(2);
      expect(r.err).toContain(`--now "${text}" ${said}`);
    }
  });

  it("names a --data that is a file as a file, not as a missing snapshots directory under it", async () => {
    const r = await nurture("plan", "--config", "test/fixtures/config/valid", "--data", "package.json", "--now", "2026-11-20T09:00:00Z");
    expect(r.code).toBe(1);
    expect(r.err).toContain("package.json is a file, not a data directory");
    expect(r.err).toContain("give --data the directory that holds snapshots/");
    expect(r.err).not.toContain("package.json/snapshots");
  });

  it("with --json, a failure is one JSON object on stdout as well as the message on stderr", async () => {
    const r = await nurture("plan", "--json", "--config", "test/fixtures/config/valid", "--data", "/nonexistent/nurture-data", "--now", "2026-11-20T09:00:00Z");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ ok: false, exitCode: 1, error: { code: "no-snapshot", problems: [expect.objectContaining({ hint: expect.any(String) })] } });
    expect(r.err).toContain("no snapshot");
    const usage = await nurture("plan", "--json", "--now", "soon");
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.out)).toMatchObject({ ok: false, exitCode: 2, error: { code: "usage" } });
  });

  it("reports a path the system refuses (a file where a directory should be) by its path, without a stack trace", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-cli-"));
    try {
      fs.writeFileSync(path.join(dir, "file"), "not a directory");
      const r = await nurture("demo", "--data", path.join(dir, "file", "demo"), "--users", "10", "--days", "3", "--replay-days", "0");
      expect(r.code).toBe(1);
      expect(r.err).toContain(`${path.join(dir, "file")}`);
      expect(r.err).toContain("a file is where a directory should be");
      expect(r.err).not.toMatch(/this is a bug|\n\s+at /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports --out naming a file where a directory must be made by its path, without a stack trace", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-cli-"));
    try {
      fs.writeFileSync(path.join(dir, "preview.html"), "an existing file");
      const r = await nurture("preview", "--config", "test/fixtures/config/valid", "--out", path.join(dir, "preview.html"));
      expect(r.code).toBe(1);
      expect(r.err).toContain(path.join(dir, "preview.html"));
      expect(r.err).toContain("a file is already where a directory must be made");
      expect(r.err).not.toMatch(/this is a bug|\n\s+at /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("prints an error's message once", async () => {
    const r = await nurture("plan", "--config", "/nonexistent/nurture-config", "--now", "2026-11-20T09:00:00Z");
    expect(r.code).toBe(1);
    expect(r.err.split("\n").filter((l) => l.includes("/nonexistent/nurture-config does not exist"))).toHaveLength(1);
  });
});
