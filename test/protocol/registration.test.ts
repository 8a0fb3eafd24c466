/**
 * The adviser's registration record v1 (src/protocol/registration.ts): the hand-written check
 * and the record's JSON schema (contract/registration-record.ts) agree in both directions: what
 * the check accepts the schema accepts, and what the schema accepts the check refuses only for
 * the rules a JSON schema cannot say (a real calendar day, categories of the record's track,
 * a referral without the action "referred", a support that ends before it starts). Each kind
 * of problem is named; records of the form's first shape open upgraded; the next follow-up day
 * is the earliest open one. Random valid records survive validate → encrypt → decrypt → read.
 *
 * Through a real app and a signed-in adviser: an invalid record is refused before anything is
 * sent; a valid one round-trips through openCase and sets the server's follow-up day; a stored
 * record that does not open, or is not a valid record, opens as unreadable without failing
 * the case.
 */
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import { eq } from 'drizzle-orm';
import fc from 'fast-check';
import t from 'tap';
import { RegistrationRecordV1 } from '../../src/protocol/contract/registration-record.js';
import {
  ACTIONS,
  ALL_CATEGORIES,
  CATEGORIES,
  CONTACT_CHANNELS,
  CONTACT_KINDS,
  ConfidantClient,
  DAY,
  FOLLOW_UP_KINDS,
  FOLLOW_UPS_MAX,
  MINUTES_MAX,
  NOTES_MAX,
  OUTCOMES,
  OUTSIDE_SCOPE,
  ProtocolError,
  REFERRALS,
  REGISTRATION_BLOCK,
  REGISTRATION_FORMAT,
  SOURCES,
  SUPPORT_KINDS,
  SUPPORT_MAX,
  SUPPORT_OUTCOMES,
  TRACKS,
  checkRegistration,
  decryptRecord,
  emptyRegistration,
  encryptRecord,
  nextFollowUp,
  readRegistration,
  ready,
  registrationAd,
  registrationProblems,
  setUpAccount,
  signIn,
  sodium,
  submitNewReport,
  type FetchLike,
  type FollowUp,
  type Registration,
  type Support,
} from '../../src/protocol/index.js';
import { isCalendarDay } from '../../src/protocol/registration.js';
import { auditLog, cases, registrations } from '../../src/server/db/schema.js';
import { createAdministration } from '../../src/server/services/administration.js';
import { buildTestApp } from '../helper.js';

await ready();

/** The schema as another client would use it: a standard JSON-schema validator. */
const schemaAccepts = new Ajv({ strict: false, allErrors: true }).compile(RegistrationRecordV1);

/** A record with every field filled, valid. */
const FULL: Registration = {
  v: 1,
  format: REGISTRATION_FORMAT,
  kind: 'report',
  contactBy: 'meeting',
  track: 'integrity',
  categories: ['wrongdoing', 'fraud-theft', 'conflict-of-interest'],
  sources: ['manager', 'colleague'],
  location: 'hoofdkantoor-2',
  actions: ['listened', 'advised', 'referred'],
  referredTo: ['hr', 'whistleblowers-authority'],
  support: [
    { kind: 'investigation', startedOn: '2026-01-05', endedOn: '2026-03-31', outcome: 'upheld' },
    { kind: 'informal-solution', startedOn: '2026-02-01', endedOn: null, outcome: 'pending' },
    { kind: 'complaints-committee', startedOn: null, endedOn: null, outcome: 'pending' },
  ],
  followUps: [
    { on: '2026-05-01', kind: 'aftercare', done: false },
    { on: '2026-03-01', kind: 'hearing', done: true },
    { on: '2026-04-15', kind: 'other', done: false },
  ],
  outsideScope: ['work-pressure', 'reorganisation'],
  minutes: 90,
  outcome: 'investigation',
  notes: 'Twee gesprekken; doorverwezen naar HR.',
};

const clone = <T>(value: T): T => structuredClone(value);

// ─── The record, both ways ──────────────────────────────────────────────────────────────────

t.test('valid records pass the check and the schema, and are returned as they are', async (t) => {
  const full = clone(FULL);
  const valid: Array<[string, Registration]> = [
    ['the full record', full],
    ['the empty record', emptyRegistration()],
    ['every category of a track', { ...emptyRegistration(), track: 'undesirable-behaviour', categories: [...CATEGORIES['undesirable-behaviour']] }],
    ['categories of both tracks without a track (what an upgraded mixed record is)', { ...emptyRegistration(), categories: ['bullying', 'wrongdoing'] }],
    ['every value of every list', {
      ...emptyRegistration(),
      sources: [...SOURCES],
      actions: [...ACTIONS],
      referredTo: [...REFERRALS],
      outsideScope: [...OUTSIDE_SCOPE],
    }],
    ['notes of exactly NOTES_MAX characters', { ...emptyRegistration(), notes: 'x'.repeat(NOTES_MAX) }],
    ['notes with a lone surrogate and a NUL', { ...emptyRegistration(), notes: 'a\ud800b\u0000c' }],
    ['minutes 0', { ...emptyRegistration(), minutes: 0 }],
    ['minutes MINUTES_MAX', { ...emptyRegistration(), minutes: MINUTES_MAX }],
    ['SUPPORT_MAX supports', { ...emptyRegistration(), support: Array.from({ length: SUPPORT_MAX }, () => ({ kind: 'formal-complaint' as const, startedOn: null, endedOn: null, outcome: 'withdrawn' as const })) }],
    ['FOLLOW_UPS_MAX follow-ups', { ...emptyRegistration(), followUps: Array.from({ length: FOLLOW_UPS_MAX }, () => ({ on: '2026-01-01', kind: 'aftercare' as const, done: true })) }],
    ['a support that ends the day it starts', { ...emptyRegistration(), support: [{ kind: 'investigation', startedOn: '2026-06-01', endedOn: '2026-06-01', outcome: 'resolved' }] }],
    ['a support with only an end', { ...emptyRegistration(), support: [{ kind: 'investigation', startedOn: null, endedOn: '2026-06-01', outcome: 'resolved' }] }],
    ['February 29th of a leap year', { ...emptyRegistration(), followUps: [{ on: '2028-02-29', kind: 'hearing', done: false }] }],
    ['a location of 40 characters', { ...emptyRegistration(), location: `a${'-'.repeat(39)}` }],
  ];
  for (const [what, record] of valid) {
    t.strictSame(registrationProblems(record), [], `${what}: no problem`);
    t.ok(schemaAccepts(record), `${what}: the schema accepts it`);
    t.equal(checkRegistration(record), record, `${what}: checkRegistration returns it`);
    t.strictSame(readRegistration(clone(record)), record, `${what}: readRegistration returns it unchanged`);
  }
  t.strictSame(full, FULL, 'checking does not change the record');
  t.strictSame(emptyRegistration(), emptyRegistration(), 'emptyRegistration is the same every time');
  t.not(emptyRegistration().categories, emptyRegistration().categories, 'and a fresh object each time');
});

