/**
 * The reporter routes without an account (protocol-v1 §6): channel info, proof-of-work
 * challenges and report submission. Each success answer's exact shape, and every way a
 * request can be wrong, one thing at a time: the status, the error code, a body of exactly
 * { error, message }, and no echo of what the request carried.
 */
import t from 'tap';
import { createHmac, randomBytes } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import {
  REPORT_BLOCK, encryptRecord, ready, reportAd, sealKey, sodium, solvePow, type SubmitReportRequest
} from '../src/protocol/index.js';
import { verifyPow } from '../src/protocol/checks.js';
import { adviserChannels, caseWraps, cases, staffAccounts } from '../src/server/db/schema.js';
import { buildTestApp } from './helper.js';
import { addAdviser, addChannel } from './fixtures.js';
import { ECHO, isError, nonCanonical } from './helpers/answers.js';

await ready();

// One app for the whole file (building one takes seconds); every test has channels of its own.
const { app, database } = await buildTestApp(t, { POW_DIFFICULTY: '6', MAX_REPORT_BYTES: '8192', MAX_FILE_BYTES: '1048576' });
const { db } = database;

/** Put into requests wherever a value may go; lower case, so snake-casing cannot disguise it. */
const DAY = 24 * 3600 * 1000;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const randomB64 = (bytes: number) => randomBytes(bytes).toString('base64url');

interface Recipient {
  id: string;
  boxPublicKey: Uint8Array;
}

/** A valid submission for `advisers`, made as a client makes it; fresh caseId and mailboxId each time. */
function draftReport(advisers: Recipient[], ciphertextBytes?: number): SubmitReportRequest {
  const s = sodium();
  const caseId = randomB64(16);
  const caseKey = s.randombytes_buf(32);
  const box = s.crypto_box_keypair();
  const sign = s.crypto_sign_keypair();
  const report =
    ciphertextBytes === undefined
      ? encryptRecord(caseKey, { v: 1, lang: 'nl', answers: { what: 'Declaraties worden aangepast.' }, anonymity: 'anonymous' }, reportAd(caseId), REPORT_BLOCK)
      : { nonce: randomB64(24), ciphertext: randomB64(ciphertextBytes) };
  return {
    v: 1,
    caseId,
    mailboxId: randomB64(16),
    reporterSignPublicKey: b64(sign.publicKey),
    reporterBoxPublicKey: b64(box.publicKey),
    wraps: advisers.map((a) => ({ keyId: a.id, wrap: sealKey(caseKey, a.boxPublicKey) })),
    reporterWrap: sealKey(caseKey, box.publicKey),
    report,
  };
}

const submit = (slug: string, body: unknown) =>
  app.inject({ method: 'POST', url: `/api/v1/channels/${slug}/reports`, payload: body as object });

/** A request body that is JSON but not an object. */
const submitRaw = (slug: string, json: string) =>
  app.inject({ method: 'POST', url: `/api/v1/channels/${slug}/reports`, headers: { 'content-type': 'application/json' }, payload: json });

// Loosely typed access to a body, for breaking one field at a time.
type Json = Record<string | number, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Path = Array<string | number>;

function parentOf(body: Json, path: Path): Json {
  let node: Json = body;
  for (const key of path.slice(0, -1)) node = node[key] as Json;
  return node;
}
const setAt = (body: Json, path: Path, value: unknown) => {
  parentOf(body, path)[path[path.length - 1]!] = value;
};
const getAt = (body: Json, path: Path): unknown => parentOf(body, path)[path[path.length - 1]!];
const removeAt = (body: Json, path: Path) => {
  delete parentOf(body, path)[path[path.length - 1]!];
};

