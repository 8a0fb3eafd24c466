/**
 * Reporter-side times are whole UTC hours wherever the server keeps or shows them, reporter
 * actions stay out of the permanent audit chain, reporter routes log no fine time, and what
 * leaned on fine times still works: message order, the unread marker, the hourly message limit,
 * and single-use login challenges that cost no row to issue.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import {
  ConfidantClient,
  MESSAGE_BLOCK,
  REPORT_BLOCK,
  encryptRecord,
  messageAd,
  openMailbox,
  ready,
  reportAd,
  sealKey,
  signMailboxLogin,
  sodium,
  submitNewReport,
  type FetchLike,
} from '../src/protocol/index.js';
import { staffSessions } from '../src/server/db/schema.js';
import { SESSION_IDLE_MS } from '../src/server/services/accounts.js';
import { newToken, tokenHash } from '../src/server/tokens.js';
import { buildTestApp, databaseKind } from './helper.js';
import { addAdviser, addChannel } from './fixtures.js';

await ready();

const { app, database, baseUrl, logs } = await buildTestApp(t, { MESSAGES_PER_HOUR: '2' });
const { db } = database;
await addChannel(db, 'uur');
const { organisationId } = await app.services.channels.bySlug('uur');
const anna = await addAdviser(db, 'uur', 'Anna');

const HOUR = 3600 * 1000;
const MINUTE = 60 * 1000;
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const fromB64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64url'));
/** Both drivers answer execute() with { rows }; the shared drizzle type leaves it unknown. */
const rows = async <T = Record<string, unknown>>(query: ReturnType<typeof sql.raw>) => ((await db.execute(query)) as unknown as { rows: T[] }).rows;
const isWholeHour = (time: Date | string) => new Date(time).getTime() % HOUR === 0;

async function staffToken(accountId: string): Promise<string> {
  const token = newToken();
  const now = new Date();
  await db.insert(staffSessions).values({ tokenHash: tokenHash(token), accountId, createdAt: now, lastUsedAt: now, expiresAt: new Date(now.getTime() + SESSION_IDLE_MS) });
  return token;
}
const annaToken = await staffToken(anna.id);
const asAnna = (method: 'GET' | 'POST', url: string, payload?: object) =>
  app.inject({ method, url, headers: { authorization: `Bearer ${annaToken}` }, ...(payload ? { payload } : {}) });

/** A relay awaiting the reporter's consent, stored as the adviser's route stores one. */
async function addRelay(caseId: string): Promise<string> {
  const id = b64(randomBytes(16));
  await db.execute(sql`insert into relays (id, case_id, organisation_id, state, text_nonce, text_ciphertext, copy_nonce, copy_ciphertext, created_by, created_at)
    values (${id}, ${caseId}, ${organisationId}, 'awaiting_consent', ${randomBytes(24)}, ${randomBytes(MESSAGE_BLOCK + 16)}, ${randomBytes(24)},
            ${randomBytes(MESSAGE_BLOCK + 16)}, ${anna.id}, ${new Date()})`);
  return id;
}

/** A case submitted through the route with random mailbox keys (the server cannot tell them from derived ones). */
async function newCase() {
  const s = sodium();
  const sign = s.crypto_sign_keypair();
  const box = s.crypto_box_keypair();
  const caseId = b64(randomBytes(16));
  const mailboxId = b64(randomBytes(16));
  const caseKey = s.randombytes_buf(32);
  const answer = await app.inject({
    method: 'POST',
    url: '/api/v1/channels/uur/reports',
    payload: {
      v: 1,
      caseId,
      mailboxId,
      reporterSignPublicKey: b64(sign.publicKey),
      reporterBoxPublicKey: b64(box.publicKey),
      wraps: [{ keyId: anna.id, wrap: sealKey(caseKey, anna.boxPublicKey) }],
      reporterWrap: sealKey(caseKey, box.publicKey),
      report: encryptRecord(caseKey, { v: 1, lang: 'nl', answers: { what: 'Iets.' }, anonymity: 'anonymous' }, reportAd(caseId), REPORT_BLOCK),
    },
  });
  if (answer.statusCode !== 201) throw new Error(`submission failed: ${answer.body}`);
  return { caseId, mailboxId, caseKey, signSecretKey: sign.privateKey };
}
const envelope = (c: { caseId: string; caseKey: Uint8Array }, author: 'reporter' | 'adviser', body: string) => {
  const sealed = encryptRecord(c.caseKey, { v: 1, body, sentAt: new Date().toISOString() }, messageAd(c.caseId, author), MESSAGE_BLOCK);
  return { nonce: fromB64(sealed.nonce), ciphertext: fromB64(sealed.ciphertext) };
};