/** A change to the full record, the problem line it must give, and whether the JSON schema also refuses it. */
type Breakage = [what: string, change: (r: Record<string, any>) => unknown, problem: string, schemaRefuses: boolean]; // eslint-disable-line @typescript-eslint/no-explicit-any

const BREAKAGES: Breakage[] = [
  ['an unknown kind', (r) => ({ ...r, kind: 'gossip' }), '/kind: must be one of report, question, advice, complaint or null', true],
  ['an unknown contact channel', (r) => ({ ...r, contactBy: 'fax' }), `/contactBy: must be one of ${CONTACT_CHANNELS.join(', ')} or null`, true],
  ['an unknown track', (r) => ({ ...r, track: 'other' }), `/track: must be one of ${TRACKS.join(', ')} or null`, true],
  ['an unknown category', (r) => ({ ...r, categories: ['wrongdoing', 'bribery'] }), `/categories/1: must be one of ${ALL_CATEGORIES.join(', ')}`, true],
  ['an unknown outcome', (r) => ({ ...r, outcome: 'solved' }), `/outcome: must be one of ${OUTCOMES.join(', ')} or null`, true],
  ['an unknown support kind', (r) => ({ ...r, support: [{ ...r.support[0], kind: 'lawsuit' }] }), `/support/0/kind: must be one of ${SUPPORT_KINDS.join(', ')}`, true],
  ['an unknown support outcome', (r) => ({ ...r, support: [{ ...r.support[0], outcome: 'won' }] }), `/support/0/outcome: must be one of ${SUPPORT_OUTCOMES.join(', ')}`, true],
  ['an unknown follow-up kind', (r) => ({ ...r, followUps: [{ ...r.followUps[0], kind: 'lunch' }] }), `/followUps/0/kind: must be one of ${FOLLOW_UP_KINDS.join(', ')}`, true],
  ['a category in upper case', (r) => ({ ...r, categories: ['Wrongdoing'] }), `/categories/0: must be one of ${ALL_CATEGORIES.join(', ')}`, true],
  ['an extra field', (r) => ({ ...r, name: 'Jan Jansen' }), '/name: not a field of the record', true],
  ['an extra field in a support', (r) => ({ ...r, support: [{ ...r.support[0], who: 'x' }] }), '/support/0/who: not a field of the record', true],
  ['an extra field in a follow-up', (r) => ({ ...r, followUps: [{ ...r.followUps[0], note: 'x' }] }), '/followUps/0/note: not a field of the record', true],
  ['a missing field', (r) => { const { notes: _notes, ...rest } = r; return rest; }, '/notes: missing', true],
  ['a missing field in a follow-up', (r) => ({ ...r, followUps: [{ on: '2026-05-01', kind: 'aftercare' }] }), '/followUps/0/done: missing', true],
  ['a category of the other track', (r) => ({ ...r, track: 'integrity', categories: ['wrongdoing', 'bullying'] }), '/categories: bullying is not in the integrity track', false],
  ['an integrity category under undesirable behaviour', (r) => ({ ...r, track: 'undesirable-behaviour', categories: ['fraud-theft'] }), '/categories: fraud-theft is not in the undesirable-behaviour track', false],
  ['referredTo without the action "referred"', (r) => ({ ...r, actions: ['listened'], referredTo: ['hr'] }), '/referredTo: given without the action "referred"', false],
  ['a follow-up on February 30th', (r) => ({ ...r, followUps: [{ ...r.followUps[0], on: '2026-02-30' }] }), '/followUps/0/on: must be a calendar day (YYYY-MM-DD)', false],
  ['a support started on February 29th of a common year', (r) => ({ ...r, support: [{ ...r.support[0], startedOn: '2026-02-29' }] }), '/support/0/startedOn: must be a calendar day (YYYY-MM-DD) or null', false],
  ['a support ended on April 31st', (r) => ({ ...r, support: [{ ...r.support[0], endedOn: '2026-04-31' }] }), '/support/0/endedOn: must be a calendar day (YYYY-MM-DD) or null', false],
  ['a day of month 13', (r) => ({ ...r, followUps: [{ ...r.followUps[0], on: '2026-13-01' }] }), '/followUps/0/on: must be a calendar day (YYYY-MM-DD)', false],
  ['a day not written YYYY-MM-DD', (r) => ({ ...r, followUps: [{ ...r.followUps[0], on: '2026-5-1' }] }), '/followUps/0/on: must be a calendar day (YYYY-MM-DD)', true],
  ['a day with a time', (r) => ({ ...r, followUps: [{ ...r.followUps[0], on: '2026-05-01T00:00:00Z' }] }), '/followUps/0/on: must be a calendar day (YYYY-MM-DD)', true],
  ['a follow-up day null', (r) => ({ ...r, followUps: [{ ...r.followUps[0], on: null }] }), '/followUps/0/on: must be a calendar day (YYYY-MM-DD)', true],
  ['endedOn before startedOn', (r) => ({ ...r, support: [{ ...r.support[0], startedOn: '2026-03-02', endedOn: '2026-03-01' }] }), '/support/0/endedOn: before startedOn', false],
  ['notes one character too long', (r) => ({ ...r, notes: 'x'.repeat(NOTES_MAX + 1) }), `/notes: must be text of at most ${NOTES_MAX} characters`, true],
  ['notes null', (r) => ({ ...r, notes: null }), `/notes: must be text of at most ${NOTES_MAX} characters`, true],
  ['minutes negative', (r) => ({ ...r, minutes: -1 }), `/minutes: must be whole minutes from 0 to ${MINUTES_MAX}, or null`, true],
  ['minutes not whole', (r) => ({ ...r, minutes: 1.5 }), `/minutes: must be whole minutes from 0 to ${MINUTES_MAX}, or null`, true],
  ['minutes above the maximum', (r) => ({ ...r, minutes: MINUTES_MAX + 1 }), `/minutes: must be whole minutes from 0 to ${MINUTES_MAX}, or null`, true],
  ['minutes as text', (r) => ({ ...r, minutes: '90' }), `/minutes: must be whole minutes from 0 to ${MINUTES_MAX}, or null`, true],
  ['a category listed twice', (r) => ({ ...r, categories: ['wrongdoing', 'wrongdoing'] }), '/categories: a value is listed twice', true],
  ['sources not a list', (r) => ({ ...r, sources: 'manager' }), '/sources: must be a list', true],
  ['a location in free text', (r) => ({ ...r, location: 'Kantoor Utrecht' }), '/location: must be a location id or null', true],
  ['a location of 41 characters', (r) => ({ ...r, location: 'a'.repeat(41) }), '/location: must be a location id or null', true],
  ['v 2', (r) => ({ ...r, v: 2 }), '/v: must be 1', true],
  ['another format', (r) => ({ ...r, format: 'registration-2' }), '/format: must be "registration-1"', true],
  ['done as text', (r) => ({ ...r, followUps: [{ ...r.followUps[0], done: 'yes' }] }), '/followUps/0/done: must be true or false', true],
  ['a follow-up that is not an object', (r) => ({ ...r, followUps: ['2026-05-01'] }), '/followUps/0: must be an object', true],
  [`${SUPPORT_MAX + 1} supports`, (r) => ({ ...r, support: Array.from({ length: SUPPORT_MAX + 1 }, () => r.support[2]) }), `/support: at most ${SUPPORT_MAX} entries`, true],
  [`${FOLLOW_UPS_MAX + 1} follow-ups`, (r) => ({ ...r, followUps: Array.from({ length: FOLLOW_UPS_MAX + 1 }, () => r.followUps[0]) }), `/followUps: at most ${FOLLOW_UPS_MAX} entries`, true],
  ['null', () => null, '/: must be an object', true],
  ['a list', () => [clone(FULL)], '/: must be an object', true],
  ['a string', () => JSON.stringify(FULL), '/: must be an object', true],
];