t.test('GET /api/v1/channels/:slug: the channel, its active advisers, consent, difficulty and file limit', async (t) => {
  await addChannel(db, 'meldpunt');
  await addChannel(db, 'direct', { consentRequired: false, powDifficulty: 8 });
  await addChannel(db, 'leeg');
  const zoe = await addAdviser(db, 'meldpunt', 'Zoë Bakker');
  const anna = await addAdviser(db, 'meldpunt', 'Anna de Vries');
  const dirk = await addAdviser(db, 'meldpunt', 'Dirk Disabled');
  await db.update(staffAccounts).set({ disabledAt: new Date() }).where(eq(staffAccounts.id, dirk.id));
  const carla = await addAdviser(db, 'direct', 'Carla Smit');

  const shown = (a: typeof anna, name: string) => ({ keyId: a.id, name, boxPublicKey: b64(a.boxPublicKey), signPublicKey: b64(a.signPublicKey) });
  const meldpunt = await app.inject({ method: 'GET', url: '/api/v1/channels/meldpunt' });
  t.equal(meldpunt.statusCode, 200, 'a known channel answers 200');
  t.match(meldpunt.headers['content-type'], /^application\/json/, 'as JSON');
  t.strictSame(
    meldpunt.json(),
    {
      slug: 'meldpunt',
      name: 'Channel meldpunt',
      advisers: [shown(anna, 'Anna de Vries'), shown(zoe, 'Zoë Bakker')],
      consentRequired: true,
      pow: { difficulty: 0 },
      maxFileBytes: 1048576,
    },
    'exactly slug, name, the active advisers by name, consentRequired, pow and maxFileBytes',
  );

  const direct = await app.inject({ method: 'GET', url: '/api/v1/channels/direct' });
  t.strictSame(
    direct.json(),
    { slug: 'direct', name: 'Channel direct', advisers: [shown(carla, 'Carla Smit')], consentRequired: false, pow: { difficulty: 8 }, maxFileBytes: 1048576 },
    'another channel: only its own adviser, its own consent setting and difficulty',
  );
  const leeg = await app.inject({ method: 'GET', url: '/api/v1/channels/leeg' });
  t.strictSame(leeg.json().advisers, [], 'a channel without advisers lists none');

  isError(t, await app.inject({ method: 'GET', url: `/api/v1/channels/nope-${ECHO}` }), 404, 'unknown_channel', 'an unknown channel');
  const badSlugs: Array<[string, string]> = [
    ['upper case', `Meldpunt${ECHO}`],
    ['an underscore', `meld_${ECHO}`],
    ['a dot', `meld.${ECHO}`],
    ['65 symbols', `${ECHO}${'a'.repeat(65 - ECHO.length)}`],
    ['an encoded space', `meld%20${ECHO}`],
  ];
  for (const [what, slug] of badSlugs) {
    isError(t, await app.inject({ method: 'GET', url: `/api/v1/channels/${slug}` }), 400, 'invalid_slug', `a slug with ${what}`);
  }
});

t.test('GET /api/v1/pow: a signed, expiring challenge at the instance or channel difficulty', async (t) => {
  await addChannel(db, 'pow-hard', { powDifficulty: 10 });
  await addChannel(db, 'pow-easy', { powDifficulty: 0 });

  const before = Date.now();
  const plain = await app.inject({ method: 'GET', url: '/api/v1/pow' });
  const after = Date.now();
  t.equal(plain.statusCode, 200, 'answers 200');
  const body = plain.json() as { challenge: string; difficulty: number; expiresAt: string };
  t.strictSame(Object.keys(body).sort(), ['challenge', 'difficulty', 'expiresAt'], 'exactly challenge, difficulty and expiresAt');
  t.equal(body.difficulty, 6, 'without a channel: the instance default POW_DIFFICULTY');
  t.match(body.challenge, /^\d+\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/, 'the challenge is <expiry>.<random>.<mac>');
  t.equal(new Date(body.expiresAt).toISOString(), body.expiresAt, 'expiresAt is an ISO 8601 UTC time');
  const expires = Date.parse(body.expiresAt);
  t.ok(expires >= before + 300_000 && expires <= after + 300_000, 'the challenge expires five minutes after it was issued');

  const hard = (await app.inject({ method: 'GET', url: '/api/v1/pow?channel=pow-hard' })).json();
  t.equal(hard.difficulty, 10, 'with ?channel: that channel’s difficulty');
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/pow?channel=pow-easy' })).json().difficulty, 0, 'a channel without proof of work: difficulty 0');
  t.not(hard.challenge, body.challenge, 'every challenge is new');

  isError(t, await app.inject({ method: 'GET', url: `/api/v1/pow?channel=nope-${ECHO}` }), 404, 'unknown_channel', 'an unknown channel');
  const badQueries: Array<[string, string, string]> = [
    ['a channel slug in upper case', `channel=NOPE${ECHO}`, 'invalid_channel'],
    ['an empty channel', 'channel=', 'invalid_channel'],
    ['the channel twice', `channel=pow-hard&channel=pow-easy${ECHO}`, 'invalid_channel'],
    ['an unknown parameter', `${ECHO}=1`, 'unknown_field'],
  ];
  for (const [what, query, code] of badQueries) {
    isError(t, await app.inject({ method: 'GET', url: `/api/v1/pow?${query}` }), 400, code, what);
  }
});

