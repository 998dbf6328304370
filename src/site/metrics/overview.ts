import { DAY_MS } from "../../engine/duration.ts";
import { activationInPeriod, type Cohort, type CohortOptions } from "./activation.ts";
import { totalFunnel } from "./campaigns.ts";
import type { Funnel } from "./funnel.ts";
import { npsInPeriod, type NpsFigure } from "./nps.ts";

export interface PeriodFigures {
  from: string;
  to: string;
  /** Same-cohort activation of the users who registered in the period (its denominator is "registered"). */
  activation: Cohort;
  /** Emails sent in the period, with everything that happened to them since. */
  funnel: Funnel;
  nps: NpsFigure;
}

export interface Headline {
  days: number;
  current: PeriodFigures;
  previous: PeriodFigures;
}

/** The overview's headline figures for the last `days` before `asOf` and the period before that. */
export async function headline(opts: CohortOptions, days: number): Promise<Headline> {
  const end = opts.asOf.getTime();
  const period = async (from: number, to: number): Promise<PeriodFigures> => ({
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    activation: await activationInPeriod(opts, new Date(from), new Date(to)),
    funnel: await totalFunnel(opts.conn, opts.k, new Date(from), new Date(to)),
    nps: await npsInPeriod(opts.conn, opts.k, new Date(from), new Date(to)),
  });
  // Half-open periods [from, to): the instant asOf itself belongs to the current period.
  const to = end + 1;
  return { days, current: await period(to - days * DAY_MS, to), previous: await period(to - 2 * days * DAY_MS, to - days * DAY_MS) };
}