t.test('each kind of problem is named, checkRegistration refuses it, and the schema agrees where a schema can say it', async (t) => {
  for (const [what, change, problem, schemaRefuses] of BREAKAGES) {
    const broken = change(clone(FULL) as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
    const problems = registrationProblems(broken);
    t.ok(problems.includes(problem), `${what}: names "${problem}"`, { found: problems });
    t.throws(() => checkRegistration(broken), { name: 'ProtocolError', code: 'bad_registration' }, `${what}: checkRegistration throws bad_registration`);
    try {
      checkRegistration(broken);
    } catch (error) {
      t.ok((error as Error).message.includes(problem), `${what}: the error message names the problem`);
    }
    t.equal(!schemaAccepts(broken), schemaRefuses, `${what}: the JSON schema ${schemaRefuses ? 'refuses it too' : 'cannot say it (a rule across fields or of the calendar): it accepts'}`);
  }
  t.strictSame(
    registrationProblems({ ...clone(FULL), kind: 'gossip', extra: 1 }).sort(),
    ['/extra: not a field of the record', '/kind: must be one of report, question, advice, complaint or null'],
    'several problems are each named',
  );
});

// ─── Random records ─────────────────────────────────────────────────────────────────────────

const dayArb = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
const dayOrNull = fc.option(dayArb, { nil: null });
const choiceOrNull = <T extends string>(values: readonly T[]) => fc.constantFrom<T | null>(null, ...values);
const someOf = <T>(values: readonly T[]) => fc.shuffledSubarray([...values]);

const supportArb: fc.Arbitrary<Support> = fc
  .record({ kind: fc.constantFrom(...SUPPORT_KINDS), days: fc.tuple(dayOrNull, dayOrNull), outcome: fc.constantFrom(...SUPPORT_OUTCOMES) })
  .map(({ kind, days: [a, b], outcome }) => {
    const [startedOn, endedOn] = a !== null && b !== null && b < a ? [b, a] : [a, b];
    return { kind, startedOn, endedOn, outcome };
  });
// Plain objects, as JSON.parse makes them: a record fast-check makes without a prototype is not deep-equal to its decryption.
const followUpArb: fc.Arbitrary<FollowUp> = fc.record({ on: dayArb, kind: fc.constantFrom(...FOLLOW_UP_KINDS), done: fc.boolean() }, { noNullPrototype: true });
const notesArb = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: NOTES_MAX / 2 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }).filter((s) => s.length <= NOTES_MAX),
  fc.constant('é'.repeat(NOTES_MAX)),
);