t.test('POST /api/v1/channels/:slug/reports: a valid report is stored and answered with 201', async (t) => {
  const channel = await addChannel(db, 'geldig');
  const anna = await addAdviser(db, 'geldig', 'Anna de Vries');
  const bram = await addAdviser(db, 'geldig', 'Bram Jansen');

  const body = draftReport([anna, bram]);
  const before = Date.now();
  const answer = await submit('geldig', body);
  const after = Date.now();
  t.equal(answer.statusCode, 201, 'a valid report answers 201');
  const submitted = answer.json() as { caseId: string; receivedAt: string; acknowledgeBy: string };
  t.strictSame(Object.keys(submitted).sort(), ['acknowledgeBy', 'caseId', 'receivedAt'], 'exactly caseId, receivedAt and acknowledgeBy');
  t.equal(submitted.caseId, body.caseId, 'the answer names the case the client made');
  const receivedAt = Date.parse(submitted.receivedAt);
  t.equal(new Date(receivedAt).toISOString(), submitted.receivedAt, 'receivedAt is an ISO 8601 UTC time');
  const HOUR = 3600 * 1000;
  t.ok(receivedAt % HOUR === 0 && receivedAt >= Math.floor(before / HOUR) * HOUR && receivedAt <= after, 'receivedAt is the whole hour of the request');
  t.equal(Date.parse(submitted.acknowledgeBy) - receivedAt, 7 * DAY, 'acknowledgeBy is seven days after receivedAt');

  // 2xx is durable: exactly what the client sent is in the database.
  const [row] = await db.select().from(cases).where(eq(cases.id, body.caseId));
  t.ok(row, 'the case is stored');
  t.equal(row?.channelId, channel.id, 'in the channel of the address');
  t.equal(row?.mailboxId, body.mailboxId, 'with its mailbox id');
  t.equal(row?.status, 'received', 'status received');
  t.equal(row?.receivedAt.toISOString(), submitted.receivedAt, 'received at the answered time');
  t.equal(b64(row!.reporterSignPublicKey!), body.reporterSignPublicKey, 'the reporter’s sign key');
  t.equal(b64(row!.reporterBoxPublicKey!), body.reporterBoxPublicKey, 'the reporter’s box key');
  t.equal(b64(row!.reporterWrap!), body.reporterWrap, 'the reporter’s wrap');
  t.equal(b64(row!.reportNonce!), body.report.nonce, 'the report nonce');
  t.equal(b64(row!.reportCiphertext!), body.report.ciphertext, 'the report ciphertext');
  const wraps = await db.select().from(caseWraps).where(eq(caseWraps.caseId, body.caseId));
  t.strictSame(
    wraps.map((w) => [w.accountId, b64(w.wrap), w.grantedBy]).sort(),
    body.wraps.map((w) => [w.keyId, w.wrap, null]).sort(),
    'one wrap per chosen adviser, as sent, granted by nobody',
  );

  const onlyBram = draftReport([bram]);
  t.equal((await submit('geldig', onlyBram)).statusCode, 201, 'a report for some of the advisers is accepted');
  const bramsWraps = await db.select().from(caseWraps).where(eq(caseWraps.caseId, onlyBram.caseId));
  t.strictSame(bramsWraps.map((w) => w.accountId), [bram.id], 'only the chosen adviser holds a wrap');

  t.equal((await submit('geldig', draftReport([anna], 2 * REPORT_BLOCK + 16))).statusCode, 201, 'a ciphertext of exactly MAX_REPORT_BYTES padded is accepted');
});

