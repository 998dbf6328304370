/**
 * How simulated recipients react to an email: delivery or bounce, machine opens from
 * privacy proxies (Apple MPP) within a minute of delivery, human opens and clicks at
 * rates that differ by message type (trigger mail opens ~80%, marketing ~30%), rare
 * complaints and unsubscribes, NPS answers from survey clicks, and goal conversions that
 * clicks make more likely. Deterministic per (seed, message key).
 */
import type { Goal, MessageType } from "../engine/config/types.ts";
import type { PlannedSend } from "../engine/evaluate/types.ts";
import { HOUR_MS } from "../engine/duration.ts";
import { Rng } from "./_random.ts";
import type { DemoEvent } from "./taskly.ts";

interface TypeRates {
  /** Chance a person (not a proxy) opens the email. */
  open: number;
  /** Chance of a click once opened by a person. */
  click: number;
  unsubscribe: number;
}

/** Rates per message type, before the recipient's own responsiveness is applied. */
export const RATES: Record<MessageType, TypeRates> = {
  trigger: { open: 0.8, click: 0.3, unsubscribe: 0.001 },
  service: { open: 0.85, click: 0.2, unsubscribe: 0 },
  survey: { open: 0.55, click: 0.2, unsubscribe: 0.002 },
  regular: { open: 0.3, click: 0.12, unsubscribe: 0.003 },
  promo: { open: 0.27, click: 0.16, unsubscribe: 0.005 },
};

const MINUTE_MS = 60_000;
const BAD_ADDRESS_SHARE = 0.02;
const PROXY_OPENER_SHARE = 0.35;
const COMPLAINT_RATE = 0.0005;
/** Weights of NPS scores 0–10: ~20% detractors, ~30% passives, ~50% promoters (NPS ≈ +30). */
const NPS_WEIGHTS = [1, 0.5, 0.5, 1, 1.5, 3, 5.5, 13, 17, 22, 28];
const UNSUBSCRIBE_REASONS = ["too many emails", "not relevant to me", "I never signed up", "other"] as const;

/** Stable traits of a recipient: a bad address, a privacy proxy, how responsive they are. */
export function recipientTraits(seed: number, userId: string): { badAddress: boolean; proxyOpener: boolean; responsiveness: number } {
  const rng = new Rng(seed, `traits\0${userId}`);
  return { badAddress: rng.chance(BAD_ADDRESS_SHARE), proxyOpener: rng.chance(PROXY_OPENER_SHARE), responsiveness: 0.55 + rng.next() * 0.9 };
}

/** What a click on a campaign with a goal leads to, decided by the replay. */
export interface Conversion {
  userId: string;
  /** When the goal action happens. */
  at: number;
  goal: Goal;
  key: string;
}

export interface Reaction {
  events: DemoEvent[];
  conversion?: Conversion;
}

export interface ReactionContext {
  seed: number;
  siteUrl: string;
  goal?: Goal;
}

/** Chance that a click leads to the campaign's goal, by goal event. */
const CONVERSION_CHANCE: Record<string, number> = {
  "subscription.purchased": 0.12,
  "checkout.completed": 0.3,
  "task.created": 0.45,
  "webinar.registered": 0.35,
  "referral.sent": 0.15,
};

/**
 * The email events one delivered message produces (from `email.sent` on), all after
 * `sentAt`, each carrying key, campaign, step, type and variant so they join back to the
 * ledger. A click may also return a conversion for the caller to realise.
 */
export function react(send: PlannedSend, sentAt: number, ctx: ReactionContext): Reaction {
  const rng = new Rng(ctx.seed, `react\0${send.key}`);
  const traits = recipientTraits(ctx.seed, send.userId);
  const base: Record<string, string> = { key: send.key, campaign: send.campaign, step: send.step, type: send.type };
  if (send.variant) base.variant = send.variant;
  const events: DemoEvent[] = [];
  const emit = (event: string, ts: number, extra: Record<string, string | number> = {}): void => {
    events.push({ user_id: send.userId, event, ts: Math.floor(ts), properties: { ...base, ...extra }, event_id: `${send.key}-${event}` });
  };

  emit("email.sent", sentAt);
  const delivered = sentAt + rng.int(2, 20) * 1000;
  if (traits.badAddress) {
    emit("email.bounced", delivered, { bounce_type: "hard" });
    return { events };
  }
  emit("email.delivered", delivered);
  const rates = RATES[send.type];
  if (traits.proxyOpener) emit("email.opened", delivered + rng.int(3, 55) * 1000, { machine: 1 });

  const humanOpens = rng.chance(Math.min(0.97, rates.open * traits.responsiveness));
  if (!humanOpens) {
    if (send.type !== "service" && rng.chance(COMPLAINT_RATE)) emit("email.complained", delivered + rng.exp(6 * HOUR_MS));
    return { events };
  }
  const openedAt = delivered + Math.min(rng.logNormal(2 * HOUR_MS, 1.2), 72 * HOUR_MS);
  // A proxy open already counts as the `email.opened` for that key; a later human open
  // is a second event with its own id.
  events.push({ user_id: send.userId, event: "email.opened", ts: Math.floor(openedAt), properties: { ...base }, event_id: `${send.key}-email.opened-human` });
  if (rates.unsubscribe > 0 && rng.chance(rates.unsubscribe * 3)) {
    emit("unsubscribed", openedAt + rng.int(10, 120) * 1000, { reason: rng.pick(UNSUBSCRIBE_REASONS) });
    return { events };
  }
  if (!rng.chance(Math.min(0.9, rates.click * traits.responsiveness))) return { events };

  const clickedAt = openedAt + Math.min(rng.logNormal(2 * MINUTE_MS, 1), HOUR_MS);
  if (send.type === "survey") {
    const score = rng.weighted(NPS_WEIGHTS.map((w, s) => [s, w] as const));
    emit("email.clicked", clickedAt, { link: `${ctx.siteUrl.replace(/\/$/, "")}/nps/${score}/` });
    emit("nps.answered", clickedAt + 500, { score });
    return { events };
  }
  emit("email.clicked", clickedAt, { link: `https://taskly.example/go/${send.template}?utm_campaign=${send.campaign}&utm_content=${send.step}` });
  const goal = ctx.goal;
  if (goal && goal.event !== "nps.answered" && rng.chance(CONVERSION_CHANCE[goal.event] ?? 0.1)) {
    return { events, conversion: { userId: send.userId, at: clickedAt + Math.max(30 * MINUTE_MS, rng.logNormal(3 * HOUR_MS, 1)), goal, key: send.key } };
  }
  return { events };
}