/** Any valid v1 record, built from the exported lists. */
const recordArb: fc.Arbitrary<Registration> = fc
  .record({
    kind: choiceOrNull(CONTACT_KINDS),
    contactBy: choiceOrNull(CONTACT_CHANNELS),
    track: choiceOrNull(TRACKS),
    allCategories: someOf(ALL_CATEGORIES),
    sources: someOf(SOURCES),
    location: fc.option(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,39}$/), { nil: null }),
    actions: someOf(ACTIONS),
    allReferrals: someOf(REFERRALS),
    support: fc.array(supportArb, { maxLength: SUPPORT_MAX }),
    followUps: fc.array(followUpArb, { maxLength: FOLLOW_UPS_MAX }),
    outsideScope: someOf(OUTSIDE_SCOPE),
    minutes: fc.option(fc.integer({ min: 0, max: MINUTES_MAX }), { nil: null }),
    outcome: choiceOrNull(OUTCOMES),
    notes: notesArb,
  })
  .map(({ allCategories, allReferrals, ...r }) => ({
    v: 1 as const,
    format: REGISTRATION_FORMAT,
    ...r,
    categories: r.track === null ? allCategories : allCategories.filter((c) => (CATEGORIES[r.track!] as readonly string[]).includes(c)),
    referredTo: r.actions.includes('referred') ? allReferrals : [],
  }));

t.test('property: a random valid record passes both checks and survives validate → encrypt → decrypt → readRegistration', async (t) => {
  const s = sodium();
  t.doesNotThrow(() =>
    fc.assert(
      fc.property(recordArb, (record) => {
        assert.deepEqual(registrationProblems(record), []);
        assert.ok(schemaAccepts(record), 'the schema accepts it');
        const checked = checkRegistration(record);
        const key = s.randombytes_buf(32);
        const caseId = Buffer.from(s.randombytes_buf(16)).toString('base64url');
        const envelope = encryptRecord(key, checked, registrationAd(caseId), REGISTRATION_BLOCK);
        assert.equal(Buffer.from(envelope.ciphertext, 'base64url').length % REGISTRATION_BLOCK, 16, 'padded to whole blocks (plus the tag)');
        assert.deepStrictEqual(readRegistration(decryptRecord(key, envelope, registrationAd(caseId), REGISTRATION_BLOCK)), record);
      }),
      { numRuns: 300 },
    ),
  'three hundred random records');
});

/** One change to a record: a field replaced by any JSON value or a near miss, removed, or added. */
const pathsOf = (r: Registration): string[][] => [
  ...Object.keys(r).map((k) => [k]),
  ...r.support.flatMap((s, i) => Object.keys(s).map((k) => ['support', String(i), k])),
  ...r.followUps.flatMap((f, i) => Object.keys(f).map((k) => ['followUps', String(i), k])),
  ...(['categories', 'sources', 'actions', 'referredTo', 'outsideScope', 'support', 'followUps'] as const).map((k) => [k, String(r[k].length)]),
];
const nearMisses = fc.constantFrom<unknown>(
  null, '', 0, -1, 1.5, true, [], {}, MINUTES_MAX + 1, 'x'.repeat(NOTES_MAX + 1),
  '2026-02-30', '2026-02-29', '2028-02-29', '2026-13-01', '2026-1-1', '1999-12-31',
  ...CONTACT_KINDS, ...CONTACT_CHANNELS, ...TRACKS, ...ALL_CATEGORIES, ...SOURCES, ...ACTIONS, ...REFERRALS, ...SUPPORT_KINDS, ...SUPPORT_OUTCOMES,
  ...OUTSIDE_SCOPE, ...OUTCOMES, ...FOLLOW_UP_KINDS, REGISTRATION_FORMAT, 1,
);
/** Names of Object.prototype's members: the check's blind spot, tested on their own below. */
const inherited = (name: string) => name in Object.prototype;
const mutatedArb = fc
  .tuple(recordArb, fc.nat(), fc.constantFrom('set', 'delete', 'add'), fc.oneof(fc.jsonValue({ maxDepth: 2 }), nearMisses), fc.string({ maxLength: 8 }).filter((k) => !inherited(k)))
  .map(([record, pick, how, value, key]) => {
    const copy = clone(record) as unknown as Record<string, unknown>;
    const paths = pathsOf(record);
    const path = paths[pick % paths.length]!;
    let parent: Record<string, unknown> = copy;
    for (const step of path.slice(0, -1)) parent = parent[step] as Record<string, unknown>;
    const last = path.at(-1)!;
    if (how === 'set') parent[last] = value;
    else if (how === 'delete' && !Array.isArray(parent)) delete parent[last];
    else if (!Array.isArray(parent)) parent[key] = value;
    else parent[Number(last)] = value;
    return copy;
  });

/** The rules of the check a JSON schema cannot say. */
const beyondSchema = (problem: string) =>
  / is not in the (integrity|undesirable-behaviour) track$/.test(problem) ||
  problem === '/referredTo: given without the action "referred"' ||
  /^\/support\/\d+\/endedOn: before startedOn$/.test(problem) ||
  /: must be a calendar day \(YYYY-MM-DD\)( or null)?$/.test(problem);

