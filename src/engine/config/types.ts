/**
 * The strict, normalised configuration every part of the engine reads.
 *
 * Raw files under `config/` (JSON validated by the schemas in `config/schemas/`, and
 * Markdown templates with front matter) are loaded once and turned into this shape with
 * defaults filled in and durations parsed to milliseconds. Nothing downstream reads the
 * raw files. The raw format is documented in README.md ("The config format"); raw field
 * names are snake_case, these are camelCase.
 */

/** The five kinds of message; every kind but `service` is marketing mail. */
export type MessageType = "regular" | "promo" | "trigger" | "service" | "survey";
export const MESSAGE_TYPES: readonly MessageType[] = ["regular", "promo", "trigger", "service", "survey"];
export const isMarketing = (t: MessageType): boolean => t !== "service";

export type Stage = "onboarding" | "conversion" | "customer" | "reactivation";
export const STAGES: readonly Stage[] = ["onboarding", "conversion", "customer", "reactivation"];

/** Ordered from least to most engaged. */
export type EngagementLevel = "not_engaged" | "at_risk" | "neutral" | "engaged" | "highly_engaged";
export const ENGAGEMENT_LEVELS: readonly EngagementLevel[] = [
  "not_engaged",
  "at_risk",
  "neutral",
  "engaged",
  "highly_engaged",
];

export type ScoreBand = "hot" | "warm" | "cold";

export type Severity = "error" | "warning" | "off";

/** Where a value came from, so errors can name file, line and JSON pointer. */
export interface Origin {
  /** Path relative to the config directory, e.g. `sequences/welcome.json`. */
  file: string;
  /** JSON pointer inside the file, e.g. `/steps/2/template`. */
  pointer: string;
}

// ---------------------------------------------------------------------------
// Conditions: one small language shared by segments, audiences, exits, tags.
// ---------------------------------------------------------------------------

/** Property match on an event's `properties` JSON: scalar = equality. */
export type PropertyMatch = Record<
  string,
  string | number | boolean | { contains?: string; in?: (string | number)[]; gte?: number; lte?: number }
>;

/** Where a window is measured from. */
export type Anchor =
  | { kind: "signup" }
  | { kind: "event"; event: string; where?: PropertyMatch }
  | { kind: "attribute"; attribute: string };

export type AttributeOp =
  | "eq"
  | "neq"
  | "gt"
  | "gte"
  | "lt"
  | "lte"
  | "in"
  | "not_in"
  | "exists"
  | "not_exists"
  | "contains"
  /** The attribute is a time in [now, now + value]. */
  | "within_next"
  /** The attribute is a time in [now - value, now]. */
  | "within_last"
  /** The attribute is a time before now - value. */
  | "more_than_ago";

export type Condition =
  | { kind: "all"; of: Condition[] }
  | { kind: "any"; of: Condition[] }
  | { kind: "not"; of: Condition }
  /** The user performed `event` at least `min` (default 1) and at most `max` times in the last `withinMs` (or ever). */
  | { kind: "event"; event: string; min: number; max?: number; withinMs?: number; where?: PropertyMatch }
  /** The user did NOT perform `event` within `withinMs` after the anchor, and that window has fully elapsed. */
  | { kind: "no_event"; event: string; withinMs: number; after: Anchor; where?: PropertyMatch }
  /** Attribute comparison; date ops take a duration in `durationMs`. */
  | { kind: "attribute"; attribute: string; op: AttributeOp; value?: string | number | boolean | (string | number)[]; durationMs?: number }
  /** No product event (email events excluded) for at least `forMs`. */
  | { kind: "inactive"; forMs: number }
  | { kind: "tag"; tag: string }
  | { kind: "score"; band?: ScoreBand; gte?: number; lt?: number }
  | { kind: "engagement"; levels: EngagementLevel[] }
  | { kind: "segment"; segment: string };

// ---------------------------------------------------------------------------
// Entries: what starts an occurrence of a sequence or trigger (or assigns a tag).
// Every entry yields, per user, zero or more occurrences, each with an instant.
// ---------------------------------------------------------------------------

export type Entry =
  /** Occurrence = the user's `created_at`. */
  | { on: "signup" }
  /** Occurrence = each matching event (its ts). */
  | { on: "event"; event: string; where?: PropertyMatch }
  /** Occurrence = anchor + within, if `event` did not happen in that window. */
  | { on: "no_event"; event: string; withinMs: number; after: Anchor; where?: PropertyMatch }
  /** Occurrence = the attribute's time + offset (offset may be negative: 7 days before). */
  | { on: "attribute_date"; attribute: string; offsetMs: number }
  /** Occurrence = last product activity + forMs, when nothing happened since. */
  | { on: "inactive"; forMs: number }
  /** Occurrence = the moment the tag was assigned. */
  | { on: "tag_assigned"; tag: string }
  /** Occurrence = the award at which the running score, decayed as the score is, first reached the threshold. */
  | { on: "score_reached"; threshold: number }
  /** Occurrence = the local calendar day the level became `to`, looked for among the last `lookbackMs` of whole days (see `entrySql`). */
  | { on: "engagement_changed"; to: EngagementLevel; lookbackMs: number }
  /** Occurrence = the evaluation's local calendar day, while the condition holds (use re-entry cooldown to space them). */
  | { on: "condition"; condition: Condition };

export type Reentry =
  | { policy: "never" }
  | { policy: "always" }
  /** A new occurrence may start only `cooldownMs` after the previous occurrence's instant. */
  | { policy: "cooldown"; cooldownMs: number };