t.test('POST /api/v1/channels/:slug/reports: every field of the body, broken one at a time', async (t) => {
  const channel = await addChannel(db, 'kapot');
  const anna = await addAdviser(db, 'kapot', 'Anna de Vries');
  const withPow = (body: SubmitReportRequest): SubmitReportRequest => ({ ...body, pow: { challenge: `1.${ECHO}.x`, nonce: 0 } });

  type Row = [what: string, change: (body: Json) => void, status: number, code: string];
  const rows: Row[] = [];

  // Missing fields: every required one, nested ones included.
  const required: Array<[Path, string]> = [
    [['v'], 'v'],
    [['caseId'], 'case_id'],
    [['mailboxId'], 'mailbox_id'],
    [['reporterSignPublicKey'], 'reporter_sign_public_key'],
    [['reporterBoxPublicKey'], 'reporter_box_public_key'],
    [['wraps'], 'wraps'],
    [['reporterWrap'], 'reporter_wrap'],
    [['report'], 'report'],
    [['report', 'nonce'], 'report_nonce'],
    [['report', 'ciphertext'], 'report_ciphertext'],
    [['wraps', 0, 'keyId'], 'wraps_key_id'],
    [['wraps', 0, 'wrap'], 'wraps_wrap'],
    [['pow', 'challenge'], 'pow_challenge'],
    [['pow', 'nonce'], 'pow_nonce'],
  ];
  for (const [path, field] of required) rows.push([`without ${path.join('.')}`, (b) => removeAt(b, path), 400, `missing_${field}`]);

  // Byte fields: wrong type, not base64url, not canonical, wrong length.
  const byteFields: Array<[Path, string, number]> = [
    [['caseId'], 'case_id', 16],
    [['mailboxId'], 'mailbox_id', 16],
    [['reporterSignPublicKey'], 'reporter_sign_public_key', 32],
    [['reporterBoxPublicKey'], 'reporter_box_public_key', 32],
    [['wraps', 0, 'wrap'], 'wraps_wrap', 80],
    [['reporterWrap'], 'reporter_wrap', 80],
    [['report', 'nonce'], 'report_nonce', 24],
  ];
  for (const [path, field, bytes] of byteFields) {
    const name = path.join('.');
    const code = `invalid_${field}`;
    for (const value of [12345, null, true, {}, [], '']) rows.push([`${name} = ${JSON.stringify(value)}`, (b) => setAt(b, path, value), 400, code]);
    rows.push([`${name} with "+" (base64, not base64url)`, (b) => setAt(b, path, `+${String(getAt(b, path)).slice(1)}`), 400, code]);
    rows.push([`${name} with "/" (base64, not base64url)`, (b) => setAt(b, path, `${String(getAt(b, path)).slice(0, -1)}/`), 400, code]);
    rows.push([`${name} with "=" padding`, (b) => setAt(b, path, `${String(getAt(b, path)).slice(0, -2)}==`), 400, code]);
    rows.push([`${name} of ${bytes - 1} bytes`, (b) => setAt(b, path, randomB64(bytes - 1)), 400, code]);
    rows.push([`${name} of ${bytes + 1} bytes`, (b) => setAt(b, path, randomB64(bytes + 1)), 400, code]);
    if (bytes % 3 !== 0) {
      rows.push([`${name} not canonical (unused bits set)`, (b) => setAt(b, path, nonCanonical(String(getAt(b, path)))), 400, code]);
    }
  }

  // The ciphertext: any length is allowed by the schema, the route checks padding and size.
  const ciphertext = ['report', 'ciphertext'];
  for (const value of [12345, null, {}]) rows.push([`report.ciphertext = ${JSON.stringify(value)}`, (b) => setAt(b, ciphertext, value), 400, 'invalid_report_ciphertext']);
  const ciphertextRows: Array<[string, (b: Json) => string, number, string]> = [
    ['not base64url', (b) => `+${String(getAt(b, ciphertext)).slice(1)}`, 400, 'invalid_report_ciphertext'],
    ['not canonical (unused bits set)', (b) => nonCanonical(String(getAt(b, ciphertext))), 400, 'invalid_report_ciphertext'],
    ['empty', () => '', 400, 'invalid_report_ciphertext'],
    ['only a tag (16 bytes)', () => randomB64(16), 400, 'invalid_report_ciphertext'],
    ['100 bytes', () => randomB64(100), 400, 'invalid_report_ciphertext'],
    ['4096 + 16 + 1 bytes', () => randomB64(REPORT_BLOCK + 16 + 1), 400, 'invalid_report_ciphertext'],
    ['4096 + 15 bytes', () => randomB64(REPORT_BLOCK + 15), 400, 'invalid_report_ciphertext'],
    ['two blocks without the tag (8192 bytes)', () => randomB64(2 * REPORT_BLOCK), 400, 'invalid_report_ciphertext'],
    ['three padded blocks (over MAX_REPORT_BYTES 8192)', () => randomB64(3 * REPORT_BLOCK + 16), 413, 'report_ciphertext_too_large'],
    ['20000 bytes (over MAX_REPORT_BYTES, not padded either)', () => randomB64(20000), 413, 'report_ciphertext_too_large'],
  ];
  for (const [what, value, status, code] of ciphertextRows) rows.push([`report.ciphertext ${what}`, (b) => setAt(b, ciphertext, value(b)), status, code]);

  // The version, the wraps list, the key ids, the envelope and the proof of work.
  for (const value of [2, 0, '1', null, 1.5]) rows.push([`v = ${JSON.stringify(value)}`, (b) => setAt(b, ['v'], value), 400, 'invalid_v']);
  const wrapsValues: Array<[string, (b: Json) => unknown]> = [
    ['an empty list', () => []],
    ['an object', (b) => ({ ...b.wraps[0] })],
    ['a string', () => ECHO],
    ['a list of strings', () => [ECHO]],
    ['65 entries', (b) => Array.from({ length: 65 }, () => ({ ...b.wraps[0] }))],
  ];
  for (const [what, value] of wrapsValues) rows.push([`wraps as ${what}`, (b) => setAt(b, ['wraps'], value(b)), 400, 'invalid_wraps']);
  const keyIds: unknown[] = ['', `${ECHO}.x`, `${ECHO} x`, `${ECHO}${'a'.repeat(64)}`, 42, null];
  for (const value of keyIds) rows.push([`wraps[0].keyId = ${JSON.stringify(value)}`, (b) => setAt(b, ['wraps', 0, 'keyId'], value), 400, 'invalid_wraps_key_id']);
  for (const value of ['x', [], null, 7]) rows.push([`report = ${JSON.stringify(value)}`, (b) => setAt(b, ['report'], value), 400, 'invalid_report']);
  for (const value of ['x', [], null]) rows.push([`pow = ${JSON.stringify(value)}`, (b) => setAt(b, ['pow'], value), 400, 'invalid_pow']);
  for (const value of [-1, 1.5, '3', null, 2 ** 53]) rows.push([`pow.nonce = ${JSON.stringify(value)}`, (b) => setAt(b, ['pow', 'nonce'], value), 400, 'invalid_pow_nonce']);
  const challenges: unknown[] = ['', `${ECHO} with spaces`, `${ECHO}é`, `${ECHO}${'a'.repeat(200)}`, 123, null];
  for (const value of challenges) rows.push([`pow.challenge = ${JSON.stringify(value)}`, (b) => setAt(b, ['pow', 'challenge'], value), 400, 'invalid_pow_challenge']);

  // Fields the protocol does not have, at every level.
  for (const path of [[ECHO], ['report', ECHO], ['wraps', 0, ECHO], ['pow', ECHO]]) {
    rows.push([`an unknown field at ${path.slice(0, -1).join('.') || 'the top'}`, (b) => setAt(b, path, 'x'), 400, 'unknown_field']);
  }

  for (const [what, change, status, code] of rows) {
    const body = withPow(draftReport([anna])) as unknown as Json;
    // Values of other fields of the same request must not come back either.
    const distinctive = [body.caseId, body.mailboxId, body.reporterSignPublicKey, body.wraps[0].wrap];
    change(body);
    isError(t, await submit('kapot', body), status, code, what, distinctive);
  }

  const notObjects: Array<[string, string]> = [
    ['a list', '[]'],
    ['a string', JSON.stringify(ECHO)],
    ['a number', '42'],
    ['null', 'null'],
  ];
  for (const [what, json] of notObjects) isError(t, await submitRaw('kapot', json), 400, 'invalid_body', `a body that is ${what}`);
  isError(t, await submitRaw('kapot', `{"caseId": "${ECHO}`), 400, 'invalid_json', 'a body that is not JSON');

  // The address: the channel must exist and the slug must be one.
  const valid = draftReport([anna]);
  isError(t, await submit(`nope-${ECHO}`, valid), 404, 'unknown_channel', 'a valid report to an unknown channel', [valid.caseId]);
  isError(t, await submit(`Meldpunt${ECHO}`, valid), 400, 'invalid_slug', 'a slug in upper case', [valid.caseId]);
  isError(t, await submit(`meld_${ECHO}`, valid), 400, 'invalid_slug', 'a slug with an underscore', [valid.caseId]);

  t.equal((await db.select().from(cases).where(eq(cases.channelId, channel.id))).length, 0, 'none of the refused requests stored a case');
});