/** The value at a problem's path (`/followUps/0/on`). */
function at(value: unknown, path: string): unknown {
  return path.split('/').slice(1).reduce<unknown>((v, step) => (v as Record<string, unknown> | undefined)?.[step], value);
}

t.test('property: the check and the schema agree in both directions on records with one random change', async (t) => {
  let refused = 0;
  let onlyBeyondSchema = 0;
  t.doesNotThrow(() =>
    fc.assert(
      fc.property(mutatedArb, (value) => {
        const problems = registrationProblems(value);
        const schemaOk = schemaAccepts(value);
        // The check is never looser than the schema.
        if (problems.length === 0) assert.ok(schemaOk, `the check accepts what the schema refuses: ${JSON.stringify(schemaAccepts.errors)}`);
        // What the schema accepts, the check refuses only for rules a schema cannot say.
        if (schemaOk) {
          for (const problem of problems) {
            assert.ok(beyondSchema(problem), `the schema accepts, the check says "${problem}"`);
            // A day the schema let through has the form YYYY-MM-DD: the check's complaint is the calendar.
            if (problem.includes('calendar day')) assert.match(String(at(value, problem.slice(0, problem.indexOf(':')))), DAY);
          }
          if (problems.length > 0) onlyBeyondSchema++;
        }
        if (problems.length > 0) refused++;
      }),
      { numRuns: 2000 },
    ),
  'two thousand changed records');
  t.ok(refused > 500, `the changes make invalid records often (${refused} of 2000)`);
  t.ok(onlyBeyondSchema > 0, `and some that only the rules beyond the schema refuse (${onlyBeyondSchema})`);
});

t.test('an extra field named like a member of Object.prototype is named too', async (t) => {
  for (const name of ['toString', 'constructor', 'valueOf', 'hasOwnProperty', '__proto__']) {
    const record = JSON.parse(`{${JSON.stringify(name)}: null, ${JSON.stringify(emptyRegistration()).slice(1)}`) as unknown;
    t.notOk(schemaAccepts(record), `${name}: the schema refuses the extra field`);
    t.ok(registrationProblems(record).includes(`/${name}: not a field of the record`), `${name}: so does the check`);
    const support = { ...emptyRegistration(), support: [JSON.parse(`{${JSON.stringify(name)}: 1, "kind": "investigation", "startedOn": null, "endedOn": null, "outcome": "pending"}`)] };
    t.ok(registrationProblems(support).includes(`/support/0/${name}: not a field of the record`), `${name} in a support: named`);
  }
});

t.test('notes: the check and the schema count the same characters', async (t) => {
  const emoji = { ...emptyRegistration(), notes: '😀'.repeat(3000) };
  t.ok(schemaAccepts(emoji), 'the schema accepts 3000 emoji (3000 code points, 6000 UTF-16 code units)');
  t.strictSame(registrationProblems(emoji), [], 'so does the check');
  const over = { ...emptyRegistration(), notes: '😀'.repeat(NOTES_MAX + 1) };
  t.notOk(schemaAccepts(over), 'NOTES_MAX + 1 emoji: the schema refuses');
  t.ok(registrationProblems(over).length > 0, 'so does the check');
});

t.test('notes: counted as code points for any text around the limit, lone surrogates one each', async (t) => {
  const unit = fc.constantFrom('x', 'é', '😀', '\ud800', '\udc00', '\u0000');
  fc.assert(
    fc.property(fc.array(unit, { minLength: NOTES_MAX - 4, maxLength: NOTES_MAX + 4 }).map((parts) => parts.join('')), (notes) => {
      const accepted = registrationProblems({ ...emptyRegistration(), notes }).length === 0;
      return accepted === ([...notes].length <= NOTES_MAX) && accepted === schemaAccepts({ ...emptyRegistration(), notes });
    }),
    { numRuns: 300 },
  );
  t.strictSame(registrationProblems({ ...emptyRegistration(), notes: `${'x'.repeat(NOTES_MAX - 1)}\ud83d` }), [], 'a lone high surrogate at the end is one character');
  t.ok(registrationProblems({ ...emptyRegistration(), notes: `${'😀'.repeat(NOTES_MAX)}\ud83d` }).length > 0, 'and counts');
});

t.test('isCalendarDay: agrees with the Date-based rule on 5000 random dates of years 0000-9999, and on the leap-year and month edges', async (t) => {
  const reference = (day: string) => {
    if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(day)) return false;
    const parsed = new Date(`${day}T00:00:00Z`);
    return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === day;
  };
  const two = (n: number) => String(n).padStart(2, '0');
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }), (year, month, date) => {
      const day = `${String(year).padStart(4, '0')}-${two(month)}-${two(date)}`;
      return isCalendarDay(day) === reference(day);
    }),
    { numRuns: 5000 },
  );
  for (const [day, expected] of [['2024-02-29', true], ['2100-02-29', false], ['2000-02-29', true], ['0000-02-29', true], ['2026-04-31', false], ['2026-12-31', true], ['2026-13-01', false], ['2026-00-10', false], ['2026-01-00', false], ['2026-1-01', false], ['２０２６-01-01', false]] as const) {
    t.equal(isCalendarDay(day), expected, day);
  }
});

// ─── The first shape ────────────────────────────────────────────────────────────────────────

