import { num, type Row } from "../db.ts";
import { count, rate, type Figure, type Rate } from "../privacy.ts";

/** The email funnel of a group of messages, every figure protected for privacy. */
export interface Funnel {
  sent: Figure;
  delivered: Figure;
  opened: Figure;
  humanOpened: Figure;
  clicked: Figure;
  converted: Figure;
  unsubscribed: Figure;
  bounced: Figure;
  complained: Figure;
  /** delivered ÷ sent */
  deliveryRate: Rate;
  /** opened (any open, machine included; a click counts as an open) ÷ delivered */
  openRate: Rate;
  /** opened by a person (an open later than the machine-open window, or a click) ÷ delivered */
  adjustedOpenRate: Rate;
  /** clicked ÷ delivered */
  clickRate: Rate;
  /** clicked ÷ opened by a person: raw opens would understate it under Apple MPP */
  clickToOpen: Rate;
  /** converted within the attribution window ÷ delivered, both only for campaigns with a goal */
  conversionRate: Rate;
  /** unsubscribed ÷ delivered */
  unsubscribeRate: Rate;
  /** bounced ÷ sent */
  bounceRate: Rate;
  /** complained ÷ delivered */
  complaintRate: Rate;
}

/** Turns one row of FUNNEL_COLUMNS into a protected funnel. */
export function funnelFrom(r: Row, k: number): Funnel {
  const c = (name: string): Figure => count(num(r[name]), num(r[`${name}_users`]), k);
  const ratio = (n: string, d: string): Rate => rate(num(r[n]), num(r[`${n}_users`]), num(r[d]), num(r[`${d}_users`]), k);
  return {
    sent: c("sent"),
    delivered: c("delivered"),
    opened: c("opened"),
    humanOpened: c("human_opened"),
    clicked: c("clicked"),
    converted: c("converted"),
    unsubscribed: c("unsubscribed"),
    bounced: c("bounced"),
    complained: c("complained"),
    deliveryRate: ratio("delivered", "sent"),
    openRate: ratio("opened", "delivered"),
    adjustedOpenRate: ratio("human_opened", "delivered"),
    clickRate: ratio("clicked", "delivered"),
    clickToOpen: ratio("clicked", "human_opened"),
    conversionRate: ratio("converted", "goal_delivered"),
    unsubscribeRate: ratio("unsubscribed", "delivered"),
    bounceRate: ratio("bounced", "sent"),
    complaintRate: ratio("complained", "delivered"),
  };
}
