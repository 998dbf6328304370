/**
 * The Taskly demo world: a task-manager SaaS with a 7-day trial. Generates users and their
 * product events with realistic funnels (weekly signup seasonality, ~40% activation,
 * ~10% trial→paid, monthly/yearly renewals with churn, fading activity), deterministic
 * for a seed. Each user carries a small timeline (purchase, plan, term, licence end) so
 * the replay can show the user's attributes as they were on any past day.
 */
import { DAY_MS, HOUR_MS } from "../engine/duration.ts";
import { Rng, hash32 } from "./_random.ts";
import { ADDONS, COMPANY_SIZES, FIRST_NAMES, PAGES, REGIONS, SURNAME_INITIALS } from "./_people.ts";

const MINUTE_MS = 60_000;
export const TRIAL_MS = 7 * DAY_MS;

export interface WorldOptions {
  users: number;
  days: number;
  seed: number;
  /** The end of the generated period: nothing happens after it. */
  now: Date;
}

export type PaidPlan = "pro" | "team";

/** One user with the timeline the replay needs to rebuild attributes at any instant. */
export interface DemoUser {
  user_id: string;
  email: string;
  first_name: string;
  /** Epoch milliseconds. */
  created_at: number;
  timezone: string;
  country: string;
  company_size: string;
  purchasedAt?: number;
  paidPlan?: PaidPlan;
  termDays?: 30 | 365;
  /** When the licence ran out for good (the user churned); undefined = still renewing. */
  licenseEndAt?: number;
  /** Chance (0–100) that the user has overdue tasks on a given day while active. */
  overduePct: number;
}

export interface DemoEvent {
  user_id: string;
  event: string;
  /** Epoch milliseconds. */
  ts: number;
  properties?: Record<string, string | number>;
  event_id: string;
}

export const PRICES: Record<PaidPlan, Record<30 | 365, number>> = {
  pro: { 30: 9, 365: 90 },
  team: { 30: 29, 365: 290 },
};

/** Rough standard offsets in hours, only to place signups in local business hours. */
const OFFSET_HOURS: Record<string, number> = {
  "Europe/London": 0, "America/New_York": -5, "America/Los_Angeles": -8, "America/Sao_Paulo": -3,
  "Asia/Tokyo": 9, "Asia/Kolkata": 5.5, "Australia/Sydney": 11,
};
const LOCAL_HOURS: readonly (readonly [number, number])[] = [
  [7, 3], [8, 6], [9, 10], [10, 11], [11, 10], [12, 7], [13, 8], [14, 9], [15, 9], [16, 8], [17, 6],
  [18, 4], [19, 3], [20, 3], [21, 3], [22, 2],
];

/**
 * Yields every demo user with their product events (sorted by time, none before signup
 * or after `now`), in signup order. Same options → same output, byte for byte.
 *
 * @example
 * for (const { user, events } of tasklyUsers({ users: 500, days: 60, seed: 1, now })) …
 */
export function* tasklyUsers(options: WorldOptions): Generator<{ user: DemoUser; events: DemoEvent[] }> {
  const now = options.now.getTime();
  const signups = signupSlots(options);
  const width = String(options.users).length + 1;
  for (let i = 0; i < signups.length; i++) {
    const userId = `u${String(i + 1).padStart(width, "0")}`;
    const rng = new Rng(options.seed, userId);
    const { created_at, region } = signups[i]!;
    const first = rng.pick(FIRST_NAMES);
    const user: DemoUser = {
      user_id: userId,
      email: `${ascii(first)}.${rng.pick([...SURNAME_INITIALS])}${i + 1}@example.${rng.chance(0.7) ? "com" : "org"}`,
      first_name: first,
      created_at,
      timezone: region.timezone,
      country: region.country,
      company_size: rng.weighted(COMPANY_SIZES),
      overduePct: 0,
    };
    const events = new UserHistory(user, rng, now, (k) => `u${String(1 + rng.int(0, Math.max(0, k))).padStart(width, "0")}`, i).build();
    yield { user, events };
  }
}

