// Opening the annual report's registrations (src/protocol/period-open.ts) on one thread or split
// with a helper (src/web/worker/parallel-open.ts, here with a helper that gets structured clones,
// as a worker would): the same registrations either way, in order, nothing under a bad pin or key
// copy, and a copy made of each key that passed its pin without one.
import t from 'tap';
import {
  caseKeyCopyKey, ConfidantClient, decryptRecord, emptyRegistration, openCaseKeyCopy, openPinnedRegistrations, ProtocolError, readRegistration, registrationAd, REGISTRATION_BLOCK,
  submitNewReport, type OpenedPage, type PeriodKeys, type PeriodOpener, type Registration
} from '../src/protocol/index.js';
import type { PeriodRegistration } from '../src/protocol/wire.js';
import { splitOpener } from '../src/web/worker/parallel-open.js';
import { buildTestApp } from './helper.js';
import { personThroughApi } from './fixtures.js';

const built = await buildTestApp(t);
const admin = built.app.services.administration;
await admin.createOrganisation({ slug: 'org', name: 'Organisation' });
await admin.createChannel({ slug: 'jaar', name: 'Jaar', organisation: 'org' });
const client = new ConfidantClient({ baseUrl: built.baseUrl });
const anna = await personThroughApi(client, admin, 'adviser', 'jaar');
const bert = await personThroughApi(client, admin, 'adviser', 'jaar');

/** The made-up cases the warm-up opens (sealed to and pinned by `who`, the even ones with its key copy), and the keys it passes. */
async function warmUpItems(who: typeof anna, count: number): Promise<{ items: PeriodRegistration[]; keys: PeriodKeys }> {
  let captured: { items: PeriodRegistration[]; keys: PeriodKeys } | undefined;
  await who.session.warmUpPeriodOpening(async (items, keys) => {
    captured = structuredClone({ items: [...items], keys });
    return openPinnedRegistrations(items, keys);
  }, count);
  if (!captured) throw new Error('the opener was not called');
  return captured;
}

/** A helper as a worker is one: it gets copies, and records which cases it was sent. */
function cloningHelper(sent: string[][]): PeriodOpener {
  return async (items, keys) => {
    sent.push(items.map((i) => i.caseId));
    const copy = structuredClone({ items: [...items], keys });
    return openPinnedRegistrations(copy.items, copy.keys);
  };
}

/** Two openings alike: the same registrations, and copies of the same cases (each sealed under its own random nonce). */
const shapeOf = (opened: OpenedPage) => ({ registrations: opened.registrations, copies: opened.copies.map((c) => c.caseId) });

t.test('warmUpPeriodOpening: made-up cases that every opener opens to the empty record', async (t) => {
  const { items, keys } = await warmUpItems(anna, 200);
  t.equal(items.length, 200);
  t.strictSame(new Set(items.map((i) => i.caseId)).size, 200, 'each its own case');
  t.same(Buffer.from(keys.boxPublicKey), Buffer.from(anna.keys.boxPublicKey), 'the keys passed are the account\'s box keys');
  t.same(Buffer.from(keys.signPublicKey), Buffer.from(anna.keys.signPublicKey), 'and its signing public key');
  t.notOk('signSecretKey' in keys, 'never the signing secret key');
  t.strictSame(items.map((i) => i.keyCopy !== null), items.map((_, i) => i % 2 === 0), 'half come with a key copy, half only with wrap and pin');
  const opened = await openPinnedRegistrations(items, keys);
  t.ok(opened.registrations.every((r) => JSON.stringify(r) === JSON.stringify(emptyRegistration())), 'all open to the empty record');
  t.strictSame(opened.copies.map((c) => c.caseId), items.filter((i) => i.keyCopy === null).map((i) => i.caseId), 'a copy is made of each key opened through its pin');
  await t.rejects(anna.session.warmUpPeriodOpening(async (list) => ({ registrations: list.map(() => null), copies: [] }), 10), ProtocolError, 'an opener that opens nothing makes it fail');
  await t.rejects(anna.session.warmUpPeriodOpening(async () => ({ registrations: [], copies: [] }), 10), ProtocolError, 'so does one that answers too few');
});

t.test('key copies: a copy vouches for its key alone; a foreign, moved or altered copy falls back to wrap and pin', async (t) => {
  const { items, keys } = await warmUpItems(anna, 12);
  const other = await warmUpItems(bert, 2);
  const copied = items.filter((i) => i.keyCopy !== null);
  const [a, b, c, d, e, f] = copied;
  const flip = (text: string) => (text[0] === 'A' ? 'B' : 'A') + text.slice(1);
  const cases: PeriodRegistration[] = [
    { ...a!, wrap: other.items[1]!.wrap, pin: null },
    { ...b!, keyCopy: other.items[0]!.keyCopy },
    { ...c!, keyCopy: d!.keyCopy },
    { ...e!, keyCopy: { ...e!.keyCopy!, ciphertext: flip(e!.keyCopy!.ciphertext) } },
    { ...f!, keyCopy: other.items[0]!.keyCopy, pin: null },
    { ...d!, registration: other.items[0]!.registration },
  ];
  const opened = await openPinnedRegistrations(cases, keys);
  t.ok(opened.registrations[0], 'a good copy opens its case with neither a usable wrap nor a pin');
  t.ok(opened.registrations[1], "another adviser's copy: opened through the wrap and pin instead");
  t.ok(opened.registrations[2], "a copy of another case's key: opened through the wrap and pin instead");
  t.ok(opened.registrations[3], 'an altered copy: opened through the wrap and pin instead');
  t.equal(opened.registrations[4], null, 'a copy that does not open and no pin: unread');
  t.equal(opened.registrations[5], null, 'a record under a key other than the copied one: unread');
  t.strictSame(opened.copies, [], 'no new copy for a case that came with one, even one that failed (the server keeps the first)');
});

