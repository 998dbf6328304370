/**
 * One-click unsubscribe tokens (RFC 8058): the List-Unsubscribe POST carries no cookies,
 * so the URL itself must prove which user it unsubscribes and that we issued it. The token
 * is the user id and an HMAC-SHA256 of it under a secret only the sender and the
 * unsubscribe endpoint know: `v1.<base64url user id>.<base64url mac>`.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { NurtureError } from "../errors.ts";

/** The environment variable holding the signing secret. */
export const UNSUBSCRIBE_SECRET_ENV = "NURTURE_UNSUBSCRIBE_SECRET";

/** Used by the outbox and dry runs when no secret is set: tokens signed with it are worthless. */
export const DEV_UNSUBSCRIBE_SECRET = "nurture-dev-unsubscribe-secret-not-for-real-mail";

const MIN_SECRET_LENGTH = 16;

const mac = (userId: string, secret: string): Buffer =>
  createHmac("sha256", secret).update(`nurture-unsubscribe\0v1\0${userId}`).digest();

/**
 * Signs an unsubscribe token for a user.
 *
 * @example signUnsubscribeToken("u_42", process.env.NURTURE_UNSUBSCRIBE_SECRET!) // "v1.dV80Mg.…"
 */
export function signUnsubscribeToken(userId: string, secret: string): string {
  return `v1.${Buffer.from(userId, "utf8").toString("base64url")}.${mac(userId, secret).toString("base64url")}`;
}

/**
 * The user id a token was signed for, or undefined when the token is malformed, signed
 * with another secret, or altered (compared in constant time).
 *
 * @example verifyUnsubscribeToken(token, secret) // "u_42"
 */
export function verifyUnsubscribeToken(token: string, secret: string): string | undefined {
  const m = /^v1\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return undefined;
  const userId = Buffer.from(m[1]!, "base64url").toString("utf8");
  // Reject non-canonical encodings so one user has exactly one valid token per secret.
  if (Buffer.from(userId, "utf8").toString("base64url") !== m[1]) return undefined;
  const given = Buffer.from(m[2]!, "base64url");
  const expected = mac(userId, secret);
  return given.length === expected.length && timingSafeEqual(given, expected) ? userId : undefined;
}

/**
 * The full one-click unsubscribe URL for a user: the settings' `unsubscribe_url` with the
 * signed token as `token` (added to any query the URL already has).
 *
 * @example unsubscribeUrl("https://taskly.example/api/unsubscribe", "u_42", secret)
 */
export function unsubscribeUrl(base: string, userId: string, secret: string): string {
  const url = new URL(base);
  url.searchParams.set("token", signUnsubscribeToken(userId, secret));
  return url.toString();
}

/**
 * The signing secret from the environment. A real send (`required`) refuses to run
 * without one, because a guessable secret lets anyone unsubscribe anyone; the outbox and
 * dry runs fall back to an obviously-development secret and say so (`dev: true`).
 */
export function unsubscribeSecret(env: NodeJS.ProcessEnv, options: { required: boolean }): { secret: string; dev: boolean } {
  const secret = env[UNSUBSCRIBE_SECRET_ENV];
  if (secret !== undefined && secret.length >= MIN_SECRET_LENGTH) return { secret, dev: false };
  const hint = `set ${UNSUBSCRIBE_SECRET_ENV} to a random string of at least ${MIN_SECRET_LENGTH} characters (e.g. \`openssl rand -hex 32\`), the same one your unsubscribe endpoint verifies tokens with`;
  if (secret !== undefined && secret !== "") {
    throw new NurtureError("unsubscribe-secret", `${UNSUBSCRIBE_SECRET_ENV} is too short (${secret.length} characters)`, {
      problems: [{ code: "unsubscribe-secret", severity: "error", message: `${UNSUBSCRIBE_SECRET_ENV} must have at least ${MIN_SECRET_LENGTH} characters`, hint }],
    });
  }
  if (options.required) {
    throw new NurtureError("unsubscribe-secret", `${UNSUBSCRIBE_SECRET_ENV} is not set: real email needs signed unsubscribe links`, {
      problems: [{ code: "unsubscribe-secret", severity: "error", message: `${UNSUBSCRIBE_SECRET_ENV} is missing`, hint }],
    });
  }
  return { secret: DEV_UNSUBSCRIBE_SECRET, dev: true };
}