/** Signup instants for everyone, sorted: weekdays busier than weekends, slow growth over the period. */
function signupSlots(options: WorldOptions): { created_at: number; region: { timezone: string; country: string } }[] {
  const rng = new Rng(options.seed, "signups");
  const now = options.now.getTime();
  const start = now - options.days * DAY_MS;
  const dayWeights: number[] = [];
  for (let d = 0; d < options.days; d++) {
    const weekday = new Date(start + d * DAY_MS).getUTCDay();
    const season = weekday === 6 ? 0.5 : weekday === 0 ? 0.6 : weekday === 1 ? 1.15 : 1;
    dayWeights.push(season * (1 + (0.4 * d) / options.days));
  }
  const table = dayWeights.map((w, d) => [d, w] as const);
  const slots = [];
  for (let i = 0; i < options.users; i++) {
    const region = rng.weighted(REGIONS);
    const day = rng.weighted(table);
    const offset = OFFSET_HOURS[region.timezone] ?? 1;
    const localHour = rng.weighted(LOCAL_HOURS) + rng.next();
    let at = Math.floor(start + day * DAY_MS + (localHour - offset) * HOUR_MS);
    if (at >= now) at = now - rng.int(1, 3600) * 1000;
    if (at < start) at = start + rng.int(0, 3600) * 1000;
    slots.push({ created_at: at, region });
  }
  return slots.sort((a, b) => a.created_at - b.created_at);
}

/**
 * A purchase the simulation caused (a click on an offer converted): the checkout events,
 * renewals up to `now`, and the user's timeline updated to match. Event ids carry `tag`
 * so they never collide with the generated history.
 */
export function convertToPaid(user: DemoUser, at: number, options: { seed: number; now: number; tag: string }): DemoEvent[] {
  const rng = new Rng(options.seed, `${user.user_id}\0${options.tag}`);
  const events = new UserHistory(user, rng, options.now, () => user.user_id, 0, `${options.tag}-`).purchaseAt(at, user.company_size !== "1");
  // Nothing may appear before the click that caused it (no back-dated abandoned checkout).
  return events.filter((e) => e.ts >= at - 10 * MINUTE_MS);
}

const ascii = (name: string): string => name.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();

/** Builds one user's product history; mutates the user's timeline fields. */
class UserHistory {
  private readonly events: DemoEvent[] = [];
  private seq = 0;

  constructor(
    private readonly user: DemoUser,
    private readonly rng: Rng,
    private readonly now: number,
    private readonly someoneBefore: (index: number) => string,
    private readonly index: number,
    private readonly idPrefix = "",
  ) {}

  build(): DemoEvent[] {
    const { rng, user } = this;
    const s = user.created_at;
    const sizeFactor = user.company_size === "1" ? 0.85 : user.company_size === "2-10" ? 1 : 1.12;
    const activated = rng.chance(0.4 * sizeFactor);
    user.overduePct = activated ? rng.int(5, 25) : rng.int(0, 8);

    // First week: activated users reach the 5-task bar, the rest try a few things or nothing.
    const firstWeekTasks = activated ? 5 + rng.poisson(5) : rng.weighted([[0, 35], [1, 20], [2, 18], [3, 15], [4, 12]]);
    for (let k = 0; k < firstWeekTasks; k++) {
      const at = s + Math.min(rng.exp(1.3 * DAY_MS), 6.8 * DAY_MS) + rng.int(2, 60) * MINUTE_MS;
      this.task(at);
    }
    if (firstWeekTasks > 0 && rng.chance(activated ? 0.8 : 0.3)) this.add("project.created", s + rng.exp(DAY_MS));

    const invited = rng.chance(activated ? 0.4 : 0.08);
    if (invited) {
      const count = rng.int(1, 3);
      for (let k = 0; k < count; k++) this.add("teammate.invited", s + rng.exp(1.5 * DAY_MS) + k * rng.exp(2 * DAY_MS));
    }
    if (rng.chance(activated ? 0.35 : 0.08)) this.add("mobile_app.installed", s + rng.exp(3 * DAY_MS));
    if (rng.chance(activated ? 0.45 : 0.2)) {
      const at = s + DAY_MS + rng.next() * 7 * DAY_MS;
      this.add("page.viewed", at, { path: "/pricing" });
      if (rng.chance(0.5)) this.add("page.viewed", at + 40_000, { path: hash32(user.user_id) % 2 ? "/pricing-a" : "/pricing-b" });
    }
    if (rng.chance(0.07)) this.add("webinar.registered", s + rng.next() * 30 * DAY_MS);

    const buys = rng.chance(activated ? 0.19 : 0.025);
    if (buys) this.purchase(invited);
    else if (rng.chance(0.06)) this.add("checkout.started", s + 2 * DAY_MS + rng.next() * 8 * DAY_MS);

    // Ongoing use: payers stay while their licence runs; trial users drift away.
    const activeUntil = user.purchasedAt !== undefined
      ? (user.licenseEndAt ?? Infinity)
      : s + TRIAL_MS + (activated ? rng.exp(35 * DAY_MS) : rng.exp(3 * DAY_MS));
    this.ongoing(s + TRIAL_MS, activeUntil, activated || buys, invited);
    if (!activated && !buys && rng.chance(0.2)) {
      const back = s + 14 * DAY_MS + rng.exp(25 * DAY_MS);
      this.ongoing(back, back + rng.exp(6 * DAY_MS), false, invited);
    }
    return this.events.filter((e) => e.ts >= s && e.ts <= this.now).sort((a, b) => a.ts - b.ts || a.event_id.localeCompare(b.event_id));
  }