t.test('POST /api/v1/channels/:slug/reports: wraps only for the advisers of this channel', async (t) => {
  await addChannel(db, 'wraps-hier');
  await addChannel(db, 'wraps-elders');
  const anna = await addAdviser(db, 'wraps-hier', 'Anna de Vries');
  const bram = await addAdviser(db, 'wraps-hier', 'Bram Jansen');
  const carla = await addAdviser(db, 'wraps-elders', 'Carla Smit');
  const dirk = await addAdviser(db, 'wraps-hier', 'Dirk Disabled');
  await db.update(staffAccounts).set({ disabledAt: new Date() }).where(eq(staffAccounts.id, dirk.id));
  const stranger: Recipient = { id: `${ECHO}Adviser`, boxPublicKey: sodium().crypto_box_keypair().publicKey };

  const refused: Array<[string, Recipient[]]> = [
    ['a key id that is no adviser at all', [stranger]],
    ['an adviser of another channel', [carla]],
    ['an adviser of this channel and one of another', [anna, carla]],
    ['a disabled adviser of this channel', [dirk]],
    ['the same adviser twice', [anna, anna]],
    ['two advisers, one of them twice', [anna, bram, anna]],
  ];
  const caseIds: string[] = [];
  for (const [what, advisers] of refused) {
    const body = draftReport(advisers);
    caseIds.push(body.caseId);
    const answer = await submit('wraps-hier', body);
    isError(t, answer, 400, 'invalid_wraps', `wraps for ${what}`, [body.caseId, ...advisers.map((a) => a.id)]);
  }
  isError(t, await submit('wraps-hier', { ...draftReport([anna]), wraps: [] }), 400, 'invalid_wraps', 'an empty wraps list');
  t.equal((await db.select().from(cases).where(inArray(cases.id, caseIds))).length, 0, 'no refused report was stored');
  t.equal((await db.select().from(caseWraps).where(inArray(caseWraps.caseId, caseIds))).length, 0, 'and no wrap');

  const forCarla = draftReport([carla]);
  t.equal((await submit('wraps-elders', forCarla)).statusCode, 201, 'the other channel’s adviser receives reports sent to that channel');
});

