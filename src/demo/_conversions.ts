/**
 * Turns a conversion decided by the behaviour model into product events, keeping the
 * user's timeline consistent (a purchase changes plan and licence dates from then on).
 */
import { Rng } from "./_random.ts";
import type { Conversion } from "./behaviour.ts";
import { PRICES, convertToPaid, type DemoEvent, type DemoUser } from "./taskly.ts";

const isPaying = (u: DemoUser, at: number): boolean =>
  u.purchasedAt !== undefined && u.purchasedAt <= at && (u.licenseEndAt === undefined || u.licenseEndAt > at);

/**
 * The events a conversion produces (possibly none: someone who already bought cannot buy
 * the trial offer again) and whether the user's timeline changed.
 */
export function realiseConversion(c: Conversion, user: DemoUser, options: { seed: number; now: number }): { events: DemoEvent[]; changed: boolean } {
  const rng = new Rng(options.seed, `convert\0${c.key}`);
  const tag = `c${c.key.slice(0, 10)}`;
  const one = (event: string, ts: number, properties?: Record<string, string | number>, n = 0): DemoEvent => {
    const e: DemoEvent = { user_id: user.user_id, event, ts: Math.floor(ts), event_id: `${user.user_id}-${tag}-${n}` };
    if (properties) e.properties = properties;
    return e;
  };
  if (c.at > options.now) return { events: [], changed: false };

  switch (c.goal.event) {
    case "subscription.purchased":
    case "checkout.completed": {
      const wantsTeam = c.goal.where?.plan === "team";
      if (wantsTeam && isPaying(user, c.at) && user.paidPlan === "pro") {
        user.paidPlan = "team";
        const term = user.termDays ?? 30;
        return { events: [one("subscription.purchased", c.at, { plan: "team", amount: PRICES.team[term], billing: term === 30 ? "monthly" : "yearly" })], changed: true };
      }
      // Only first purchases: past and future buyers already have their own history.
      if (user.purchasedAt !== undefined) return { events: [], changed: false };
      return { events: convertToPaid(user, c.at, { seed: options.seed, now: options.now, tag }), changed: true };
    }
    case "task.created": {
      const n = rng.int(1, 3);
      return { events: Array.from({ length: n }, (_, i) => one("task.created", c.at + i * rng.int(1, 20) * 60_000, undefined, i)), changed: false };
    }
    case "subscription.renewed":
      // Renewals follow the licence terms in the timeline; a click does not move them.
      return { events: [], changed: false };
    default: {
      // Scalar `where` values describe the goal event's properties (e.g. a webinar id).
      const props = Object.fromEntries(
        Object.entries(c.goal.where ?? {}).filter((entry): entry is [string, string | number] => typeof entry[1] === "string" || typeof entry[1] === "number"),
      );
      return { events: [one(c.goal.event, c.at, Object.keys(props).length ? props : undefined)], changed: false };
    }
  }
}
