import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { beforeAll, describe, expect, it } from "vitest";
import { zonesChangingNear } from "../../src/engine/sql/clock-changes.ts";

const NOW = new Date("2026-11-20T12:00:00Z");
const h = (hours: number, minutes = 0): number => hours * 60 + minutes;

describe("zonesChangingNear", () => {
  let conn: DuckDBConnection;
  beforeAll(async () => {
    conn = await (await DuckDBInstance.create(":memory:")).connect();
  });

  it("names no zone for office hours in zones that change their clock at night", async () => {
    // Berlin 02:00/03:00, New York and Sydney 02:00/03:00, London 01:00/02:00; Tokyo and Kolkata never.
    const zones = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Europe/London", "Asia/Tokyo", "Asia/Kolkata", "UTC"];
    expect(await zonesChangingNear(conn, zones, h(9), h(18), NOW)).toEqual([]);
  });

  it("names the zones whose clock changes inside the hours, and only those", async () => {
    const zones = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"];
    expect((await zonesChangingNear(conn, zones, h(1), h(1, 45), NOW)).sort()).toEqual(["America/New_York", "Europe/Berlin"]);
  });

  it("names a zone whose clock changes in the evening (Nuuk turns 00:00 back to 23:00)", async () => {
    expect(await zonesChangingNear(conn, ["Europe/Berlin", "America/Nuuk"], h(20), h(23), NOW)).toEqual(["America/Nuuk"]);
  });

  it("names a zone whose skipped or repeated times reach into the hours, and not one whose stay clear", async () => {
    // Berlin skips 02:00–03:00 in spring and repeats it in autumn.
    expect(await zonesChangingNear(conn, ["Europe/Berlin"], h(2, 59), h(7), NOW)).toEqual(["Europe/Berlin"]);
    expect(await zonesChangingNear(conn, ["Europe/Berlin"], h(4), h(7), NOW)).toEqual([]);
    expect(await zonesChangingNear(conn, ["Europe/Berlin"], h(20), h(23, 59), NOW)).toEqual([]);
  });

  it("sees a two-hour turn back (Antarctica's Troll) and a half-hour one (Lord Howe)", async () => {
    // Troll: 03:00 +02 becomes 01:00 +00, so 01:05 comes twice; Lord Howe: 02:00 +11 becomes
    // 01:30 +10:30, so 01:40 comes twice. Neither changes near 12:00.
    const zones = ["Antarctica/Troll", "Australia/Lord_Howe"];
    expect(await zonesChangingNear(conn, zones, h(1, 5), h(1, 10), NOW)).toContain("Antarctica/Troll");
    expect(await zonesChangingNear(conn, zones, h(1, 40), h(1, 50), NOW)).toContain("Australia/Lord_Howe");
    expect(await zonesChangingNear(conn, zones, h(12), h(13), NOW)).toEqual([]);
  });

  it("names a zone that once changed by more than two hours, whatever the hours", async () => {
    // Kiritimati skipped a whole day at the start of 1995 (-10:00 became +14:00), which the
    // window's rules, written for changes of two hours at most, do not model.
    expect(await zonesChangingNear(conn, ["Pacific/Kiritimati", "Europe/Berlin"], h(9), h(18), NOW)).toEqual(["Pacific/Kiritimati"]);
  });

  it("gives the same answer when asked again, and for an empty list", async () => {
    expect(await zonesChangingNear(conn, ["America/Nuuk", "America/Nuuk"], h(20), h(23), NOW)).toEqual(["America/Nuuk"]);
    expect(await zonesChangingNear(conn, [], h(20), h(23), NOW)).toEqual([]);
  });
});