t.test('POST /api/v1/channels/:slug/reports: a taken caseId or mailboxId is refused, and nothing of the refused report is stored', async (t) => {
  const channel = await addChannel(db, 'dubbel', { powDifficulty: 4 });
  const anna = await addAdviser(db, 'dubbel', 'Anna de Vries');
  const bram = await addAdviser(db, 'dubbel', 'Bram Jansen');
  const pow = async () => {
    const { challenge } = (await app.inject({ method: 'GET', url: '/api/v1/pow?channel=dubbel' })).json() as { challenge: string };
    return { challenge, nonce: solvePow(challenge, 4) };
  };

  const first = { ...draftReport([anna]), pow: await pow() };
  t.equal((await submit('dubbel', first)).statusCode, 201, 'the first report is stored');
  const [original] = await db.select().from(cases).where(eq(cases.id, first.caseId));

  // The same caseId with everything else new.
  const sameCase = { ...draftReport([anna, bram]), caseId: first.caseId, pow: await pow() };
  isError(t, await submit('dubbel', sameCase), 409, 'case_exists', 'a taken caseId', [sameCase.caseId, sameCase.mailboxId]);
  t.strictSame(await db.select().from(cases).where(eq(cases.id, first.caseId)), [original], 'the existing case is unchanged');
  t.equal((await db.select().from(cases).where(eq(cases.mailboxId, sameCase.mailboxId))).length, 0, 'the refused report’s mailbox does not exist');
  t.strictSame(
    (await db.select().from(caseWraps).where(eq(caseWraps.caseId, first.caseId))).map((w) => [w.accountId, b64(w.wrap)]),
    [[anna.id, first.wraps[0]!.wrap]],
    'the existing case has its own wrap only',
  );
  const retried = { ...sameCase, caseId: draftReport([]).caseId };
  t.equal((await submit('dubbel', retried)).statusCode, 201, 'the refused report did not spend its proof of work: retried with a new caseId it is accepted');

  // The same mailboxId with everything else new.
  const sameMailbox = { ...draftReport([anna, bram]), mailboxId: first.mailboxId, pow: await pow() };
  isError(t, await submit('dubbel', sameMailbox), 409, 'mailbox_exists', 'a taken mailboxId', [sameMailbox.caseId, sameMailbox.mailboxId]);
  t.equal((await db.select().from(cases).where(eq(cases.id, sameMailbox.caseId))).length, 0, 'the refused case is not stored');
  t.equal((await db.select().from(caseWraps).where(eq(caseWraps.caseId, sameMailbox.caseId))).length, 0, 'nor its wraps');
  t.strictSame(await db.select().from(cases).where(eq(cases.id, first.caseId)), [original], 'the case holding the mailbox is unchanged');
  const renamed = { ...sameMailbox, mailboxId: draftReport([]).mailboxId };
  t.equal((await submit('dubbel', renamed)).statusCode, 201, 'the refused report did not spend its proof of work: retried with a new mailboxId it is accepted');
  t.equal((await db.select().from(cases).where(eq(cases.channelId, channel.id))).length, 3, 'three cases in all: the first and the two retried');
});

