// Opening the annual report's registrations (src/protocol/period-open.ts) on one thread or split
// with a helper (src/web/worker/parallel-open.ts, here with a helper that gets structured clones,
// as a worker would): the same registrations either way, in order, and nothing under a bad pin.
import t from 'tap';
import { ConfidantClient, emptyRegistration, openPinnedRegistrations, ProtocolError, submitNewReport, type PeriodKeys, type PeriodOpener, type Registration } from '../src/protocol/index.js';
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

/** The made-up cases the warm-up opens (sealed to and pinned by `who`), and the keys it passes. */
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

t.test('warmUpPeriodOpening: made-up cases that every opener opens to the empty record', async (t) => {
  const { items, keys } = await warmUpItems(anna, 200);
  t.equal(items.length, 200);
  t.strictSame(new Set(items.map((i) => i.caseId)).size, 200, 'each its own case');
  t.same(Buffer.from(keys.boxPublicKey), Buffer.from(anna.keys.boxPublicKey), 'the keys passed are the account\'s box keys');
  t.same(Buffer.from(keys.signPublicKey), Buffer.from(anna.keys.signPublicKey), 'and its signing public key');
  t.notOk('signSecretKey' in keys, 'never the signing secret key');
  const opened = await openPinnedRegistrations(items, keys);
  t.ok(opened.every((r) => JSON.stringify(r) === JSON.stringify(emptyRegistration())), 'all open to the empty record');
  await t.rejects(anna.session.warmUpPeriodOpening(async (list) => list.map(() => null), 10), ProtocolError, 'an opener that opens nothing makes it fail');
  await t.rejects(anna.session.warmUpPeriodOpening(async () => [], 10), ProtocolError, 'so does one that answers too few');
});

t.test('split or not, the same registrations in the same order; the helper gets the second half', async (t) => {
  const { items, keys } = await warmUpItems(anna, 150);
  // Variety: a registration that is not there, a pin missing, a pin of another adviser, a wrap of another key.
  const other = await warmUpItems(bert, 2);
  const mixed: PeriodRegistration[] = items.map((item, i) => {
    if (i === 3 || i === 120) return { ...item, registration: null };
    if (i === 10 || i === 130) return { ...item, pin: null };
    if (i === 20 || i === 140) return { ...item, pin: other.items[0]!.pin };
    if (i === 30 || i === 145) return { ...item, wrap: other.items[1]!.wrap };
    return item;
  });
  const expected = await openPinnedRegistrations(mixed, keys);
  const unread = [3, 10, 20, 30, 120, 130, 140, 145];
  t.strictSame(expected.flatMap((r, i) => (r === null ? [i] : [])), unread, 'exactly the eight altered cases are null on one thread');

  const sent: string[][] = [];
  const split = await splitOpener(cloningHelper(sent))(mixed, keys);
  t.strictSame(split, expected, 'split with a helper: the same');
  t.strictSame(sent, [mixed.slice(75).map((i) => i.caseId)], 'the helper got the second half, once');

  const failing: PeriodOpener = async () => {
    throw new Error('the helper worker failed');
  };
  t.strictSame(await splitOpener(failing)(mixed, keys), expected, 'a helper that fails: this thread opens its half too');
  t.strictSame(await splitOpener(null)(mixed, keys), expected, 'no helper (a browser whose workers cannot start workers)');

  const small: string[][] = [];
  t.strictSame(await splitOpener(cloningHelper(small))(mixed.slice(0, 40), keys), expected.slice(0, 40), 'a small page is opened here');
  t.strictSame(small, [], 'without a message to the helper');
  t.strictSame(await splitOpener(cloningHelper([]))([], keys), [], 'an empty page');
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
