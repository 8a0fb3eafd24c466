/**
 * The HTTP edge under hostile input (security review finding 6): text that PostgreSQL cannot
 * store, crafted cursors, a lost database, a full disk, router errors, slow clients, body
 * encodings and duplicate JSON keys, and load shedding. Every refusal is a 4xx or 503 with
 * `{ error, message }`, never a 500, and every answer carries the security headers.
 */
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import type { FastifyInstance } from 'fastify';
import { makeStaffKeys, ready, sealKeyBundle, sealRecoveryBundle } from '../src/protocol/index.js';
import { buildApp } from '../src/server/app.js';
import { openDatabase } from '../src/server/db/connection.js';
import { isDatabaseUnavailable } from '../src/server/plugins/errors.js';
import { LogCapture, buildTestApp, databaseKind, openTestDatabase, testConfig } from './helper.js';
import { addChannel } from './fixtures.js';
import { isError } from './helpers/answers.js';

const b64 = (bytes: number) => randomBytes(bytes).toString('base64url');
const sealed = () => ({ nonce: b64(24), ciphertext: b64(80) });

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

// ─── c. a lost database ────────────────────────────────────────────────────────────────────

/** A TCP relay to PostgreSQL that the test can cut, as a lost network or a stopped server would. */
async function cuttableProxy(url: string): Promise<{ url: string; cut(): Promise<void> }> {
  const target = new URL(url);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const proxied = new URL(url);
  proxied.host = `127.0.0.1:${port}`;
  return {
    url: proxied.toString(),
    cut: async () => {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

t.test('c. a lost database answers 503 database_unavailable, not 500', async (t) => {
  let app: FastifyInstance;
  let loseDatabase: () => Promise<void>;
  if (databaseKind === 'postgres') {
    const direct = await openTestDatabase(t);
    const proxy = await cuttableProxy(direct.url as string);
    const database = await openDatabase({ url: proxy.url });
    t.teardown(() => database.close());
    app = await buildApp(testConfig(), database, { logStream: new LogCapture() });
    t.teardown(() => app.close());
    loseDatabase = proxy.cut;
  } else {
    ({ app } = await buildTestApp(t));
    loseDatabase = () => app.database.close();
  }
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/prelogin', payload: { username: 'somebody' } })).statusCode, 200, 'answers while the database is there');
  await loseDatabase();
  // Idle pool connections notice the cut asynchronously; give them a moment.
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (let attempt = 1; attempt <= 2; attempt++) {
    const answer = await app.inject({ method: 'POST', url: '/api/v1/auth/prelogin', payload: { username: 'somebody' } });
    isError(t, answer, 503, 'database_unavailable', `${databaseKind}, a query after the database is gone (attempt ${attempt})`);
  }
  isError(t, await app.inject('/readyz'), 503, 'database_unavailable', 'readyz');
});

t.test('c. connection failures are found anywhere in the cause chain, within a bound', async (t) => {
  const wrapped = (inner: unknown, depth = 1): Error => {
    let error: unknown = inner;
    for (let i = 0; i < depth; i++) error = new Error(`Failed query: select 1\nparams: `, { cause: error });
    return error as Error;
  };
  const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });
  const unavailable: Array<[string, unknown]> = [
    ['ECONNREFUSED under drizzle', wrapped(coded('ECONNREFUSED'))],
    ['ECONNRESET two levels down', wrapped(coded('ECONNRESET'), 2)],
    ['57P01 admin_shutdown', wrapped(coded('57P01', 'terminating connection due to administrator command'))],
    ['08006 connection_failure', wrapped(coded('08006'))],
    ['08003 connection_does_not_exist', wrapped(coded('08003'))],
    ['PGlite closed', wrapped(new Error('PGlite is closed'))],
    ['node-postgres connection terminated', wrapped(new Error('Connection terminated unexpectedly'))],
    ['node-postgres client whose connection died', wrapped(new Error('Client has encountered a connection error and is not queryable'))],
    ['a pool that was ended', wrapped(new Error('Cannot use a pool after calling end on the pool'))],
  ];
  for (const [what, error] of unavailable) t.ok(isDatabaseUnavailable(error), what);
  const available: Array<[string, unknown]> = [
    ['a unique violation', wrapped(coded('23505'))],
    ['a plain error', new Error('boom')],
    ['not an error at all', 'text'],
    ['a connection error deeper than the bound', wrapped(coded('ECONNREFUSED'), 12)],
  ];
  for (const [what, error] of available) t.notOk(isDatabaseUnavailable(error), what);
  const loop = new Error('loop') as Error & { cause?: unknown };
  loop.cause = loop;
  t.notOk(isDatabaseUnavailable(loop), 'a cause chain that loops ends');
});

// ─── d. readiness proves the database can write ────────────────────────────────────────────

t.test('d. /readyz is 503 when the database can read but not write', async (t) => {
  const { app, database } = await buildTestApp(t);
  t.same((await app.inject('/readyz')).json(), { status: 'ready' });
  if (databaseKind === 'postgres') {
    // Both drivers answer execute() with { rows }.
    const { rows } = (await database.db.execute(sql`select current_database() as name`)) as unknown as { rows: Array<{ name: string }> };
    const name = rows[0]?.name as string;
    await database.db.execute(sql.raw(`alter database ${name} set default_transaction_read_only = on`));
    await database.db.execute(sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`);
    await database.db.execute(sql`set default_transaction_read_only = on`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  } else {
    await database.db.execute(sql`set default_transaction_read_only = on`);
  }
  isError(t, await app.inject('/readyz'), 503, 'database_unavailable', 'a read-only database is not ready');
  t.equal((await app.inject('/healthz')).statusCode, 200, 'the process is still up');
});

t.test(
  'd. a connection killed inside a transaction fails that transaction, not the process',
  { skip: databaseKind === 'postgres' ? false : 'PostgreSQL only: PGlite has no connection to kill' },
  async (t) => {
    const { database } = await buildTestApp(t);
    // A connection of its own does the killing, as PostgreSQL's shutdown would.
    const killer = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await killer.connect();
    t.teardown(() => killer.end());
    // An 'error' event nobody hears would end the process; here it is caught and counted.
    const unheard: unknown[] = [];
    const hear = (error: unknown) => unheard.push(error);
    process.on('uncaughtException', hear);
    t.teardown(() => process.off('uncaughtException', hear));

    const failed = await database.db
      .transaction(async (tx) => {
        const { rows } = (await tx.execute(sql`select pg_backend_pid() as pid`)) as unknown as { rows: Array<{ pid: number }> };
        await killer.query('select pg_terminate_backend($1)', [rows[0]?.pid]);
        // The termination arrives while the transaction's client runs no query.
        await new Promise((resolve) => setTimeout(resolve, 300));
        await tx.execute(sql`select 1`);
      })
      .then(
        () => null,
        (error: unknown) => error,
      );
    t.ok(isDatabaseUnavailable(failed), `the transaction fails as a lost database, which the error plugin answers with a 503 (${String(failed)}: ${String((failed as { cause?: unknown }).cause)})`);
    t.same(unheard, [], 'no unheard error event');
    await database.db.execute(sql`select 1`);
    t.pass('the pool serves the next query');
  },
);

t.test('d. /readyz is 503 when the embedded database has too little free disk', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'confidant-readyz-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const database = await openDatabase({ dataDir });
  t.teardown(() => database.close());
  await database.migrate();
  const roomy = await buildApp(testConfig({ DATA_DIR: dataDir }), database, { logStream: new LogCapture() });
  t.same((await roomy.inject('/readyz')).json(), { status: 'ready' }, 'the default minimum is met on this machine');
  await roomy.close();
  const full = await buildApp(testConfig({ DATA_DIR: dataDir, MIN_FREE_DISK_BYTES: String(2 ** 52) }), database, { logStream: new LogCapture() });
  t.teardown(() => full.close());
  isError(t, await full.inject('/readyz'), 503, 'disk_full', 'less free space than the minimum');
  t.equal((await full.inject('/healthz')).statusCode, 200, 'the process is still up');
});

// ─── e. router errors ──────────────────────────────────────────────────────────────────────

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  closed: boolean;
}

/** Sends `request` as it is, byte for byte, and reads the answer until the server closes or `wait` passes. */
function raw(baseUrl: string, request: string, wait = 3000): Promise<RawAnswer> {
  const { port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1] ?? 0), headers, body: rest.join('\r\n\r\n'), closed });
    };
    const timer = setTimeout(finish, wait);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => {
      closed = true;
      finish();
    });
    socket.on('error', reject);
    socket.write(request);
  });
}

/** The security headers of an ordinary answer, to compare router and client errors with. */
const securityHeaderNames = [
  'content-security-policy',
  'referrer-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'x-content-type-options',
  'x-frame-options',
  'strict-transport-security',
  'cache-control',
];

function hasSecurityHeaders(t: Test, answer: RawAnswer, reference: RawAnswer, what: string): void {
  for (const name of securityHeaderNames) t.equal(answer.headers[name], reference.headers[name], `${what}: ${name} as on every answer`);
  t.equal(answer.headers['cache-control'], 'no-store', `${what}: no-store`);
}

function isRawError(t: Test, answer: RawAnswer, status: number, code: string, what: string, marker: string): void {
  t.equal(answer.status, status, `${what}: status ${status}`);
  t.match(answer.headers['content-type'] ?? '', /^application\/json/, `${what}: JSON`);
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  t.equal(body.error, code, `${what}: ${code}`);
  t.strictSame(Object.keys(body).sort(), ['error', 'message'], `${what}: exactly error and message`);
  t.notOk(answer.body.includes(marker), `${what}: the URL is not echoed`);
}

t.test('e. router errors carry the security headers and do not echo the URL', async (t) => {
  const { baseUrl, logs } = await buildTestApp(t);
  const reference = await raw(baseUrl, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  t.equal(reference.status, 200);
  const marker = 'URLMARKER';
  const get = (target: string) => raw(baseUrl, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);

  const long = await get(`/api/v1/cases/${marker}${'a'.repeat(200)}`);
  isRawError(t, long, 414, 'uri_too_long', 'a path parameter beyond the router limit', marker);
  hasSecurityHeaders(t, long, reference, '414');

  const escape = await get(`/api/v1/cases/${marker}%zz`);
  isRawError(t, escape, 400, 'invalid_url', 'a bad % escape in the path', marker);
  hasSecurityHeaders(t, escape, reference, 'bad escape');

  const huge = await get(`/healthz?${marker}=${'b'.repeat(20_000)}`);
  isRawError(t, huge, 431, 'headers_too_large', 'a request line beyond the header limit', marker);
  hasSecurityHeaders(t, huge, reference, '431');

  const notFound = await get(`/api/v1/${marker}`);
  isRawError(t, notFound, 404, 'not_found', 'an unknown route', marker);
  hasSecurityHeaders(t, notFound, reference, '404');

  t.notMatch(logs.text, marker, 'the logs do not carry the URL');
});

// ─── f. timeouts ───────────────────────────────────────────────────────────────────────────

t.test('f. a half-sent body or header is cut off after the configured time', async (t) => {
  const { baseUrl } = await buildTestApp(t, { REQUEST_TIMEOUT_MS: '1000', HEADERS_TIMEOUT_MS: '500' });
  const reference = await raw(baseUrl, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  const started = Date.now();
  const body = await raw(
    baseUrl,
    'POST /api/v1/auth/prelogin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"username":',
    8000,
  );
  t.ok(body.closed, 'the server closed the connection');
  t.ok(Date.now() - started < 5000, 'within a few seconds, not minutes');
  isRawError(t, body, 408, 'request_timeout', 'a half-sent body', 'username');
  hasSecurityHeaders(t, body, reference, '408');

  const headers = await raw(baseUrl, 'GET /healthz HTTP/1.1\r\nHost: x\r\n', 8000);
  t.ok(headers.closed, 'half-sent headers: the server closed the connection');
  t.equal(headers.status, 408, 'half-sent headers: 408');
});

// ─── g. body encodings and duplicate keys ──────────────────────────────────────────────────

t.test('g. other charsets, content encodings and duplicate keys are refused', async (t) => {
  const { app } = await buildTestApp(t);
  const route = '/api/v1/auth/prelogin';
  const post = (headers: Record<string, string>, payload: string | Buffer) => app.inject({ method: 'POST', url: route, headers, payload });
  const json = JSON.stringify({ username: 'somebody' });
  t.equal((await post({ 'content-type': 'application/json' }, json)).statusCode, 200, 'plain JSON');
  t.equal((await post({ 'content-type': 'application/json; charset=utf-8' }, json)).statusCode, 200, 'charset=utf-8');
  t.equal((await post({ 'content-type': 'application/json; charset="UTF-8"' }, json)).statusCode, 200, 'charset="UTF-8"');
  isError(t, await post({ 'content-type': 'application/json; charset=utf-16' }, Buffer.from(json, 'utf16le')), 415, 'unsupported_charset', 'charset=utf-16');
  isError(t, await post({ 'content-type': 'application/json; charset=iso-8859-1' }, json), 415, 'unsupported_charset', 'charset=iso-8859-1');
  isError(t, await post({ 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync(json)), 415, 'unsupported_content_encoding', 'gzip');
  isError(t, await post({ 'content-type': 'application/json', 'content-encoding': 'br' }, json), 415, 'unsupported_content_encoding', 'br');
  t.equal((await post({ 'content-type': 'application/json', 'content-encoding': 'identity' }, json)).statusCode, 200, 'identity is no encoding');
  isError(t, await post({ 'content-type': 'application/json' }, '{"username":"a","username":"somebody"}'), 400, 'invalid_json', 'a duplicate key');
  isError(t, await post({ 'content-type': 'application/json' }, '{"username":"a","\\u0075sername":"somebody"}'), 400, 'invalid_json', 'a duplicate key spelt with an escape');
  isError(t, await post({ 'content-type': 'application/json' }, '{"__proto__":{"x":1},"username":"a"}'), 400, 'invalid_json', '__proto__');
});

// ─── h. load shedding ──────────────────────────────────────────────────────────────────────

t.test('h. a stalled event loop sheds load with 503; health checks still answer', async (t) => {
  const { app } = await buildTestApp(t, { MAX_EVENT_LOOP_DELAY_MS: '5' });
  // Stall the event loop, as a flood of work would; the delay is sampled once a second, and the
  // sample that covers the stall is taken as soon as the loop turns again.
  const until = Date.now() + 1200;
  while (Date.now() < until);
  await new Promise((resolve) => setTimeout(resolve, 20));
  const shed = await app.inject({ method: 'POST', url: '/api/v1/auth/prelogin', payload: { username: 'somebody' } });
  isError(t, shed, 503, 'overloaded', 'under pressure');
  t.ok(shed.headers['retry-after'], 'with Retry-After');
  t.equal(shed.headers['cache-control'], 'no-store', 'with the security headers');
  t.equal((await app.inject('/healthz')).statusCode, 200, '/healthz still answers');
  t.equal((await app.inject('/readyz')).statusCode, 200, '/readyz still answers');
});

t.test('h. the production default threshold leaves ordinary requests alone', async (t) => {
  const { app } = await buildTestApp(t, { MAX_EVENT_LOOP_DELAY_MS: '1000' });
  t.equal(app.config.maxEventLoopDelayMs, 1000);
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/prelogin', payload: { username: 'somebody' } })).statusCode, 200);
});
