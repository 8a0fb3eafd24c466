/**
 * Fuzz (review, "Suites to keep", 9): every operation of the OpenAPI document, driven by
 * fast-check values derived from its own schemas plus hostile ones, against a world made with
 * the real flows, so authenticated routes get past authentication into their services. Every
 * answer is below 500 and arrives in time; every refusal is `{ error, message }` and does not
 * echo the request; a refusal writes nothing; and the database invariants hold after each
 * operation's runs. FUZZ_SEED reproduces a run, FUZZ_RUNS scales it (30 per operation).
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { FastifyInstance, HTTPMethods, LightMyRequestResponse } from 'fastify';
import t from 'tap';
import { ConfidantClient, makeStaffKeys, openMailbox, ready, RELAY_BLOCK, REPORT_BLOCK, MESSAGE_BLOCK, sealKeyBundle, sealRecoveryBundle, submitNewReport, type FetchLike } from '../src/protocol/index.js';
import { mailboxSessions, staffSessions } from '../src/server/db/schema.js';
import { tokenHash } from '../src/server/tokens.js';
import { buildTestApp, databaseKind } from './helper.js';
import { brokenInvariants, rowCounts } from './helpers/invariants.js';
import { fuzzValue, hostileValue, toJsonText, toText, validValue, type ArbitraryOptions, type JsonSchema } from './helpers/schema-arbitrary.js';

const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : randomBytes(4).readUInt32BE() >>> 1;
const numRuns = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : 30;
/** No request of the suite takes this long on a working server: longer is a hang. */
const REQUEST_DEADLINE_MS = 20_000;
/** Put into every hostile value: an error answer or a log line that holds it echoes the request. */
const MARKER = 'fz~MARK~7731';

t.comment(`fuzz on ${databaseKind}: FUZZ_SEED=${seed} FUZZ_RUNS=${numRuns}`);
await ready();

const b64 = (bytes: number) => randomBytes(bytes).toString('base64url');
const bytesOf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b).toString('base64url'));

interface Operation {
  method: HTTPMethods;
  /** As the document spells it: `/api/v1/cases/{caseId}`. */
  path: string;
  params: Record<string, JsonSchema>;
  query: Record<string, JsonSchema>;
  body: JsonSchema | undefined;
  secured: boolean;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string; schema: JsonSchema }>; requestBody?: { content: Record<string, { schema: JsonSchema }> }; security?: unknown[] }>>;
}

function operationsOf(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, spec]) => {
      const parameters = spec.parameters ?? [];
      const part = (where: string) => Object.fromEntries(parameters.filter((p) => p.in === where).map((p) => [p.name, p.schema]));
      return {
        method: method.toUpperCase() as HTTPMethods,
        path,
        params: part('path'),
        query: part('query'),
        body: spec.requestBody?.content['application/json']?.schema,
        secured: (spec.security?.length ?? 0) > 0,
      };
    }),
  );
}

const nameOf = (op: { method: string; path: string }) => `${op.method} ${op.path}`;

/**
 * The API routes the app serves, from its route tree (which lists hidden routes too): each
 * line is a path segment appended to its parent's, with the methods in parentheses.
 */
