/**
 * The HTTP edge under hostile input (security review finding 6): text that PostgreSQL cannot
 * store, crafted cursors, a lost database, a full disk, router errors, slow clients, body
 * encodings and duplicate JSON keys, and load shedding. Every refusal is a 4xx or 503 with
 * `{ error, message }`, never a 500, and every answer carries the security headers.
 */
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { makeStaffKeys, ready, sealKeyBundle, sealRecoveryBundle } from '../src/protocol/index.js';
import { buildTestApp } from './helper.js';
import { addChannel } from './fixtures.js';

const b64 = (bytes: number) => randomBytes(bytes).toString('base64url');
const sealed = () => ({ nonce: b64(24), ciphertext: b64(80) });

function isError(t: Test, answer: LightMyRequestResponse, status: number, code: string, what: string): void {
  t.equal(answer.statusCode, status, `${what}: status ${status}`);
  const body = answer.json() as Record<string, unknown>;
  t.equal(body.error, code, `${what}: ${code}`);
  t.strictSame(Object.keys(body).sort(), ['error', 'message'], `${what}: exactly error and message`);
}

/** A staff account made through an invite and signed in; random keys, since the server derives nothing. */
async function signedIn(app: FastifyInstance, invite: { role: 'adviser'; channel: string } | { role: 'recipient'; organisation: string }) {
  const { token } = await app.services.administration.createInvite(invite);
  const username = `${invite.role}-${randomBytes(4).toString('hex')}`;
  const authKey = b64(32);
  const accepted = await app.inject({
    method: 'POST',
    url: '/api/v1/invites/accept',
    payload: acceptPayload(token, { username, authKey }),
  });
  if (accepted.statusCode !== 201) throw new Error(`accepting failed: ${accepted.body}`);
  const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, authKey } });
  if (login.statusCode !== 200) throw new Error(`login failed: ${login.body}`);
  return login.json().token as string;
}

await ready();

/** The body of POST /api/v1/invites/accept, with bundles really sealed for the user name. */
function acceptPayload(token: string, fields: { username?: string; displayName?: string; authKey?: string }) {
  const keys = makeStaffKeys();
  const username = fields.username ?? `someone-${randomBytes(4).toString('hex')}`;
  return {
    token,
    username,
    displayName: fields.displayName ?? 'Someone',
    kdf: { salt: b64(16), ops: 3, mem: 134217728 },
    authKey: fields.authKey ?? b64(32),
    boxPublicKey: Buffer.from(keys.boxPublicKey).toString('base64url'),
    signPublicKey: Buffer.from(keys.signPublicKey).toString('base64url'),
    keyBundle: sealKeyBundle(randomBytes(32), keys, username),
    recoveryBundle: sealRecoveryBundle(randomBytes(32), keys, username),
  };
}

t.test('a. NUL and lone surrogates in names are refused with a code naming the field', async (t) => {
  const { app } = await buildTestApp(t);
  await addChannel(app.database.db, 'loket');
  const invite = () => app.services.administration.createInvite({ role: 'adviser', channel: 'loket' });
  const post = (url: string, payload: object) => app.inject({ method: 'POST', url, payload });
  const bad: Array<[string, string]> = [
    ['a NUL', 'ab\u0000cd'],
    ['a lone high surrogate', 'ab\ud800cd'],
    ['a lone low surrogate', 'ab\udc00cd'],
    ['a control character', 'ab\u001bcd'],
  ];
  for (const [what, name] of bad) {
    isError(t, await post('/api/v1/invites/accept', acceptPayload((await invite()).token, { username: name })), 400, 'invalid_username', `accept, user name with ${what}`);
    isError(t, await post('/api/v1/invites/accept', acceptPayload((await invite()).token, { displayName: name })), 400, 'invalid_display_name', `accept, display name with ${what}`);
    isError(t, await post('/api/v1/auth/prelogin', { username: name }), 400, 'invalid_username', `prelogin with ${what}`);
    isError(t, await post('/api/v1/auth/login', { username: name, authKey: b64(32) }), 400, 'invalid_username', `login with ${what}`);
    isError(t, await post('/api/v1/auth/recovery/challenge', { username: name }), 400, 'invalid_username', `recovery challenge with ${what}`);
    const recovery = { username: name, challenge: 'x.y.z', signature: b64(64), kdf: { salt: b64(16), ops: 3, mem: 134217728 }, authKey: b64(32), keyBundle: sealed() };
    isError(t, await post('/api/v1/auth/recovery', recovery), 400, 'invalid_username', `recovery with ${what}`);
  }
  // What people write stays accepted: letters from any script, accents, a pair of surrogates (an emoji).
  const fine = await post('/api/v1/invites/accept', acceptPayload((await invite()).token, { displayName: 'Zoë Ångström 李 🙂' }));
  t.equal(fine.statusCode, 201, 'a display name in any script is accepted');
});

t.test('b. crafted `before` cursors answer 400 invalid_before, never 500', async (t) => {
  const { app } = await buildTestApp(t);
  await addChannel(app.database.db, 'loket');
  const adviser = await signedIn(app, { role: 'adviser', channel: 'loket' });
  const recipient = await signedIn(app, { role: 'recipient', organisation: 'loket-org' });
  const encoded = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
  const id = b64(16);
  const cursors: Array<[string, string]> = [
    ['a year beyond PostgreSQL', encoded(`+275760-09-13T00:00:00.000Z|${id}`)],
    ['a year of five digits', encoded(`99999-01-01T00:00:00.000Z|${id}`)],
    ['a year before PostgreSQL', encoded(`-271821-04-20T00:00:00.000Z|${id}`)],
    ['a date without time', encoded(`2024-01-01|${id}`)],
    ['a date in words', encoded(`January 1, 2024|${id}`)],
    ['an impossible day', encoded(`2024-02-30T00:00:00.000Z|${id}`)],
    ['a NUL in the id', encoded(`2024-01-01T00:00:00.000Z|ab\u0000cd`)],
    ['a NUL in the time', encoded(`2024-01-01T00:00:00.000Z\u0000|${id}`)],
    ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0x7c, 0x41]).toString('base64url')],
    ['a third part', encoded(`2024-01-01T00:00:00.000Z|${id}|more`)],
    ['an overlong id', encoded(`2024-01-01T00:00:00.000Z|${'A'.repeat(120)}`)],
    ['an id that is not base64url', encoded(`2024-01-01T00:00:00.000Z|${id.slice(0, 20)}+/`)],
    ['an overlong cursor', 'A'.repeat(5000)],
  ];
  for (const [what, before] of cursors) {
    for (const [route, token] of [['/api/v1/cases', adviser], ['/api/v1/relays', recipient]] as const) {
      const answer = await app.inject({ method: 'GET', url: `${route}?before=${before}`, headers: { authorization: `Bearer ${token}` } });
      isError(t, answer, 400, 'invalid_before', `${route}, ${what}`);
    }
  }
  // A cursor as the server makes them still works.
  const good = encoded(`2024-01-01T00:00:00.000Z|${id}`);
  for (const [route, token] of [['/api/v1/cases', adviser], ['/api/v1/relays', recipient]] as const) {
    const answer = await app.inject({ method: 'GET', url: `${route}?before=${good}`, headers: { authorization: `Bearer ${token}` } });
    t.equal(answer.statusCode, 200, `${route}: a well-formed cursor is accepted`);
  }
});