  private add(event: string, ts: number, properties?: Record<string, string | number>): void {
    const e: DemoEvent = { user_id: this.user.user_id, event, ts: Math.floor(ts), event_id: `${this.user.user_id}-${this.idPrefix}${++this.seq}` };
    if (properties) e.properties = properties;
    this.events.push(e);
  }

  private task(at: number): void {
    this.add("task.created", at);
    if (this.rng.chance(0.7)) this.add("task.completed", at + this.rng.exp(1.5 * DAY_MS));
  }

  /** Daily use between two instants: busy weekdays, quiet weekends. */
  private ongoing(from: number, until: number, engaged: boolean, team: boolean): void {
    const { rng } = this;
    const end = Math.min(until, this.now);
    for (let day = from; day < end; day += DAY_MS) {
      const weekday = new Date(day).getUTCDay();
      const pDay = (weekday === 0 || weekday === 6 ? 0.2 : 0.55) * (engaged ? 1 : 0.4);
      if (!rng.chance(pDay)) continue;
      const tasks = 1 + rng.poisson(engaged ? 2.5 : 1);
      for (let k = 0; k < tasks; k++) this.task(day + rng.next() * 10 * HOUR_MS);
      if (rng.chance(0.04)) this.add("project.created", day + rng.next() * 10 * HOUR_MS);
      if (rng.chance(0.08)) this.add("page.viewed", day + rng.next() * 10 * HOUR_MS, { path: rng.weighted(PAGES) });
      if (team && rng.chance(0.3)) {
        this.add("task.assigned", day + rng.next() * 10 * HOUR_MS, { assigned_by: this.someoneBefore(this.index) });
      }
    }
  }

  /** Checkout, purchase, renewals until `now` or churn, maybe add-ons and referrals. */
  private purchase(invited: boolean): void {
    const { rng, user } = this;
    const s = user.created_at;
    const at = rng.chance(0.7) ? s + 2 * DAY_MS + rng.next() * 5 * DAY_MS : s + TRIAL_MS + rng.exp(10 * DAY_MS);
    if (at <= this.now) this.purchaseAt(at, invited);
  }

  /** The events of a purchase that starts with a checkout at `at`; sets the user's timeline. */
  purchaseAt(at: number, invited: boolean): DemoEvent[] {
    const { rng, user } = this;
    const plan: PaidPlan = rng.chance(invited ? 0.35 : 0.08) ? "team" : "pro";
    const term = rng.chance(0.3) ? 365 : 30;
    if (rng.chance(0.25)) this.add("checkout.started", at - rng.int(1, 3) * DAY_MS);
    this.add("page.viewed", at - 10 * MINUTE_MS, { path: "/pricing" });
    this.add("checkout.started", at);
    const paid = at + rng.int(2, 15) * MINUTE_MS;
    this.add("checkout.completed", paid);
    this.add("subscription.purchased", paid + 1000, { plan, amount: PRICES[plan][term], billing: term === 30 ? "monthly" : "yearly" });
    user.purchasedAt = paid + 1000;
    user.paidPlan = plan;
    user.termDays = term;
    this.renewals();
    if (rng.chance(0.15)) this.add("addon.purchased", paid + rng.exp(20 * DAY_MS), { addon: rng.pick(ADDONS) });
    if (rng.chance(0.06)) this.add("referral.sent", paid + rng.exp(15 * DAY_MS));
    return this.events.filter((e) => e.ts <= this.now);
  }

  /** Renews at each term end up to `now`; a churned customer's licence simply runs out. */
  private renewals(): void {
    const { rng, user } = this;
    const termMs = user.termDays! * DAY_MS;
    const churn = user.termDays === 30 ? 0.06 : 0.2;
    for (let end = user.purchasedAt! + termMs; end <= this.now; end += termMs) {
      if (rng.chance(churn)) {
        user.licenseEndAt = end;
        return;
      }
      this.add("subscription.renewed", end, { plan: user.paidPlan!, amount: PRICES[user.paidPlan!][user.termDays!] });
    }
  }
}
