/**
 * What recipients did with their email, as of `now`, for scoring and engagement levels.
 *
 *   email_activity(user_id, msg, event, ts)
 *       email.sent / delivered / opened / clicked events up to now, machine opens left
 *       out: an open within `machine_open_window` of the delivery (privacy proxies fetch
 *       every image on delivery, however long after the send that is), or of the send when
 *       no delivery is known, is not a person reading. `msg` is a 64-bit hash of the message key
 *       (properties.key), or of the event's name and instant for an event that carries
 *       no key (the user's events are already told apart by user_id; the loader does not
 *       keep `event_id` once it has deduplicated by it). A fixed-size key groups and joins
 *       faster than the 32-character text, and two messages of one user sharing a hash
 *       (odds about 1 in 10^18) is not worth a string per row.
 *   email_messages(user_id, msg, sent_at, delivered_at, engaged_at, clicked_at)
 *       one row per message: first send / delivery, first human open or click (a click is
 *       an open of that message, whatever the tracking pixel said), first click.
 *
 * The send instant is the earliest of the email.sent / email.delivered events and the
 * ledger's `sent` record, so machine opens are recognised even without email.sent events.
 * An open before the first delivery was fetched by no person either (the delivery's event
 * can be stamped late), so it is a machine open too.
 */
import { sqlInstant, sqlInterval } from "./literals.ts";

const EMAIL_EVENTS = "('email.sent', 'email.delivered', 'email.opened', 'email.clicked')";

/** SQL: the `msg` of an email event row (alias `e`, or unqualified when empty): see email_activity above. */
export const messageHashSql = (alias = ""): string => {
  const c = (name: string): string => (alias ? `${alias}.${name}` : name);
  return `hash(coalesce(json_extract_string(${c("properties")}, '$.key'), ${c("event")} || '@' || CAST(epoch_ms(${c("ts")}) AS VARCHAR)))`;
};

/**
 * The statements that build `email_activity` as a table: every email event up to `now`,
 * then the machine opens deleted from it. The events are read once, because each reading
 * goes back to the files and parses every row's properties for its key. At 1M users this
 * took 8.0 s against 11.2 s for one statement that read the events three times and grouped
 * the whole ledger (README, Benchmarks).
 */
export function emailActivityStatements(now: Date, machineOpenMs: number): string[] {
  const at = sqlInstant(now);
  return [
    `CREATE OR REPLACE TEMP TABLE email_activity AS
      SELECT user_id, ${messageHashSql()} AS msg, event, ts FROM events WHERE ts <= ${at} AND event IN ${EMAIL_EVENTS}`,
    // Per opened message, the end of its machine-open window: from the first delivery, else
    // the earliest send known (email.sent or the ledger's sent record). The ledger is read
    // only for the opened messages with no delivery, the few whose window it may move.
    `DELETE FROM email_activity a USING (
      WITH s AS (SELECT user_id, msg, min(ts) FILTER (WHERE event IN ('email.sent', 'email.delivered')) AS sent_at,
          min(ts) FILTER (WHERE event = 'email.delivered') AS delivered_at
        FROM email_activity GROUP BY user_id, msg HAVING bool_or(event = 'email.opened')),
      l AS (SELECT hash(key) AS msg, min("at") AS sent_at FROM ledger
        WHERE kind = 'sent' AND "at" <= ${at} AND hash(key) IN (SELECT msg FROM s WHERE delivered_at IS NULL) GROUP BY key)
      SELECT s.user_id, s.msg, coalesce(s.delivered_at, least(s.sent_at, l.sent_at)) + ${sqlInterval(machineOpenMs)} AS machine_until
      FROM s LEFT JOIN l ON l.msg = s.msg AND s.delivered_at IS NULL) m
    WHERE a.event = 'email.opened' AND a.user_id = m.user_id AND a.msg = m.msg AND a.ts <= m.machine_until`,
  ];
}

/** `SELECT user_id, msg, sent_at, delivered_at, engaged_at, clicked_at`, one row per message, from email_activity. */
export function emailMessagesSql(): string {
  return `SELECT user_id, msg,
      min(ts) FILTER (WHERE event IN ('email.sent', 'email.delivered')) AS sent_at,
      min(ts) FILTER (WHERE event = 'email.delivered') AS delivered_at,
      min(ts) FILTER (WHERE event IN ('email.opened', 'email.clicked')) AS engaged_at,
      min(ts) FILTER (WHERE event = 'email.clicked') AS clicked_at
    FROM email_activity GROUP BY user_id, msg`;
}