/** The time columns of a table, from the catalogue: a column added later is checked too. */
async function timeColumns(table: string): Promise<string[]> {
  const found = await rows<{ column_name: string }>(
    sql.raw(`select column_name from information_schema.columns where table_schema = 'public' and table_name = '${table}' and data_type like 'timestamp%' order by 1`),
  );
  return found.map((r) => r.column_name);
}

t.test('every reporter-side time the server keeps or shows is a whole hour', async (t) => {
  // Every JSON answer the reporter's client receives, by method and path.
  const answers: Array<{ what: string; body: Record<string, unknown> }> = [];
  const recording: FetchLike = async (url, init) => {
    const response = await fetch(url, init);
    const text = await response.clone().text();
    if (text) answers.push({ what: `${init.method} ${new URL(url).pathname}`, body: JSON.parse(text) as Record<string, unknown> });
    return response;
  };
  const client = new ConfidantClient({ baseUrl, fetch: recording });
  const submitted = await submitNewReport(client, {
    slug: 'uur',
    report: { v: 1, lang: 'nl', answers: { what: 'Iets is mis.' }, anonymity: 'anonymous' },
  });
  const mailbox = await openMailbox(client, submitted.code);
  await mailbox.postMessage('Een vraag.');
  t.equal((await asAnna('GET', `/api/v1/cases/${submitted.caseId}`)).statusCode, 200, 'the adviser reads the case');
  const reply = encryptRecord(new Uint8Array(32), { v: 1, body: 'x', sentAt: new Date().toISOString() }, messageAd(submitted.caseId, 'adviser'), MESSAGE_BLOCK);
  t.equal((await asAnna('POST', `/api/v1/cases/${submitted.caseId}/messages`, reply)).statusCode, 201, 'the adviser answers');
  const relayId = await addRelay(submitted.caseId);
  await mailbox.consent(relayId, 'approve');
  await mailbox.postMessage('Nog een vraag.');
  const view = await mailbox.refresh();
  await mailbox.close();
  const kept = await openMailbox(client, submitted.code); // a session left open
  t.teardown(() => kept.close());

  // The database: every time column of every reporter-side row.
  const checks: Array<[string, string]> = [];
  const where: Record<string, string> = {
    cases: `id = '${submitted.caseId}'`,
    messages: `author = 'reporter'`,
    case_wraps: `granted_by is null`,
  };
  // Staff times stay precise: the acknowledgement, the adviser's last message, relay creation and sending.
  const staffColumns = new Set(['cases.acknowledged_at', 'cases.last_adviser_message_at', 'relays.created_at', 'relays.sent_at']);
  for (const table of ['cases', 'messages', 'case_wraps', 'relays', 'mailbox_sessions', 'mailbox_challenges', 'spent_mailbox_challenges', 'spent_pow_challenges', 'reporter_events']) {
    for (const column of await timeColumns(table)) {
      if (staffColumns.has(`${table}.${column}`)) continue;
      const filter = where[table] ? ` where ${where[table]}` : '';
      for (const row of await rows<{ value: Date | string | null }>(sql.raw(`select "${column}" as value from "${table}"${filter}`))) {
        if (row.value !== null) checks.push([`${table}.${column}`, new Date(row.value).toISOString()]);
      }
    }
  }
  for (const column of ['cases.received_at', 'messages.sent_at', 'case_wraps.created_at', 'relays.decided_at', 'mailbox_sessions.expires_at']) {
    t.ok(checks.some(([name]) => name === column), `the database holds ${column} to check`);
  }
  for (const [name, value] of checks) t.ok(isWholeHour(value), `database ${name} ${value} is a whole hour`);

  // What the reporter is answered.
  const shown: Array<[string, unknown]> = [];
  for (const { what, body } of answers) {
    for (const field of ['receivedAt', 'acknowledgeBy', 'feedbackBy', 'expiresAt', 'sentAt']) {
      if (field in body && !(what.startsWith('GET /api/v1/pow') && field === 'expiresAt')) shown.push([`${what} ${field}`, body[field]]);
    }
    for (const m of (body.messages as Array<{ author: string; sentAt: string }> | undefined) ?? []) {
      if (m.author === 'reporter') shown.push([`${what} reporter message sentAt`, m.sentAt]);
    }
  }
  t.ok(shown.some(([what]) => what.includes('/api/v1/mailbox/session expiresAt')), 'the session answer is checked');
  t.ok(shown.some(([what]) => what.includes('/api/v1/mailbox/messages sentAt')), 'the message answer is checked');
  for (const [what, value] of shown) t.ok(isWholeHour(String(value)), `reporter answer ${what} ${String(value)} is a whole hour`);
  t.equal(view.messages.length, 3, 'the reporter sees three messages');

  // What the adviser is shown.
  const list = (await asAnna('GET', '/api/v1/cases')).json() as { cases: Array<Record<string, string>> };
  const listed = list.cases.find((c) => c.caseId === submitted.caseId)!;
  for (const field of ['receivedAt', 'acknowledgeBy', 'feedbackBy']) t.ok(isWholeHour(listed[field]!), `case list ${field} ${listed[field]} is a whole hour`);
  const detail = (await asAnna('GET', `/api/v1/cases/${submitted.caseId}`)).json() as Record<string, unknown>;
  for (const field of ['receivedAt', 'acknowledgeBy', 'feedbackBy']) t.ok(isWholeHour(String(detail[field])), `case ${field} ${String(detail[field])} is a whole hour`);
  const reporterMessages = (detail.messages as Array<{ author: string; sentAt: string }>).filter((m) => m.author === 'reporter');
  t.equal(reporterMessages.length, 2, 'two reporter messages');
  for (const m of reporterMessages) t.ok(isWholeHour(m.sentAt), `case message sentAt ${m.sentAt} is a whole hour`);
});