t.test('the copies made while opening hold the very keys that passed their pins', async (t) => {
  const { items, keys } = await warmUpItems(anna, 8);
  const pinnedOnly = items.filter((i) => i.keyCopy === null);
  const { copies } = await openPinnedRegistrations(pinnedOnly, keys);
  t.equal(copies.length, pinnedOnly.length);
  const copyKey = caseKeyCopyKey(keys.boxSecretKey);
  for (const [n, copy] of copies.entries()) {
    const item = pinnedOnly[n]!;
    t.equal(copy.caseId, item.caseId);
    const caseKey = openCaseKeyCopy(copyKey, item.caseId, copy.keyCopy);
    t.strictSame(readRegistration(decryptRecord(caseKey, item.registration!, registrationAd(item.caseId), REGISTRATION_BLOCK)), emptyRegistration(), `copy ${n} opens its record`);
    t.throws(() => openCaseKeyCopy(copyKey, pinnedOnly[(n + 1) % copies.length]!.caseId, copy.keyCopy), ProtocolError, `copy ${n} does not open for another case`);
  }
  const bad = await openPinnedRegistrations(pinnedOnly.map((i) => ({ ...i, pin: items[0]!.pin })), keys);
  t.strictSame(bad.copies, [], 'no copy of a key whose pin fails');
});

t.test('split or not, the same registrations in the same order; the helper gets the second half', async (t) => {
  const { items, keys } = await warmUpItems(anna, 150);
  // Variety: a registration that is not there, a pin missing, a pin of another adviser, a wrap of another key.
  const other = await warmUpItems(bert, 2);
  // Without key copies: the pins are what is under test here.
  const mixed: PeriodRegistration[] = items.map((withCopy, i) => {
    const item = { ...withCopy, keyCopy: null };
    if (i === 3 || i === 120) return { ...item, registration: null };
    if (i === 10 || i === 130) return { ...item, pin: null };
    if (i === 20 || i === 140) return { ...item, pin: other.items[0]!.pin };
    if (i === 30 || i === 145) return { ...item, wrap: other.items[1]!.wrap };
    return item;
  });
  const expected = await openPinnedRegistrations(mixed, keys);
  const unread = [3, 10, 20, 30, 120, 130, 140, 145];
  t.strictSame(expected.registrations.flatMap((r, i) => (r === null ? [i] : [])), unread, 'exactly the eight altered cases are null on one thread');

  const sent: string[][] = [];
  const split = await splitOpener(cloningHelper(sent))(mixed, keys);
  t.strictSame(shapeOf(split), shapeOf(expected), 'split with a helper: the same');
  t.ok(expected.copies.length > 100, 'with copies of the keys that passed their pins');
  t.strictSame(sent, [mixed.slice(75).map((i) => i.caseId)], 'the helper got the second half, once');

  const failing: PeriodOpener = async () => {
    throw new Error('the helper worker failed');
  };
  t.strictSame(shapeOf(await splitOpener(failing)(mixed, keys)), shapeOf(expected), 'a helper that fails: this thread opens its half too');
  t.strictSame(shapeOf(await splitOpener(null)(mixed, keys)), shapeOf(expected), 'no helper (a browser whose workers cannot start workers)');

  const small: string[][] = [];
  const head = await openPinnedRegistrations(mixed.slice(0, 40), keys);
  t.strictSame(head.registrations, expected.registrations.slice(0, 40));
  t.strictSame(shapeOf(await splitOpener(cloningHelper(small))(mixed.slice(0, 40), keys)), shapeOf(head), 'a small page is opened here');
  t.strictSame(small, [], 'without a message to the helper');
  t.strictSame(await splitOpener(cloningHelper([]))([], keys), { registrations: [], copies: [] }, 'an empty page');
});

t.test('periodCases takes the opener: the report of real cases is the same through a split', async (t) => {
  const period = { from: new Date(Date.now() - 24 * 3600 * 1000).toISOString(), to: new Date(Date.now() + 3600 * 1000).toISOString(), channel: 'jaar' };
  const record: Registration = { ...emptyRegistration(), kind: 'report', track: 'integrity', categories: ['wrongdoing'] };

  for (let i = 0; i < 3; i++) {
    const { caseId } = await submitNewReport(client, { slug: 'jaar', report: { v: 1, lang: 'nl', answers: { what: `Melding ${i}` }, anonymity: 'anonymous' } });
    await anna.session.openCase(caseId);
    if (i < 2) await anna.session.saveRegistration(caseId, record);
  }
  const seen: number[] = [];
  const plain = await anna.session.periodCases(period, { onPage: (n) => seen.push(n) });
  t.equal(plain.cases.length, 3);
  t.equal(plain.cases.filter((c) => c.registration !== null).length, 2, 'two registered');
  t.strictSame(seen, [3], 'onPage heard the one page');
  let calls = 0;
  const counting: PeriodOpener = async (items, keys) => {
    calls++;
    return splitOpener(cloningHelper([]))(items, keys);
  };
  t.strictSame(await anna.session.periodCases(period, { opener: counting }), plain, 'through the opener given: the same');
  t.equal(calls, 1, 'called once per page');
});