t.test('POST /api/v1/channels/:slug/reports: proof of work on a channel that asks for it', async (t) => {
  const channel = await addChannel(db, 'zwaar', { powDifficulty: 8 });
  const anna = await addAdviser(db, 'zwaar', 'Anna de Vries');
  const fetchChallenge = async () => ((await app.inject({ method: 'GET', url: '/api/v1/pow?channel=zwaar' })).json() as { challenge: string }).challenge;
  const solved = (challenge: string) => ({ challenge, nonce: solvePow(challenge, 8) });
  const withPow = (pow?: { challenge: string; nonce: number }) => ({ ...draftReport([anna]), ...(pow ? { pow } : {}) });

  isError(t, await submit('zwaar', withPow()), 428, 'pow_required', 'a report without proof of work');

  // Challenges the server did not issue, each with a nonce that solves it, so only the origin is wrong.
  const issued = await fetchChallenge();
  const [expiry, random, tag] = issued.split('.') as [string, string, string];
  const otherKey = randomBytes(32);
  const macBy = (key: Uint8Array, text: string) => createHmac('sha256', key).update(text, 'ascii').digest('base64url');
  const forged: Array<[string, string]> = [
    ['garbage', `${ECHO}garbage`],
    ['two parts', `${expiry}.${ECHO}`],
    ['four parts', `${issued}.${ECHO}`],
    ['empty parts', '..'],
    ['an expiry that is not a number', `x${ECHO}.${random}.${tag}`],
    ['another random part', `${expiry}.${randomB64(16)}.${tag}`],
    ['a later expiry', `${Number(expiry) + 3600}.${random}.${tag}`],
    ['a tag made with another key', `${expiry}.${random}.${macBy(otherKey, `${expiry}.${random}`)}`],
    ['a truncated tag', `${expiry}.${random}.${tag.slice(0, 20)}`],
  ];
  for (const [what, challenge] of forged) {
    isError(t, await submit('zwaar', withPow(solved(challenge))), 428, 'pow_invalid', `a challenge with ${what}`, [challenge, random]);
  }
  // A tag of the same MAC bytes written differently is not the text the server issued.
  const lenient: Array<[string, string]> = [
    ['a non-canonical tag (unused bits set)', `${expiry}.${random}.${nonCanonical(tag)}`],
    ['a tag with "=" padding', `${expiry}.${random}.${tag}=`],
  ];
  for (const [what, challenge] of lenient) {
    isError(t, await submit('zwaar', withPow(solved(challenge))), 428, 'pow_invalid', `a challenge with ${what}`, [challenge, random]);
  }

  // A nonce that does not give 8 zero bits.
  let wrongNonce = 0;
  while (verifyPow(issued, 8, wrongNonce)) wrongNonce++;
  isError(t, await submit('zwaar', withPow({ challenge: issued, nonce: wrongNonce })), 428, 'pow_wrong', 'a nonce that does not solve the challenge', [random]);

  // Expired: issued (and signed) by the server six minutes ago, with a correct nonce.
  const old = app.services.proofOfWork.issue(8, new Date(Date.now() - 6 * 60 * 1000));
  t.ok(old.expiresAt.getTime() < Date.now(), 'the crafted challenge has expired');
  isError(t, await submit('zwaar', withPow(solved(old.challenge))), 428, 'pow_expired', 'an expired challenge with a correct nonce', [old.challenge.split('.')[1]]);

  // The right nonce: accepted once, the wrong nonce before did not spend the challenge.
  const good = solved(issued);
  const accepted = withPow(good);
  t.equal((await submit('zwaar', accepted)).statusCode, 201, 'a solved challenge is accepted (after a wrong nonce for it)');
  isError(t, await submit('zwaar', withPow(good)), 428, 'pow_reused', 'the same solved challenge again', [random]);
  t.equal((await db.select().from(cases).where(eq(cases.channelId, channel.id))).length, 1, 'only the report with a valid proof of work was stored');
  t.equal((await submit('zwaar', withPow(solved(await fetchChallenge())))).statusCode, 201, 'a new challenge works again');
});