t.test('the audit chain holds no reporter action; reporter events are coarse and apart', async (t) => {
  const c = await newCase();
  const challenge = (await app.inject({ method: 'POST', url: '/api/v1/mailbox/challenge', payload: { mailboxId: c.mailboxId } })).json().challenge as string;
  const login = await app.inject({
    method: 'POST',
    url: '/api/v1/mailbox/session',
    payload: { mailboxId: c.mailboxId, challenge, signature: b64(signMailboxLogin(fromB64(challenge), c.signSecretKey)) },
  });
  const headers = { authorization: `Bearer ${login.json().token as string}` };
  const message = encryptRecord(c.caseKey, { v: 1, body: 'Hallo.', sentAt: new Date().toISOString() }, messageAd(c.caseId, 'reporter'), MESSAGE_BLOCK);
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/mailbox/messages', headers, payload: message })).statusCode, 201);
  const relayId = await addRelay(c.caseId);
  t.equal((await app.inject({ method: 'POST', url: `/api/v1/mailbox/relays/${relayId}/consent`, headers, payload: { decision: 'decline' } })).statusCode, 200);
  await app.services.audit.seal();

  const reporterish = `actor = 'reporter' or action in ('submitted', 'reporter_message', 'consent', 'rotated') or subject in ('${c.caseId}', '${relayId}')`;
  t.strictSame(await rows(sql.raw(`select actor, action, subject from audit_log where ${reporterish}`)), [], 'the chain holds no reporter action');
  t.strictSame(await rows(sql.raw(`select actor, action, subject from audit_events where ${reporterish}`)), [], 'nor does any pending event');
  const events = await rows<{ hour: Date | string; action: string }>(sql.raw(`select hour, action from reporter_events where case_id = '${c.caseId}' order by action`));
  t.strictSame(
    events.map((e) => e.action),
    ['consent', 'message', 'submitted'],
    'reporter events record the submission, the message and the decision',
  );
  t.ok(events.every((e) => isWholeHour(e.hour)), 'each at a whole hour');
  await t.rejects(db.execute(sql`insert into audit_events (at, actor, action) values (now(), 'reporter', 'submitted')`), 'the database refuses a reporter audit event');
  t.ok((await app.services.audit.verify()).ok, 'the chain verifies');
});