t.test('readRegistration upgrades the first shape of the form, and refuses what is no object', async (t) => {
  const upgraded: Array<[string, Record<string, unknown>, Partial<Registration>]> = [
    [
      'categories, outsideScope and referredTo',
      { v: 1, categories: ['integriteit/misstand', 'integriteit/onregelmatigheid'], outsideScope: 'werkdruk', referredTo: 'bedrijfsarts' },
      { track: 'integrity', categories: ['wrongdoing', 'irregularity'], notes: 'Outside the scope: werkdruk\nReferred to: bedrijfsarts' },
    ],
    ['a single category', { v: 1, category: 'ongewenste-omgangsvormen/pesten' }, { track: 'undesirable-behaviour', categories: ['bullying'] }],
    [
      'every category of the first form',
      {
        v: 1,
        categories: [
          'ongewenste-omgangsvormen/seksuele-intimidatie',
          'ongewenste-omgangsvormen/agressie-en-geweld',
          'ongewenste-omgangsvormen/pesten',
          'ongewenste-omgangsvormen/discriminatie',
        ],
      },
      { track: 'undesirable-behaviour', categories: ['sexual-harassment', 'aggression-violence', 'bullying', 'discrimination'] },
    ],
    [
      'the integrity categories of the first form',
      { v: 1, categories: ['integriteit/misstand', 'integriteit/onregelmatigheid', 'integriteit/andere-integriteitskwestie'] },
      { track: 'integrity', categories: ['wrongdoing', 'irregularity', 'other-integrity'] },
    ],
    [
      'unknown categories and non-strings dropped',
      { v: 1, categories: ['integriteit/omkoping', 'ongewenste-omgangsvormen/pesten', 42, null, { x: 1 }, ''] },
      { track: 'undesirable-behaviour', categories: ['bullying'] },
    ],
    ['only unknown categories', { v: 1, categories: ['a/b', 'c'] }, { track: null, categories: [] }],
    [
      'both tracks mixed: the categories kept, no track',
      { v: 1, categories: ['integriteit/misstand', 'ongewenste-omgangsvormen/pesten'] },
      { track: null, categories: ['wrongdoing', 'bullying'] },
    ],
    ['a category twice', { v: 1, categories: ['integriteit/misstand', 'integriteit/misstand'] }, { track: 'integrity', categories: ['wrongdoing'] }],
    ['texts trimmed; a blank one gives no note', { v: 1, categories: [], outsideScope: '   ', referredTo: '  de vertrouwensarts \n' }, { notes: 'Referred to: de vertrouwensarts' }],
    ['texts that are not strings are ignored', { v: 1, outsideScope: 42, referredTo: ['hr'] }, { notes: '' }],
    ['categories that are not a list', { v: 1, categories: 'integriteit/misstand' }, { track: null, categories: [] }],
    ['only v', { v: 1 }, {}],
    ['a long text is cut to the longest note', { v: 1, outsideScope: 'w'.repeat(NOTES_MAX) }, { notes: `Outside the scope: ${'w'.repeat(NOTES_MAX)}`.slice(0, NOTES_MAX) }],
  ];
  for (const [what, first, expected] of upgraded) {
    const record = readRegistration(first);
    t.strictSame(record, { ...emptyRegistration(), ...expected }, `${what}: upgraded`);
    t.strictSame(registrationProblems(record), [], `${what}: a valid v1 record`);
    t.ok(schemaAccepts(record), `${what}: which the schema accepts`);
  }
  t.equal(readRegistration({ v: 1, outsideScope: 'w'.repeat(NOTES_MAX) }).notes.length, NOTES_MAX, 'the note is at most NOTES_MAX long');

  for (const [what, value] of [
    ['null', null],
    ['undefined', undefined],
    ['a list', [{ v: 1, category: 'integriteit/misstand' }]],
    ['a string', 'integriteit/misstand'],
    ['a number', 1],
    ['true', true],
  ] as const) {
    t.throws(() => readRegistration(value), { name: 'ProtocolError', code: 'bad_registration' }, `${what}: refused, bad_registration`);
  }
  t.throws(() => readRegistration({ v: 2, categories: [] }), { code: 'bad_registration' }, 'no format and v 2: not the first shape; checked, and refused');
  t.throws(() => readRegistration({ categories: ['integriteit/misstand'] }), { code: 'bad_registration' }, 'no format and no v: refused');
  t.throws(() => readRegistration({ ...clone(FULL), kind: 'gossip' }), { code: 'bad_registration' }, 'a v1 record with a problem: refused, not upgraded');
  t.throws(() => readRegistration({ ...clone(FULL), format: 'registration-2' }), { code: 'bad_registration' }, 'another format: refused');
});

t.test('property: every first-shape record upgrades to a valid record, with a track only when its categories are of one', async (t) => {
  const known = ['ongewenste-omgangsvormen/seksuele-intimidatie', 'ongewenste-omgangsvormen/pesten', 'integriteit/misstand', 'integriteit/onregelmatigheid'];
  // Not an item named like a member of Object.prototype: tested on its own below.
  const item = fc.string().filter((c) => !(c.slice(c.indexOf('/') + 1) in Object.prototype));
  const firstShape = fc.record(
    {
      v: fc.constant(1),
      categories: fc.array(fc.oneof(fc.constantFrom(...known), item, fc.jsonValue({ maxDepth: 1 })), { maxLength: 8 }),
      category: fc.oneof(fc.constantFrom(...known), item),
      outsideScope: fc.oneof(fc.string({ maxLength: 5000 }), fc.jsonValue({ maxDepth: 1 })),
      referredTo: fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 1 })),
    },
    { requiredKeys: ['v'] },
  );
  t.doesNotThrow(() =>
    fc.assert(
      fc.property(firstShape, (first) => {
        const record = readRegistration(first);
        assert.deepEqual(registrationProblems(record), []);
        const tracks = new Set(record.categories.map((c) => ((CATEGORIES.integrity as readonly string[]).includes(c) ? 'integrity' : 'undesirable-behaviour')));
        assert.equal(record.track, tracks.size === 1 ? [...tracks][0] : null);
        assert.ok(record.notes.length <= NOTES_MAX);
      }),
      { numRuns: 500 },
    ),
  'five hundred first-shape records');
});

