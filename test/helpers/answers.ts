/**
 * Checks every route test makes of an error answer, and the bad inputs they build: one copy
 * for all route tests.
 */
import type { LightMyRequestResponse } from 'fastify';
import type { Test } from 'tap';

/** A marker the route tests put into requests: no answer may echo it. */
export const ECHO = 'zqxecho7731';

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Asserts an error answer: its status and code, a body of exactly { error, message } with a
 * string message, and no echo of ECHO or of any `distinctive` string of 8 or more characters
 * (shorter ones could occur in any sentence).
 */
export function isError(t: Test, answer: LightMyRequestResponse, status: number, code: string, what: string, distinctive: unknown[] = []): void {
  t.equal(answer.statusCode, status, `${what}: status ${status}`);
  let body: Record<string, unknown> = {};
  try {
    body = answer.json() as Record<string, unknown>;
  } catch {
    t.fail(`${what}: the answer is JSON`);
  }
  t.equal(body.error, code, `${what}: error code ${code}`);
  t.strictSame(Object.keys(body).sort(), ['error', 'message'], `${what}: the body is exactly { error, message }`);
  t.type(body.message, 'string', `${what}: the message is a string`);
  const text = answer.body.toLowerCase();
  for (const value of [ECHO, ...distinctive]) {
    if (typeof value !== 'string' || value.length < 8) continue;
    t.notOk(text.includes(value.toLowerCase()), `${what}: the answer does not echo "${value.slice(0, 24)}"`);
  }
}

/**
 * The same bytes' base64url with the unused low bits of the last character set: decoders
 * that are not strict accept it, the protocol does not.
 */
export function nonCanonical(text: string): string {
  if (text.length % 4 === 0) throw new Error('a string without unused bits cannot be made non-canonical');
  const last = BASE64URL.indexOf(text.charAt(text.length - 1));
  return text.slice(0, -1) + BASE64URL.charAt(last + 1);
}