t.test('POST /api/v1/channels/:slug/reports: an adviser removed or disabled a moment ago gets no wrap, even while the channel is reused', async (t) => {
  await addChannel(db, 'net-weg', { powDifficulty: 6 });
  const anna = await addAdviser(db, 'net-weg', 'Anna de Vries');
  const bram = await addAdviser(db, 'net-weg', 'Bram Jansen');
  const fetchChallenge = async () => ((await app.inject({ method: 'GET', url: '/api/v1/pow?channel=net-weg' })).json() as { challenge: string }).challenge;
  const withPow = async (advisers: Recipient[]) => {
    const challenge = await fetchChallenge();
    return { ...draftReport(advisers), pow: { challenge, nonce: solvePow(challenge, 6) } };
  };
  // The first report loads the channel, which later reports to it reuse for two seconds.
  t.equal((await submit('net-weg', await withPow([anna, bram]))).statusCode, 201, 'a report to both advisers');

  // Within those two seconds, Bram is taken off the channel and Anna is disabled.
  await db.delete(adviserChannels).where(eq(adviserChannels.accountId, bram.id));
  const toBram = await withPow([anna, bram]);
  isError(t, await submit('net-weg', toBram), 400, 'invalid_wraps', 'a wrap for the adviser removed a moment ago', [toBram.caseId]);
  t.equal((await db.select().from(cases).where(eq(cases.id, toBram.caseId))).length, 0, 'nothing of it stored');
  t.equal((await submit('net-weg', { ...toBram, wraps: toBram.wraps.filter((w) => w.keyId === anna.id) })).statusCode, 201, 'its proof of work was not spent: the report to Anna alone goes through with it');

  await db.update(staffAccounts).set({ disabledAt: new Date() }).where(eq(staffAccounts.id, anna.id));
  const toAnna = draftReport([anna]);
  isError(t, await submit('net-weg', { ...toAnna, pow: (await withPow([anna])).pow }), 400, 'invalid_wraps', 'a wrap for the adviser disabled a moment ago', [toAnna.caseId]);
  t.equal((await db.select().from(caseWraps).where(eq(caseWraps.accountId, bram.id))).length, 1, 'Bram holds only the wrap of the report before he left');
});