t.test('a first-shape category named like a member of Object.prototype is dropped like any unknown one', async (t) => {
  for (const category of ['valueOf', 'integriteit/constructor', 'ongewenste-omgangsvormen/__proto__', 'x/toString', 'hasOwnProperty']) {
    const record = readRegistration({ v: 1, categories: [category, 'integriteit/misstand'] });
    t.strictSame(record, { ...emptyRegistration(), track: 'integrity', categories: ['wrongdoing'] }, `${category}: dropped`);
    t.strictSame(registrationProblems(record), [], `${category}: the upgrade is a valid record`);
  }
  t.strictSame(readRegistration({ v: 1, category: 'constructor' }), emptyRegistration(), 'a single category "constructor": dropped');
});

// ─── The next follow-up ─────────────────────────────────────────────────────────────────────

t.test('nextFollowUp: the earliest follow-up not done', async (t) => {
  const withFollowUps = (...followUps: Array<[string, boolean]>): Registration => ({
    ...emptyRegistration(),
    followUps: followUps.map(([on, done]) => ({ on, kind: 'aftercare', done })),
  });
  t.equal(nextFollowUp(emptyRegistration()), null, 'no follow-ups: null');
  t.equal(nextFollowUp(FULL), '2026-04-15', 'the full record: the earliest open one, not the earlier done one');
  t.equal(nextFollowUp(withFollowUps(['2026-05-01', true], ['2026-04-01', true])), null, 'all done: null');
  t.equal(nextFollowUp(withFollowUps(['2026-12-31', false], ['2026-01-02', false], ['2026-06-30', false])), '2026-01-02', 'unsorted: the earliest');
  t.equal(nextFollowUp(withFollowUps(['2025-12-31', false], ['2026-01-01', false])), '2025-12-31', 'across a year');
  t.equal(nextFollowUp(withFollowUps(['2026-03-01', true], ['2026-03-01', false])), '2026-03-01', 'one day done and open: open');
  t.equal(nextFollowUp(withFollowUps(['1999-01-01', false], ['2030-01-01', false])), '1999-01-01', 'a day in the past still counts: it is overdue');
  const record = withFollowUps(['2026-05-01', false], ['2026-04-01', false]);
  const before = clone(record);
  nextFollowUp(record);
  t.strictSame(record, before, 'the record is not changed (no sort in place)');
  t.doesNotThrow(() =>
    fc.assert(
      fc.property(fc.array(followUpArb, { maxLength: 20 }), (followUps) => {
        const open = followUps.filter((f) => !f.done).map((f) => f.on);
        const expected = open.length === 0 ? null : open.reduce((a, b) => (b < a ? b : a));
        assert.equal(nextFollowUp({ ...emptyRegistration(), followUps }), expected);
      }),
    ),
  'the minimum of the open days, for random follow-ups');
});

// ─── Through the app ────────────────────────────────────────────────────────────────────────