t.test('log lines of reporter routes carry minute-resolution time and no duration', async (t) => {
  logs.lines.length = 0;
  await newCase();
  await app.inject({ method: 'GET', url: '/api/v1/channels/uur' });
  await app.inject({ method: 'GET', url: '/api/v1/pow' });
  await app.inject({ method: 'POST', url: '/api/v1/mailbox/challenge', payload: { mailboxId: b64(randomBytes(16)) } });
  await app.inject({ method: 'GET', url: '/api/v1/mailbox' });
  await app.inject({ method: 'GET', url: '/api/v1/nowhere' });
  await asAnna('GET', '/api/v1/cases');
  const lines = logs.lines.map((line) => JSON.parse(line) as { time: unknown; route?: string; ms?: unknown });
  const reporterLines = lines.filter((l) => l.route !== undefined && /^\/api\/v1\/(channels|pow|mailbox)|^unmatched$/.test(l.route));
  t.ok(reporterLines.length >= 6, 'the reporter requests were logged');
  for (const line of lines) {
    t.equal(typeof line.time, 'string', 'the time is text');
    t.equal(new Date(String(line.time)).getTime() % MINUTE, 0, `${line.route ?? 'line'}: time ${String(line.time)} is a whole minute`);
  }
  for (const line of reporterLines) t.notOk('ms' in line, `${line.route!}: no duration`);
  t.ok(lines.some((l) => l.route === '/api/v1/cases' && typeof l.ms === 'number'), 'staff routes keep their duration');
});

t.test('messages keep the order they were posted in, whatever their times', async (t) => {
  const c = await newCase();
  const at = (minute: number) => new Date(Date.UTC(2026, 2, 2, 10, minute));
  // Within one hour times cannot order them; an instance with a clock behind could not either.
  const first = await app.services.mailbox.postMessage(c.caseId, envelope(c, 'reporter', 'een'), at(50));
  const second = await app.services.cases.postMessage(anna.id, c.caseId, envelope(c, 'adviser', 'twee'), {}, at(10));
  const third = await app.services.mailbox.postMessage(c.caseId, envelope(c, 'reporter', 'drie'), at(30));
  const fourth = await app.services.cases.postMessage(anna.id, c.caseId, envelope(c, 'adviser', 'vier'), {}, at(5));
  const order = [first.id, second.id, third.id, fourth.id];
  t.strictSame((await app.services.mailbox.read(c.caseId)).messages.map((m) => m.id), order, 'the reporter reads them in posting order');
  t.strictSame((await app.services.cases.detail(anna.id, c.caseId)).messages.map((m) => m.id), order, 'the adviser too');
  const seqs = await rows<{ seq: number }>(sql.raw(`select seq from messages where case_id = '${c.caseId}' order by seq`));
  t.strictSame(seqs.map((r) => Number(r.seq)), [1, 2, 3, 4], 'numbered 1 to 4 within the case');
});

