import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";

export const DAY = 86_400_000;
export const NOW = new Date("2026-11-20T12:00:00Z");

// Four users, readable at a glance. ann: trial, 5 tasks, mobile; bob: pro, idle for weeks;
// cat: signed up 1 day ago, nothing yet; dan: started checkout 5h ago and never paid.
const USERS = `
  ('ann', '2026-11-10 09:00:00+00', 'trial', '3',  '2026-11-17 09:00:00+00', 'Europe/Berlin'),
  ('bob', '2026-09-01 09:00:00+00', 'pro',   '0',  NULL,                     'Asia/Tokyo'),
  ('cat', '2026-11-19 12:00:00+00', 'trial', NULL, '2026-11-26 12:00:00+00', NULL),
  ('dan', '2026-11-01 09:00:00+00', 'trial', '12', '2026-11-08 09:00:00+00', 'America/New_York')`;
const EVENTS = `
  ('ann', 'task.created', '2026-11-10 10:00:00+00', '{"source": "mobile"}'),
  ('ann', 'task.created', '2026-11-10 11:00:00+00', '{"source": "web"}'),
  ('ann', 'task.created', '2026-11-11 10:00:00+00', '{"source": "mobile"}'),
  ('ann', 'task.created', '2026-11-12 10:00:00+00', NULL),
  ('ann', 'task.created', '2026-11-19 10:00:00+00', NULL),
  ('ann', 'task.created', '2026-11-21 10:00:00+00', NULL),
  ('ann', 'page.viewed',  '2026-11-18 10:00:00+00', '{"path": "/pricing-a", "seconds": 40}'),
  ('bob', 'task.created', '2026-09-02 10:00:00+00', NULL),
  ('bob', 'email.opened', '2026-11-19 10:00:00+00', NULL),
  ('dan', 'checkout.started', '2026-11-20 07:00:00+00', NULL),
  ('dan', 'checkout.started', '2026-11-02 07:00:00+00', NULL),
  ('dan', 'checkout.completed', '2026-11-02 08:00:00+00', NULL)`;

/** An in-memory DuckDB holding the fixture above, in the snapshot loader's table shapes. */
export async function openFixture(): Promise<DuckDBConnection> {
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  await conn.run("SET TimeZone = 'UTC'");
  await conn.run(`CREATE TABLE users AS SELECT user_id, created_at::TIMESTAMPTZ AS created_at, plan, overdue_tasks, trial_ends_at, timezone
    FROM (VALUES ${USERS}) v(user_id, created_at, plan, overdue_tasks, trial_ends_at, timezone)`);
  await conn.run(`CREATE TABLE events AS SELECT user_id, event, ts::TIMESTAMPTZ AS ts, properties::JSON AS properties
    FROM (VALUES ${EVENTS}) v(user_id, event, ts, properties)`);
  await conn.run(`CREATE TABLE user_tags AS SELECT * FROM (VALUES ('ann', 'visited-pricing', TIMESTAMPTZ '2026-11-18 10:00:00+00'),
    ('bob', 'future-tag', TIMESTAMPTZ '2026-12-01 00:00:00+00')) v(user_id, tag, assigned_at)`);
  await conn.run(`CREATE TABLE user_scores AS SELECT * FROM (VALUES ('ann', 55.0, 'hot'), ('bob', 20.0, 'warm'), ('cat', 0.0, 'cold'), ('dan', 12.0, 'cold')) v(user_id, score, band)`);
  await conn.run(`CREATE TABLE user_levels AS SELECT * FROM (VALUES ('ann', 'engaged'), ('bob', 'at_risk'), ('cat', 'not_engaged'), ('dan', 'neutral')) v(user_id, level)`);
  return conn;
}