t.test('through the app: saveRegistration checks before it sends, round-trips, sets the follow-up day, and an unreadable record does not fail the case', async (t) => {
  const { database, baseUrl, app } = await buildTestApp(t);
  const { db } = database;
  const admin = createAdministration(db, { powDifficulty: 0 });
  await admin.createOrganisation({ slug: 'gemeente', name: 'Gemeente' });
  await admin.createChannel({ slug: 'meldpunt', name: 'Meldpunt', organisation: 'gemeente' });

  // Every request the client makes, to see that a refused record sends nothing.
  const sent: string[] = [];
  const recording: FetchLike = async (url, init) => {
    sent.push(`${init.method ?? 'GET'} ${new URL(url).pathname}`);
    const response = await fetch(url, init);
    const text = await response.text();
    return { ok: response.ok, status: response.status, statusText: response.statusText, text: async () => text };
  };
  const client = new ConfidantClient({ baseUrl, fetch: recording });
  const invite = await admin.createInvite({ role: 'adviser', channel: 'meldpunt' });
  const passphrase = 'registratie is ook een vak';
  await setUpAccount(client, { token: invite.token, username: 'rita', displayName: 'Rita', passphrase });
  const rita = await signIn(client, { username: 'rita', passphrase });
  const report = { v: 1 as const, lang: 'nl', answers: { what: 'Een melding om te registreren.' }, anonymity: 'anonymous' as const };
  const { caseId } = await submitNewReport(client, { slug: 'meldpunt', report });
  const other = await submitNewReport(client, { slug: 'meldpunt', report });

  const stored = async () => (await db.select({ followUpOn: cases.followUpOn }).from(cases).where(eq(cases.id, caseId)))[0]?.followUpOn;
  const registrationRows = async () => db.select().from(registrations).where(eq(registrations.caseId, caseId));
  const auditedRegistrations = async () => (await (await app.services.audit.seal(), db.select().from(auditLog))).filter((e) => e.action === 'registration').length;

  // Invalid records: refused with bad_registration before anything is encrypted or sent.
  const invalid: Array<[string, unknown]> = [
    ['an unknown kind', { ...clone(FULL), kind: 'gossip' }],
    ['a category of the other track', { ...clone(FULL), categories: ['bullying'] }],
    ['a follow-up on February 30th', { ...clone(FULL), followUps: [{ on: '2026-02-30', kind: 'aftercare', done: false }] }],
    ['a first-shape record (only reading upgrades it)', { v: 1, categories: ['integriteit/misstand'] }],
    ['an extra field', { ...clone(FULL), reporterName: 'Jan' }],
    ['null', null],
  ];
  for (const [what, record] of invalid) {
    const before = sent.length;
    let synchronous: unknown = null;
    let promise: Promise<unknown> | undefined;
    try {
      promise = rita.saveRegistration(caseId, record as Registration);
    } catch (error) {
      synchronous = error;
    }
    const failure = promise ? await promise.then(() => null, (error: unknown) => error) : synchronous;
    t.ok(failure instanceof ProtocolError && failure.code === 'bad_registration', `${what}: refused with ProtocolError bad_registration`);
    t.equal(synchronous, null, `${what}: as a rejected promise, not a synchronous throw`);
    t.strictSame(sent.slice(before), [], `${what}: no request at all is sent`);
  }
  t.strictSame(await registrationRows(), [], 'no registration is stored');
  t.equal(await auditedRegistrations(), 0, 'no registration audit entry');
  t.equal(await stored(), null, 'no follow-up day');

  // A valid record round-trips, and the server keeps its next follow-up day.
  const answer = await rita.saveRegistration(caseId, clone(FULL));
  t.strictSame(Object.keys(answer), ['updatedAt'], 'saved: { updatedAt }');
  t.equal(await auditedRegistrations(), 1, 'one registration audit entry');
  t.equal(await stored(), '2026-04-15', 'the server stores follow_up_on = nextFollowUp(record)');
  const opened = await rita.openCase(caseId);
  t.strictSame(opened.registration, FULL, 'openCase gives the record back, strictly equal');
  t.equal(opened.registrationUnreadable, false, 'readable');
  t.equal(opened.followUpOn, '2026-04-15', 'openCase shows the follow-up day');
  t.same(opened.report, report, 'and the report');
  t.equal((await rita.listCases()).cases.find((c) => c.caseId === caseId)?.followUpOn, '2026-04-15', 'the inbox shows the day');
  t.equal((await rita.openCase(other.caseId)).followUpOn, null, 'the other case has none');

  const allDone = { ...clone(FULL), followUps: FULL.followUps.map((f) => ({ ...f, done: true })) };
  await rita.saveRegistration(caseId, allDone);
  t.equal(await stored(), null, 'every follow-up done: the day is cleared');
  t.strictSame((await rita.openCase(caseId)).registration, allDone, 'and the record is the new one');
  await rita.saveRegistration(caseId, emptyRegistration());
  t.equal(await stored(), null, 'an empty record: no day');
  t.strictSame((await rita.openCase(caseId)).registration, emptyRegistration(), 'the empty record round-trips');

  // Stored records that do not open as a valid record: the case opens, the registration is unreadable.
  const caseKey = await rita.caseKey(caseId);
  const unreadable: Array<[string, () => ReturnType<typeof encryptRecord>]> = [
    ['a record with an unknown kind', () => encryptRecord(caseKey, { ...clone(FULL), kind: 'gossip' }, registrationAd(caseId), REGISTRATION_BLOCK)],
    ['a record with a category of the other track', () => encryptRecord(caseKey, { ...clone(FULL), categories: ['bullying'] }, registrationAd(caseId), REGISTRATION_BLOCK)],
    ['a string', () => encryptRecord(caseKey, 'een registratie', registrationAd(caseId), REGISTRATION_BLOCK)],
    ['a list', () => encryptRecord(caseKey, [clone(FULL)], registrationAd(caseId), REGISTRATION_BLOCK)],
    ["a record under another case's associated data", () => encryptRecord(caseKey, clone(FULL), registrationAd(other.caseId), REGISTRATION_BLOCK)],
    ['a record under another key', () => encryptRecord(sodium().randombytes_buf(32), clone(FULL), registrationAd(caseId), REGISTRATION_BLOCK)],
  ];
  for (const [what, envelope] of unreadable) {
    await client.putRegistration(rita.token, caseId, envelope(), '2026-06-01');
    const again = await rita.openCase(caseId);
    t.equal(again.registration, null, `${what}: registration null`);
    t.equal(again.registrationUnreadable, true, `${what}: registrationUnreadable`);
    t.same(again.report, report, `${what}: the case still opens, with its report`);
    t.equal(again.followUpOn, '2026-06-01', `${what}: the server's day is still shown`);
  }
  await client.putRegistration(rita.token, caseId, encryptRecord(caseKey, { v: 1, categories: ['integriteit/misstand'], outsideScope: 'werkdruk', referredTo: '' }, registrationAd(caseId), REGISTRATION_BLOCK));
  const firstShape = await rita.openCase(caseId);
  t.strictSame(firstShape.registration, { ...emptyRegistration(), track: 'integrity', categories: ['wrongdoing'], notes: 'Outside the scope: werkdruk' }, 'a stored first-shape record opens upgraded');
  t.equal(firstShape.registrationUnreadable, false, 'and is readable');
  caseKey.fill(0);

  await client.putRegistration(rita.token, caseId, unreadable[0]![1]());
  t.equal((await rita.openCase(caseId)).registrationUnreadable, true, 'unreadable again');
  await rita.saveRegistration(caseId, clone(FULL));
  const replaced = await rita.openCase(caseId);
  t.strictSame([replaced.registration, replaced.registrationUnreadable], [FULL, false], 'saving a valid record replaces the unreadable one');

  // Random valid records through the app: the record and the day the server keeps.
  await fc.assert(
    fc.asyncProperty(recordArb, async (record) => {
      await rita.saveRegistration(caseId, record);
      const back = await rita.openCase(caseId);
      assert.deepStrictEqual(back.registration, record);
      assert.equal(back.registrationUnreadable, false);
      assert.equal(await stored(), nextFollowUp(record));
      assert.equal(back.followUpOn, nextFollowUp(record));
    }),
    { numRuns: 15 },
  );
  t.pass('fifteen random records round-trip through the app, each with its follow-up day');
});