t.test('concurrent messages to one case get distinct places', async (t) => {
  const c = await newCase();
  const posted = await Promise.all(Array.from({ length: 6 }, (_, i) => app.services.cases.postMessage(anna.id, c.caseId, envelope(c, 'adviser', `m${i}`))));
  const read = (await app.services.cases.detail(anna.id, c.caseId)).messages.map((m) => m.id);
  t.same(new Set(read), new Set(posted.map((p) => p.id)), 'all six are there once');
  const seqs = await rows<{ seq: number }>(sql.raw(`select seq from messages where case_id = '${c.caseId}' order by seq`));
  t.strictSame(seqs.map((r) => Number(r.seq)), [1, 2, 3, 4, 5, 6], 'numbered without gaps or repeats');
});

t.test('unread: a reporter message after the adviser read is never missed', async (t) => {
  const unread = async (caseId: string) => (await app.services.cases.list(anna.id, {})).cases.find((x) => x.caseId === caseId)?.unread;
  const c = await newCase();
  // An hour after the receipt, so that only the marker's own rule decides.
  const nextHour = Math.ceil(Date.now() / HOUR) * HOUR + HOUR;
  const at = (minute: number) => new Date(nextHour + minute * MINUTE);
  t.equal(await unread(c.caseId), true, 'a new case is unread');
  await app.services.cases.detail(anna.id, c.caseId, at(20));
  t.equal(await unread(c.caseId), false, 'read after opening');
  await app.services.mailbox.postMessage(c.caseId, envelope(c, 'reporter', 'later'), at(40));
  t.equal(await unread(c.caseId), true, 'a message later in the same hour makes it unread');
  await app.services.cases.detail(anna.id, c.caseId, at(45));
  t.equal(await unread(c.caseId), false, 'read again');
  // Posted after the read, stamped before it (the clock of another instance running behind).
  await app.services.mailbox.postMessage(c.caseId, envelope(c, 'reporter', 'skewed'), at(44));
  t.equal(await unread(c.caseId), true, 'a message posted after the read is unread whatever its time');
  await app.services.cases.detail(anna.id, c.caseId, at(50));
  await app.services.cases.postMessage(anna.id, c.caseId, envelope(c, 'adviser', 'mijn eigen'), {}, at(55));
  t.equal(await unread(c.caseId), false, 'the adviser’s own message does not make it unread');
});

t.test('the hourly message limit counts the current clock hour', async (t) => {
  const c = await newCase();
  const at = (hour: number, minute: number) => new Date(Date.UTC(2026, 2, 2, hour, minute));
  await app.services.mailbox.postMessage(c.caseId, envelope(c, 'reporter', 'a'), at(10, 5));
  await app.services.mailbox.postMessage(c.caseId, envelope(c, 'reporter', 'b'), at(10, 50));
  await t.rejects(app.services.mailbox.postMessage(c.caseId, envelope(c, 'reporter', 'c'), at(10, 59)), { kind: 'throttled', code: 'too_many_messages' }, 'a third in the hour is throttled');
  const next = await app.services.mailbox.postMessage(c.caseId, envelope(c, 'reporter', 'd'), at(11, 0));
  t.equal(next.sentAt.toISOString(), at(11, 0).toISOString(), 'the next hour starts a new count');
  const count = await rows<{ n: number }>(sql.raw(`select count(*)::int as n from messages where case_id = '${c.caseId}'`));
  t.equal(Number(count[0]?.n), 3, 'the refused message left nothing');
});

/** Rows in every table of the public schema. */
async function rowCounts(): Promise<Record<string, number>> {
  const tables = await rows<{ table_name: string }>(
    sql.raw(`select table_name from information_schema.tables where table_schema = 'public' and table_name not in ('audit_events', 'audit_log') order by 1`),
  );
  const counts: Record<string, number> = {};
  for (const { table_name: table } of tables) counts[table] = Number((await rows<{ n: number }>(sql.raw(`select count(*)::int as n from "${table}"`)))[0]?.n);
  // The background sealer moves entries from audit_events into audit_log at any moment. Counted in two
  // statements, a seal between them counts the moved entries twice (or not at all); one statement sees one snapshot.
  const audit = await rows<{ n: number }>(sql.raw(`select ((select count(*) from audit_events) + (select count(*) from audit_log))::int as n`));
  counts['audit (events and sealed log)'] = Number(audit[0]?.n);
  return counts;
}