/** Branch on the email events of the step this step follows. */
export type BranchOn =
  | "opened"
  | "clicked"
  | "not_opened"
  | "not_clicked"
  | "opened_not_clicked"
  | "clicked_not_converted"
  | "converted";

export interface Variant {
  id: string;
  template: string;
  /** Relative weight for the stable-hash split, default 1. */
  weight: number;
}

export interface Step {
  id: string;
  /** Template id (file name under templates/ without `.md`). Absent when `variants` is given. */
  template?: string;
  variants?: Variant[];
  /** Step id this one follows; undefined = the entry itself. Defaults to the previous step in the list. */
  after?: string;
  /** Wait after the entry occurrence (first step) or after the `after` step was sent. */
  waitMs: number;
  /** Only send when the `after` step's email shows this behaviour by the due moment. */
  when?: BranchOn;
  /** Message type: from the step if given, else the template's front matter. */
  type?: MessageType;
  origin: Origin;
}

export interface Goal {
  event: string;
  where?: PropertyMatch;
  /** Emails sent this long before the goal event count it as their conversion. */
  attributionMs: number;
}

export interface Campaign {
  id: string;
  kind: "sequence" | "trigger";
  name: string;
  description?: string;
  stage?: Stage;
  entry: Entry;
  /** Who may enter; evaluated at entry due time. */
  audience?: Condition;
  steps: Step[];
  goal?: Goal;
  /** Ends the occurrence for the user when true. */
  exit?: Condition;
  reentry: Reentry;
  /** Higher goes first when frequency caps must choose. */
  priority: number;
  /** Step moment later than this is skipped and recorded (defaults to settings.latenessMs). */
  latenessMs: number;
  origin: Origin;
}

export interface Segment {
  id: string;
  name: string;
  description?: string;
  condition: Condition;
  origin: Origin;
}

export interface TagRule {
  id: string;
  name: string;
  description?: string;
  /** When the tag is assigned: one occurrence per user (the first). */
  entry: Entry;
  /** Optional extra condition on the user at evaluation time. */
  condition?: Condition;
  origin: Origin;
}

export interface ScoreRule {
  /** An event name, or the signal `email_unopened` (an email delivered and not opened within 3 days). */
  event?: string;
  signal?: "email_unopened";
  where?: PropertyMatch;
  points: number;
  /** Points are given once for every `per` occurrences (default 1). */
  per: number;
  /** Cap on the absolute total points from this rule. */
  maxPoints?: number;
  /** Only occurrences in the last `withinMs` count. */
  withinMs?: number;
  origin: Origin;
}

export interface Scoring {
  rules: ScoreRule[];
  /** Each occurrence's points halve every `halfLifeMs`; absent = no decay. */
  decayHalfLifeMs?: number;
  /** Minimum scores: hot >= hot, warm >= warm, else cold. */
  bands: { hot: number; warm: number };
}

/** Email-behaviour metrics over the engagement window. */
export type EngagementMetric = "sent" | "opened" | "clicked" | "days_since_open" | "days_since_click";

export interface EngagementRule {
  level: EngagementLevel;
  /** All must hold; an empty object always matches (the fallback). */
  when: Partial<Record<EngagementMetric, { gte?: number; lte?: number }>>;
}

export interface Engagement {
  windowMs: number;
  /** Checked in order; first match wins; the last must match everyone. */
  rules: EngagementRule[];
}

export interface Cap {
  types: MessageType[];
  max: number;
  perMs: number;
}

export interface LintSettings {
  subjectLength: Severity;
  maxSubjectLength: number;
  personalisedSpacing: Severity;
  stageBalance: Severity;
  formatChanges: Severity;
  minDaysBetweenFormatChanges: number;
}

export interface Settings {
  sender: { from: string; replyTo?: string; postalAddress: string };
  /** Base URL of the published site: NPS landing pages live under it. */
  siteUrl: string;
  /** One-click unsubscribe endpoint; the signed token is appended as `?token=`. */
  unsubscribeUrl: string;
  timezone: string;
  /** Local send window, minutes after local midnight. */
  sendWindow: { startMinute: number; endMinute: number };
  latenessMs: number;
  activation: { event: string; count: number; windowMs: number };
  caps: Cap[];
  attributionMs: number;
  /** An open this soon after delivery is counted as a machine (privacy-proxy) open. */
  machineOpenMs: number;
  privacyK: number;
  /** Which suppression reasons stop marketing and service mail. */
  suppression: { marketing: SuppressionReason[]; service: SuppressionReason[] };
  lint: LintSettings;
  /** Events that happen to a user rather than being done by them: `inactive` does not count them as activity. */
  passiveEvents: string[];
  /** The product events the config may reference, with a description each. */
  events: Record<string, string>;
}

export type SuppressionReason = "unsubscribed" | "complained" | "bounced";

export interface Template {
  id: string;
  subject: string;
  preheader?: string;
  type: MessageType;
  /** Free label for the format lint (e.g. `newsletter`, `contest`). */
  format?: string;
  /** Variables with their defaults, usable in body and subject. */
  variables: Record<string, string>;
  /** Markdown body (Liquid placeholders not yet rendered). */
  body: string;
  origin: Origin;
}

export interface Config {
  /** Absolute path of the config directory. */
  dir: string;
  settings: Settings;
  segments: Map<string, Segment>;
  campaigns: Map<string, Campaign>;
  tags: Map<string, TagRule>;
  scoring: Scoring;
  engagement: Engagement;
  templates: Map<string, Template>;
}