function servedRoutes(app: FastifyInstance): string[] {
  const found: string[] = [];
  const parents: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:[│ ] {3})*)(?:[├└]── )?(\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!match) continue;
    const depth = (match[1] ?? '').length / 4;
    const path = (parents[depth - 1] ?? '') + match[2];
    parents[depth] = path;
    parents.length = depth + 1;
    // HEAD twins of GET routes are Fastify's own; a HEAD route without a GET (tus) is the API's.
    const methods = (match[3] ?? '').split(', ').filter(Boolean);
    for (const method of methods.filter((m) => m !== 'HEAD' || !methods.includes('GET'))) {
      if (path.startsWith('/api/') || path === '/healthz' || path === '/readyz') found.push(`${method} ${path.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return found.filter((route) => route !== 'GET /api/openapi.json').sort();
}

t.test('every operation of the OpenAPI document survives hostile input', async (t) => {
  const { app, database, baseUrl, logs } = await buildTestApp(t, {
    // Load shedding answers 503 under a busy event loop, which a fuzz on a shared machine may
    // cause; this suite is about answers to input, so it is off.
    MAX_EVENT_LOOP_DELAY_MS: '0',
    // A client that stops mid-body must be answered soon (the transport cases wait for it).
    REQUEST_TIMEOUT_MS: '4000',
    HEADERS_TIMEOUT_MS: '2000',
  });
  const db = database.db;
  const admin = app.services.administration;

  // ─── the world ────────────────────────────────────────────────────────────────────────
  await admin.createOrganisation({ slug: 'fuzz-org', name: 'Fuzz Organisation' });
  await admin.createChannel({ slug: 'fuzz', name: 'Fuzz Channel', organisation: 'fuzz-org' });

  /** A staff account made through its invite and signed in; random keys, since the server derives nothing. */
  const staff = async (invite: { role: 'adviser'; channel: string } | { role: 'recipient'; organisation: string }) => {
    const { token: inviteToken } = await admin.createInvite(invite);
    const keys = makeStaffKeys();
    const username = `${invite.role}-${randomBytes(4).toString('hex')}`;
    const authKey = b64(32);
    const accepted = await app.inject({
      method: 'POST',
      url: '/api/v1/invites/accept',
      payload: {
        token: inviteToken,
        username,
        displayName: username.toUpperCase(),
        kdf: { salt: b64(16), ops: 3, mem: 134217728 },
        authKey,
        boxPublicKey: Buffer.from(keys.boxPublicKey).toString('base64url'),
        signPublicKey: Buffer.from(keys.signPublicKey).toString('base64url'),
        keyBundle: sealKeyBundle(randomBytes(32), keys, username),
        recoveryBundle: sealRecoveryBundle(randomBytes(32), keys, username),
      },
    });
    if (accepted.statusCode !== 201) throw new Error(`accepting the invite failed: ${accepted.body}`);
    const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, authKey } });
    if (login.statusCode !== 200) throw new Error(`login failed: ${login.body}`);
    return { id: accepted.json().accountId as string, username, token: login.json().token as string };
  };
  const adviser = await staff({ role: 'adviser', channel: 'fuzz' });
  const recipient = await staff({ role: 'recipient', organisation: 'fuzz-org' });

  // The reporter through the protocol module over HTTP; the wire is recorded for the mailbox id
  // and session token, which the flows keep to themselves.
  const sent = new Map<string, Record<string, unknown>>();
  const received = new Map<string, Record<string, unknown>>();
  const recording: FetchLike = async (url, init) => {
    const response = await fetch(url, init);
    const text = await response.text();
    const path = new URL(url).pathname;
    if (init.body) sent.set(path, JSON.parse(init.body) as Record<string, unknown>);
    if (response.ok && text) received.set(path, JSON.parse(text) as Record<string, unknown>);
    return { ok: response.ok, status: response.status, statusText: response.statusText, text: async () => text };
  };
  const client = new ConfidantClient({ baseUrl, fetch: recording });
  const submitted = await submitNewReport(client, { slug: 'fuzz', report: { v: 1, lang: 'en', answers: { what: 'A fuzzed report.' }, anonymity: 'anonymous' } });
  const caseId = submitted.caseId;
  const mailboxId = String(sent.get('/api/v1/channels/fuzz/reports')?.mailboxId);
  await openMailbox(client, submitted.code);
  const mailboxToken = String(received.get('/api/v1/mailbox/session')?.token);
  // A colleague who joined after the report: the adviser may grant the case to them.
  const colleague = await staff({ role: 'adviser', channel: 'fuzz' });

  const relayId = b64(16);
  const relay = await app.inject({
    method: 'POST',
    url: `/api/v1/cases/${caseId}/relays`,
    headers: { authorization: `Bearer ${adviser.token}` },
    payload: {
      relayId,
      wraps: [recipient, adviser].map((who) => ({ keyId: who.id, wrap: b64(80) })),
      text: { nonce: b64(24), ciphertext: b64(RELAY_BLOCK + 16) },
      copy: { nonce: b64(24), ciphertext: b64(RELAY_BLOCK + 16) },
    },
  });
  t.equal(relay.statusCode, 201, 'the world has a relay awaiting consent');
  const inviteTokens = [
    ...(await Promise.all(Array.from({ length: 12 }, () => admin.createInvite({ role: 'adviser', channel: 'fuzz' })))),
    ...(await Promise.all(Array.from({ length: 4 }, () => admin.createInvite({ role: 'recipient', organisation: 'fuzz-org' })))),
  ].map((invite) => invite.token);

  /** Logout, a new code or a passphrase change may end a session: the fuzz keeps using the same ones. */
  const keepSessions = async () => {
    const now = new Date();
    const times = { lastUsedAt: now, expiresAt: new Date(now.getTime() + 30 * 60_000) };
    for (const who of [adviser, colleague, recipient]) {
      await db.insert(staffSessions).values({ tokenHash: tokenHash(who.token), accountId: who.id, createdAt: now, ...times }).onConflictDoUpdate({ target: staffSessions.tokenHash, set: times });
    }
    await db.insert(mailboxSessions).values({ tokenHash: tokenHash(mailboxToken), caseId, ...times }).onConflictDoUpdate({ target: mailboxSessions.tokenHash, set: times });
  };

  t.same(await brokenInvariants(db), [], 'the world itself keeps the invariants');

  // ─── values ───────────────────────────────────────────────────────────────────────────
  // Values of the world by field name, so that lookups find something; random canonical bytes
  // for byte fields, which a random base64url string rarely is.
  const id16 = fc.oneof(bytesOf(16), fc.constantFrom(caseId, relayId, mailboxId));
  const padded = (block: number) => fc.integer({ min: 1, max: 2 }).chain((k) => bytesOf(block * k + 16));
  const hints: Record<string, fc.Arbitrary<unknown>> = {
    caseId: fc.oneof(fc.constant(caseId), id16),
    relayId: fc.oneof(fc.constant(relayId), id16),
    mailboxId: fc.oneof(fc.constant(mailboxId), id16),
    slug: fc.constant('fuzz'),
    channel: fc.constant('fuzz'),
    keyId: fc.constantFrom(adviser.id, colleague.id, recipient.id),
    username: fc.constantFrom(adviser.username, colleague.username, recipient.username),
    token: fc.constantFrom(...inviteTokens),
    ciphertext: padded(MESSAGE_BLOCK),
    'report.ciphertext': padded(REPORT_BLOCK),
    'keyBundle.ciphertext': bytesOf(200),
    'recoveryBundle.ciphertext': bytesOf(200),
    nonce: bytesOf(24),
    wrap: bytesOf(80),
    reporterWrap: bytesOf(80),
    signature: bytesOf(64),
    commitmentSignature: bytesOf(64),
    pin: bytesOf(64),
    key: bytesOf(32),
    authKey: bytesOf(32),
    newAuthKey: bytesOf(32),
    boxPublicKey: bytesOf(32),
    signPublicKey: bytesOf(32),
    reporterBoxPublicKey: bytesOf(32),
    reporterSignPublicKey: bytesOf(32),
    challenge: bytesOf(32),
    salt: bytesOf(16),
  };
  // A whole submission: it has so many fields that one made field by field is rarely accepted.
  hints['POST /api/v1/channels/{slug}/reports'] = fc
    .record({ caseId: bytesOf(16), mailboxId: bytesOf(16), sign: bytesOf(32), box: bytesOf(32), keyIds: fc.subarray([adviser.id, colleague.id], { minLength: 1 }), wrap: bytesOf(80), nonce: bytesOf(24), report: padded(REPORT_BLOCK) })
    .map((r) => ({
      v: 1,
      caseId: r.caseId,
      mailboxId: r.mailboxId,
      reporterSignPublicKey: r.sign,
      reporterBoxPublicKey: r.box,
      wraps: r.keyIds.map((keyId) => ({ keyId, wrap: r.wrap })),
      reporterWrap: r.wrap,
      report: { nonce: r.nonce, ciphertext: r.report },
    }));
  const options: ArbitraryOptions = { marker: MARKER, hints };

  /** A path segment: a valid (often real) value, or one the router or schema must refuse. */
  const segment = (name: string, schema: JsonSchema): fc.Arbitrary<string> =>
    fc.oneof(
      { arbitrary: validValue(schema, options, name).map((v) => encodeURIComponent(toText(v))), weight: 8 },
      { arbitrary: hostileValue(schema, options).map((v) => encodeSegment(toText(v))), weight: 1 },
      {
        arbitrary: fc.constantFrom('..', '.', '%2e%2e', '..%2F..%2F', '%2F', '%00', '%ZZ', '%', '%E0%A4%A', '%C0%AE', '%ED%A0%80', `${MARKER}%FF`, 'A'.repeat(10_000), ';x=1', '%3F', '%23'),
        weight: 1,
      },
    );
  const querystring = (query: Record<string, JsonSchema>): fc.Arbitrary<string> => {
    const pairs = Object.entries(query).map(([name, schema]) =>
      fc.option(fuzzValue(schema, options, name).map((v) => `${name}=${encodeSegment(toText(v))}`), { nil: undefined, freq: 2 }),
    );
    const extra = fc.constantFrom(undefined, `${MARKER}=1`, 'limit=1&limit=2', 'before=%ZZ', 'channel=%00', `status=${MARKER}&status=closed`, '%ZZ', '=&&=', 'limit[]=1');
    return fc.tuple(fc.tuple(...pairs), extra).map(([set, more]) => {
      const text = [...set, more].filter((p) => p !== undefined).join('&');
      return text ? `?${text}` : '';
    });
  };
  const tokenOf = { adviser: adviser.token, colleague: colleague.token, recipient: recipient.token, mailbox: mailboxToken };
  type Caller = keyof typeof tokenOf | 'none' | 'hostile';
  /** Who asks: mostly the caller a route is for, so that it gets past authentication. */
  const callerWeights = (op: Operation): Array<[Caller, number]> => {
    if (!op.secured) return [['none', 8], ['adviser', 1], ['hostile', 1]];
    const main: Array<[Caller, number]> = op.path.startsWith('/api/v1/mailbox')
      ? [['mailbox', 10]]
      : op.path === '/api/v1/relays'
        ? [['recipient', 10]]
        : op.path.startsWith('/api/v1/relays/')
          ? [['adviser', 6], ['recipient', 4]]
          : op.path.startsWith('/api/v1/auth/')
            ? [['adviser', 6], ['recipient', 4]]
            : [['adviser', 8], ['colleague', 2]];
    return [...main, ['adviser', 1], ['recipient', 1], ['mailbox', 1], ['none', 1], ['hostile', 1]];
  };
  const authorization = (op: Operation): fc.Arbitrary<string | undefined> =>
    fc.oneof(
      ...callerWeights(op).map(([caller, weight]) => ({
        weight,
        arbitrary:
          caller === 'none'
            ? fc.constant(undefined)
            : caller === 'hostile'
              ? fc.constantFrom(`Bearer ${MARKER}`, `Bearer ${'A'.repeat(129)}`, `Bearer ${b64(32)}`, 'Basic Zm9vOmJhcg==', `bearer ${adviser.token}`, `Bearer  ${adviser.token}`, 'Bearer', '')
              : fc.constant(`Bearer ${tokenOf[caller]}`),
      })),
    );

  /** How the body travels: mostly as JSON, sometimes as something the API does not speak. */
  const wrapping = fc.oneof(
    { arbitrary: fc.constant('json' as const), weight: 17 },
    {
      arbitrary: fc.constantFrom('json-utf8' as const, 'utf16' as const, 'text' as const, 'form' as const, 'multipart' as const, 'octets' as const, 'no-type' as const, 'gzip' as const, 'empty' as const, 'garbage' as const),
      weight: 3,
    },
  );
  const GARBAGE = ['{"a":', 'null', '[]', '"text"', '\ufeff{}', `{"${MARKER}":}`, '{"a":1,"a":2}', '{"\\u0061":1,"a":2}', MARKER, '{}'.repeat(3)];

  interface FuzzRequest {
    method: HTTPMethods;
    url: string;
    headers: Record<string, string>;
    payload?: string | Buffer;
  }

  const requestFor = (op: Operation): fc.Arbitrary<FuzzRequest> => {
    const segments = fc.record(Object.fromEntries(Object.entries(op.params).map(([name, schema]) => [name, segment(name, schema)])) as Record<string, fc.Arbitrary<string>>);
    const body = op.body === undefined ? fc.option(fc.jsonValue().map(toJsonText), { nil: undefined, freq: 6 }) : fuzzValue(op.body, options, nameOf(op)).map(toJsonText);
    return fc
      .record({ segments, query: querystring(op.query), body, wrap: wrapping, garbage: fc.constantFrom(...GARBAGE), auth: authorization(op) })
      .map(({ segments, query, body, wrap, garbage, auth }) => {
        const url = op.path.replace(/\{(\w+)\}/g, (_, name: string) => segments[name] ?? '') + query;
        const headers: Record<string, string> = {};
        if (auth !== undefined) headers.authorization = auth;
        if (body === undefined) return { method: op.method, url, headers };
        const types = { json: 'application/json', 'json-utf8': 'application/json; charset=utf-8', utf16: 'application/json; charset=utf-16', text: 'text/plain', form: 'application/x-www-form-urlencoded', multipart: 'multipart/form-data; boundary=fuzz', octets: 'application/octet-stream', gzip: 'application/json', empty: 'application/json', garbage: 'application/json' } as const;
        if (wrap !== 'no-type') headers['content-type'] = types[wrap];
        let payload: string | Buffer = wrap === 'empty' ? '' : wrap === 'garbage' ? garbage : body;
        if (wrap === 'utf16') payload = Buffer.from(body, 'utf16le');
        if (wrap === 'multipart') payload = `--fuzz\r\ncontent-disposition: form-data; name="body"\r\n\r\n${body}\r\n--fuzz--\r\n`;
        if (wrap === 'gzip') {
          payload = gzipSync(body);
          headers['content-encoding'] = 'gzip';
        }
        return { method: op.method, url, headers, payload };
      });
  };

  // ─── one request, checked ─────────────────────────────────────────────────────────────
  const withDeadline = async <T>(what: string, answer: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${REQUEST_DEADLINE_MS} ms (a hang): ${what}`)), REQUEST_DEADLINE_MS);
    });
    try {
      return await Promise.race([answer, deadline]);
    } finally {
      clearTimeout(timer);
    }
  };

  /** Why an answer is wrong, or undefined. */
  function problemWith(status: number, contentType: string | undefined, body: string, method = 'GET'): string | undefined {
    if (status >= 500) return `answered ${status}: ${body.slice(0, 300)}`;
    if (status < 400) return undefined;
    if (!/^application\/json/.test(contentType ?? '')) return `a ${status} that is not JSON (${String(contentType)})`;
    // A HEAD answer has the headers of the error, never its body.
    if (method === 'HEAD') return body === '' ? undefined : `a ${status} to a HEAD with a body`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return `a ${status} whose body is not JSON`;
    }
    const keys = parsed !== null && typeof parsed === 'object' ? Object.keys(parsed).sort().join(',') : '';
    const { error, message } = parsed as { error?: unknown; message?: unknown };
    if (keys !== 'error,message' || typeof error !== 'string' || typeof message !== 'string') return `a ${status} that is not { error, message }: ${body.slice(0, 300)}`;
    if (body.includes(MARKER) || body.includes(MARKER.replace(/~/g, '%7E'))) return `a ${status} that echoes the request: ${body.slice(0, 300)}`;
    return undefined;
  }

  const describe = (request: FuzzRequest) =>
    `${request.method} ${request.url.slice(0, 200)} ${JSON.stringify(request.headers).slice(0, 200)} ${String(request.payload ?? '').slice(0, 300)}`;

  const fuzzed: string[] = [];
  const statuses = new Map<string, Map<number, number>>();
  const operations = operationsOf((await app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as OpenApiDocument);

  for (const [index, op] of operations.entries()) {
    await t.test(nameOf(op), async (t) => {
      const seen = new Map<number, number>();
      statuses.set(nameOf(op), seen);
      const property = fc.asyncProperty(requestFor(op), async (request) => {
        await keepSessions();
        const before = await rowCounts(db);
        const answer: LightMyRequestResponse = await withDeadline(describe(request), app.inject(request));
        seen.set(answer.statusCode, (seen.get(answer.statusCode) ?? 0) + 1);
        const problem = problemWith(answer.statusCode, answer.headers['content-type'] as string | undefined, answer.body, request.method);
        if (problem) throw new Error(`${problem}\n  request: ${describe(request)}`);
        if (answer.statusCode >= 400) {
          const after = await rowCounts(db);
          const changed = Object.keys(after).filter((table) => after[table] !== before[table]);
          if (changed.length > 0) throw new Error(`a ${answer.statusCode} ${answer.body} changed the rows of ${changed.join(', ')}\n  request: ${describe(request)}`);
        }
      });
      const details = await fc.check(property, { seed: seed + index, numRuns });
      if (details.failed) {
        const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
        t.fail(`${cause.slice(0, 3000)}\n  reproduce: FUZZ_SEED=${seed} (this operation: seed ${details.seed}, path ${String(details.counterexamplePath).slice(0, 200)})`);
      } else {
        t.pass(`${details.numRuns} runs: ${[...seen].sort(([a], [b]) => a - b).map(([s, n]) => `${n}×${s}`).join(' ')}`);
      }
      fuzzed.push(nameOf(op));
      t.same(await brokenInvariants(db), [], `the database invariants hold after ${nameOf(op)} (FUZZ_SEED=${seed})`);
    });
  }

  await t.test('no route escapes the fuzz', async (t) => {
    const documented = operations.map(nameOf).sort();
    t.same([...fuzzed].sort(), documented, 'every operation of the document was fuzzed');
    t.same(servedRoutes(app), documented, 'every API route the app serves is in the document');
    // Authentication was passed: the fuzz reached the services, not only the 401 path.
    const reached = [...statuses].filter(([name, seen]) => operations.find((op) => nameOf(op) === name)?.secured && [...seen.keys()].some((s) => s !== 401));
    t.equal(reached.length, operations.filter((op) => op.secured).length, 'every authenticated operation got answers other than 401');
  });

  // ─── transport: over real HTTP ────────────────────────────────────────────────────────
  const { port } = new URL(baseUrl);

  /** One request over a socket, the bytes as given; the answer's status and body, or a hang. */
  const rawExchange = (what: string, bytes: Buffer | string, options: { endAfterWrite?: boolean } = {}) =>
    withDeadline(
      what,
      new Promise<{ status: number; contentType: string | undefined; body: string }>((resolve, reject) => {
        const socket = net.connect(Number(port), '127.0.0.1');
        const chunks: Buffer[] = [];
        socket.on('data', (chunk) => chunks.push(chunk));
        // The server may answer and close before the whole request is written: the answer counts.
        socket.on('error', (error: NodeJS.ErrnoException) => {
          if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
        });
        socket.on('close', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const [head = '', ...rest] = text.split('\r\n\r\n');
          const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
          const contentType = /\r\ncontent-type: ([^\r]*)/i.exec(head)?.[1];
          resolve({ status, contentType, body: rest.join('\r\n\r\n') });
        });
        socket.write(bytes);
        if (options.endAfterWrite !== false) socket.end();
      }),
    );

  /** A request with node:http, which sends the path as it is (fetch would normalise it). */
  const httpExchange = (what: string, request: { method: string; path: string; headers?: Record<string, string>; body?: Buffer | string }) =>
    withDeadline(
      what,
      new Promise<{ status: number; contentType: string | undefined; body: string }>((resolve, reject) => {
        const outgoing = http.request({ host: '127.0.0.1', port: Number(port), method: request.method, path: request.path, headers: request.headers, agent: false }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') }));
          response.on('error', reject);
        });
        // The server may answer 413 and close before the whole body is written.
        outgoing.on('error', (error: NodeJS.ErrnoException) => {
          if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
        });
        outgoing.end(request.body);
      }),
    );

  await t.test('transport: huge bodies, bad escapes, broken HTTP, stalled clients', async (t) => {
    const before = await rowCounts(db);
    const check = (what: string, answer: { status: number; contentType: string | undefined; body: string }, method?: string) => {
      t.notOk(problemWith(answer.status, answer.contentType, answer.body, method), `${what}: ${answer.status}`);
      t.ok(answer.status >= 400 && answer.status < 500, `${what}: refused with a 4xx`);
    };
    const auth = { authorization: `Bearer ${adviser.token}` };
    const tenMegabytes = `{"nonce":"${'A'.repeat(32)}","ciphertext":"${'A'.repeat(10 * 1024 * 1024)}"}`;
    for (const op of operations.filter((o) => o.body !== undefined)) {
      const path = op.path.replace(/\{caseId\}/, caseId).replace(/\{relayId\}/, relayId).replace(/\{slug\}/, 'fuzz');
      check(`${nameOf(op)}, a 10 MB body`, await httpExchange(nameOf(op), { method: op.method, path, headers: { ...auth, 'content-type': 'application/json' }, body: tenMegabytes }));
    }
    check('a 10 MB body without a length (chunked)', await rawExchange('chunked', `POST /api/v1/mailbox/messages HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${mailboxToken}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n${(10 * 1024 * 1024).toString(16)}\r\n${'A'.repeat(10 * 1024 * 1024)}\r\n0\r\n\r\n`));
    const hostilePaths = ['%ZZ', '%E0%A4%A', '%', `..%2F${MARKER}`, '%00', '%C0%AE%C0%AE', 'A'.repeat(20_000)];
    for (const op of operations.filter((o) => Object.keys(o.params).length > 0)) {
      for (const bad of hostilePaths) {
        const path = op.path.replace(/\{\w+\}/, bad);
        check(`${nameOf(op)} at ${path.slice(0, 60)}`, await httpExchange(nameOf(op), { method: op.method, path, headers: { ...auth, 'content-type': 'application/json' }, body: op.body ? '{}' : undefined }), op.method);
      }
    }
    for (const query of ['?before=%ZZ', '?limit=%FF', `?${'a=1&'.repeat(5000)}`, `?status=${MARKER}%00`, '?%=%']) {
      check(`GET /api/v1/cases${query.slice(0, 40)}`, await httpExchange('query', { method: 'GET', path: `/api/v1/cases${query}`, headers: auth }));
    }
    check('a request line with a NUL', await rawExchange('NUL', `GET /api/v1/cases/\u0000 HTTP/1.1\r\nhost: x\r\n\r\n`));
    check('a header without a colon', await rawExchange('header', `GET /healthz HTTP/1.1\r\nhost: x\r\n${MARKER}\r\n\r\n`));
    check('headers of 100 kB', await rawExchange('big headers', `GET /healthz HTTP/1.1\r\nhost: x\r\nx-fuzz: ${'a'.repeat(100_000)}\r\n\r\n`));
    check('a Content-Length longer than the body, then silence', await rawExchange('stalled', `POST /api/v1/auth/prelogin HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"username"`, { endAfterWrite: false }));
    check('two Content-Lengths', await rawExchange('two lengths', `POST /api/v1/auth/prelogin HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}`));
    const after = await rowCounts(db);
    t.same(after, before, 'refused transport cases wrote nothing');
    t.same(await brokenInvariants(db), [], 'the database invariants hold after the transport cases');
  });

  t.same(logs.lines.filter((line) => line.includes(MARKER)), [], 'no log line holds anything of a hostile request');
  t.same(logs.lines.filter((line) => /"level":(50|60)/.test(line)), [], 'no request failed with an error on the server');
});

/** encodeURIComponent, except for lone surrogates, which it refuses: those are escaped as their code unit. */
function encodeSegment(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return [...text].map((c) => (c.length === 1 && c.charCodeAt(0) >= 0xd800 && c.charCodeAt(0) <= 0xdfff ? `%${c.charCodeAt(0).toString(16)}` : encodeURIComponent(c))).join('');
  }
}