t.test('issuing login challenges writes nothing, for known and unknown mailboxes alike', async (t) => {
  const c = await newCase();
  const before = await rowCounts();
  const answers: Array<Awaited<ReturnType<typeof app.inject>>> = [];
  for (let i = 0; i < 20; i++) {
    answers.push(await app.inject({ method: 'POST', url: '/api/v1/mailbox/challenge', payload: { mailboxId: i % 2 ? c.mailboxId : b64(randomBytes(16)) } }));
  }
  t.ok(answers.every((a) => a.statusCode === 200 && a.body.length === answers[0]!.body.length), 'every answer is a 200 of one size');
  t.ok(answers.every((a) => fromB64(a.json().challenge as string).length === 32), 'each a 32-byte challenge');
  t.strictSame(await rowCounts(), before, 'no row was written');
});

t.test(`a login challenge works once, also under parallel requests (${databaseKind})`, async (t) => {
  const c = await newCase();
  const other = await newCase();
  const issue = async (mailboxId: string) => (await app.inject({ method: 'POST', url: '/api/v1/mailbox/challenge', payload: { mailboxId } })).json().challenge as string;
  const body = (mailboxId: string, challenge: string) => ({ mailboxId, challenge, signature: b64(signMailboxLogin(fromB64(challenge), c.signSecretKey)) });
  const login = (payload: object) =>
    fetch(`${baseUrl}/api/v1/mailbox/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });

  const challenge = await issue(c.mailboxId);
  const parallel = await Promise.all(Array.from({ length: 10 }, () => login(body(c.mailboxId, challenge))));
  t.strictSame(parallel.map((a) => a.status).sort(), [200, 401, 401, 401, 401, 401, 401, 401, 401, 401], 'ten parallel logins with one challenge: exactly one 200');
  t.equal((await login(body(c.mailboxId, challenge))).status, 401, 'and it fails afterwards');

  const forOther = await issue(other.mailboxId);
  t.equal((await login(body(c.mailboxId, forOther))).status, 401, 'a challenge issued for another mailbox fails');
  const tampered = fromB64(await issue(c.mailboxId));
  tampered[20] = (tampered[20] ?? 0) ^ 1;
  t.equal((await login(body(c.mailboxId, b64(tampered)))).status, 401, 'a changed challenge fails');
  const random = b64(randomBytes(32));
  t.equal((await login(body(c.mailboxId, random))).status, 401, 'a challenge the server did not issue fails');

  const old = app.services.mailbox.challenge(c.mailboxId, new Date(Date.now() - 4 * MINUTE));
  await t.rejects(
    app.services.mailbox.openSession({ mailboxId: c.mailboxId, challenge: old, signature: signMailboxLogin(old, c.signSecretKey) }),
    { kind: 'unauthenticated', code: 'mailbox_login_failed' },
    'an expired challenge fails',
  );
  const fresh = app.services.mailbox.challenge(c.mailboxId);
  const opened = await app.services.mailbox.openSession({ mailboxId: c.mailboxId, challenge: fresh, signature: signMailboxLogin(fresh, c.signSecretKey) });
  t.ok(isWholeHour(opened.expiresAt), 'the session ends at a whole hour');
  const lifetime = opened.expiresAt.getTime() - Date.now();
  t.ok(lifetime >= HOUR - 5000 && lifetime <= 2 * HOUR, 'at least an hour away, at most two');
  const spent = await rows<{ expires_at: Date | string }>(sql.raw(`select expires_at from spent_mailbox_challenges`));
  t.ok(spent.length >= 2 && spent.every((r) => isWholeHour(r.expires_at)), 'spent challenges are kept until a whole hour');
});
