/**
 * The adviser's registration record of a contact (docs/protocol.md §4 "Registration record"),
 * after the model registration of the Dutch handbook for the vertrouwenspersoon: what kind of
 * contact, which track and categories, who the behaviour came from, what the adviser did, the
 * support toward a solution, aftercare, time spent and outcome. Encrypted under the case key like
 * every plaintext; the annual report counts these in the adviser's browser.
 *
 * Every value the annual report counts is a closed list, never free text, so that counting cannot
 * leak a name; `notes` is the adviser's own and is never counted or relayed.
 *
 * Versions: `format: 'registration-1'` is this record. A record without `format` is the form's
 * first shape (`categories` as `group/item`, free-text `outsideScope` and `referredTo`); it
 * still opens, upgraded by `readRegistration`.
 */
import { ProtocolError } from './errors.js';

export const REGISTRATION_FORMAT = 'registration-1';

export const CONTACT_KINDS = ['report', 'question', 'advice', 'complaint'] as const;
/** How the contact reached the adviser (the EU directive lets a reporter report by phone or in a meeting). */
export const CONTACT_CHANNELS = ['web', 'phone', 'meeting', 'email', 'other'] as const;
/** Undesirable behaviour: the reporter decides every step. Integrity: a wrong that may be investigated. */
export const TRACKS = ['undesirable-behaviour', 'integrity'] as const;
export const CATEGORIES = {
  'undesirable-behaviour': ['sexual-harassment', 'aggression-violence', 'bullying', 'discrimination', 'other-undesirable'],
  integrity: [
    'wrongdoing',
    'fraud-theft',
    'conflict-of-interest',
    'abuse-of-power',
    'information',
    'misuse-of-resources',
    'irregularity',
    'other-integrity',
  ],
} as const satisfies Record<(typeof TRACKS)[number], readonly string[]>;
export const ALL_CATEGORIES = [...CATEGORIES['undesirable-behaviour'], ...CATEGORIES.integrity] as const;
export const SOURCES = ['colleague', 'manager', 'client', 'other'] as const;
export const ACTIONS = ['listened', 'advised', 'referred', 'mediated-informally', 'accompanied'] as const;
export const REFERRALS = ['company-doctor', 'hr', 'mediator', 'police', 'legal-aid', 'whistleblowers-authority', 'other'] as const;
export const SUPPORT_KINDS = ['informal-solution', 'formal-complaint', 'complaints-committee', 'investigation'] as const;
export const SUPPORT_OUTCOMES = ['pending', 'resolved', 'upheld', 'not-upheld', 'withdrawn'] as const;
export const OUTSIDE_SCOPE = ['work-pressure', 'reorganisation', 'employment-terms', 'work-conflict', 'private', 'other'] as const;
export const OUTCOMES = ['resolved', 'referred', 'complaint', 'investigation', 'no-further-action', 'withdrawn', 'ongoing'] as const;
/** A date to come back to the case: an aftercare call, a committee hearing. The earliest open one shows in the inbox. */
export const FOLLOW_UP_KINDS = ['aftercare', 'hearing', 'other'] as const;

/**
 * The report's answer that holds the minutes of a contact the adviser recorded (a phone call, a
 * meeting): the reporter reads and approves them in the mailbox.
 */
export const MINUTES_ANSWER = 'minutes';

/** The longest note. */
export const NOTES_MAX = 4000;
export const MINUTES_MAX = 100_000;
export const SUPPORT_MAX = 20;
export const FOLLOW_UPS_MAX = 50;
/** A location id from the channel's own list (never free text). */
export const LOCATION_ID = /^[a-z0-9][a-z0-9-]{0,39}$/;
/** A calendar day, YYYY-MM-DD. */
export const DAY = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

type OneOf<T extends readonly string[]> = T[number];

export interface Support {
  kind: OneOf<typeof SUPPORT_KINDS>;
  startedOn: string | null;
  endedOn: string | null;
  outcome: OneOf<typeof SUPPORT_OUTCOMES>;
}

export interface FollowUp {
  on: string;
  kind: OneOf<typeof FOLLOW_UP_KINDS>;
  done: boolean;
}

/** The record; its JSON schema is contract/registration-record.ts (the type there is checked to be this one). */
export interface Registration {
  v: 1;
  format: typeof REGISTRATION_FORMAT;
  kind: OneOf<typeof CONTACT_KINDS> | null;
  contactBy: OneOf<typeof CONTACT_CHANNELS> | null;
  track: OneOf<typeof TRACKS> | null;
  categories: Array<OneOf<typeof ALL_CATEGORIES>>;
  sources: Array<OneOf<typeof SOURCES>>;
  location: string | null;
  actions: Array<OneOf<typeof ACTIONS>>;
  referredTo: Array<OneOf<typeof REFERRALS>>;
  support: Support[];
  followUps: FollowUp[];
  outsideScope: Array<OneOf<typeof OUTSIDE_SCOPE>>;
  minutes: number | null;
  outcome: OneOf<typeof OUTCOMES> | null;
  notes: string;
}

export function emptyRegistration(): Registration {
  return {
    v: 1,
    format: REGISTRATION_FORMAT,
    kind: null,
    contactBy: null,
    track: null,
    categories: [],
    sources: [],
    location: null,
    actions: [],
    referredTo: [],
    support: [],
    followUps: [],
    outsideScope: [],
    minutes: null,
    outcome: null,
    notes: '',
  };
}

/** A calendar day written YYYY-MM-DD that exists (2026-02-30 does not). */
export function isCalendarDay(day: string): boolean {
  if (!DAY.test(day)) return false;
  const year = Number(day.slice(0, 4));
  const month = Number(day.slice(5, 7));
  const date = Number(day.slice(8, 10));
  if (month < 1 || month > 12 || date < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return date <= (month === 2 ? (leap ? 29 : 28) : DAYS_IN_MONTH[month - 1]!);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Characters as JSON Schema's maxLength counts them (code points, not UTF-16 units), up to `max` + 1. */
function codePointsUpTo(text: string, max: number): number {
  // A string of at most `max` UTF-16 units has at most that many code points: no need to count.
  if (text.length <= max) return text.length;
  let count = 0;
  for (let i = 0; i < text.length && count <= max; i++, count++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  return count;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Checks one object's fields, as `path: problem` lines. Written out by hand rather than with the
 * schema's validator: this runs in the worker, and the web bundle stays free of TypeBox (the
 * schema and this check are tested to agree, test/protocol/registration.test.ts).
 */
function fieldProblems(value: unknown, path: string, fields: Record<string, (v: unknown, path: string) => string[]>): string[] {
  if (!isObject(value)) return [`${path || '/'}: must be an object`];
  // Own keys only: `key in` would find toString or __proto__ on the prototype.
  const extra = Object.keys(value).filter((key) => !Object.hasOwn(fields, key)).map((key) => `${path}/${key}: not a field of the record`);
  return [...extra, ...Object.entries(fields).flatMap(([key, check]) => (Object.hasOwn(value, key) ? check(value[key], `${path}/${key}`) : [`${path}/${key}: missing`]))];
}

const oneOf = (values: readonly string[], nullable: boolean) => (v: unknown, path: string) =>
  (v === null && nullable) || (typeof v === 'string' && values.includes(v)) ? [] : [`${path}: must be one of ${values.join(', ')}${nullable ? ' or null' : ''}`];
const someOf = (values: readonly string[]) => (v: unknown, path: string) => {
  if (!Array.isArray(v)) return [`${path}: must be a list`];
  if (new Set(v).size !== v.length) return [`${path}: a value is listed twice`];
  return v.flatMap((item, i) => oneOf(values, false)(item, `${path}/${i}`));
};
const day = (nullable: boolean) => (v: unknown, path: string) =>
  (v === null && nullable) || (typeof v === 'string' && isCalendarDay(v)) ? [] : [`${path}: must be a calendar day (YYYY-MM-DD)${nullable ? ' or null' : ''}`];
const listOf = (max: number, item: (v: unknown, path: string) => string[]) => (v: unknown, path: string) => {
  if (!Array.isArray(v)) return [`${path}: must be a list`];
  if (v.length > max) return [`${path}: at most ${max} entries`];
  return v.flatMap((entry, i) => item(entry, `${path}/${i}`));
};
const exactly = (expected: unknown) => (v: unknown, path: string) => (v === expected ? [] : [`${path}: must be ${JSON.stringify(expected)}`]);

const supportFields = {
  kind: oneOf(SUPPORT_KINDS, false),
  startedOn: day(true),
  endedOn: day(true),
  outcome: oneOf(SUPPORT_OUTCOMES, false),
};
const followUpFields = {
  on: day(false),
  kind: oneOf(FOLLOW_UP_KINDS, false),
  done: (v: unknown, path: string) => (typeof v === 'boolean' ? [] : [`${path}: must be true or false`]),
};
const recordFields = {
  v: exactly(1),
  format: exactly(REGISTRATION_FORMAT),
  kind: oneOf(CONTACT_KINDS, true),
  contactBy: oneOf(CONTACT_CHANNELS, true),
  track: oneOf(TRACKS, true),
  categories: someOf(ALL_CATEGORIES),
  sources: someOf(SOURCES),
  location: (v: unknown, path: string) => (v === null || (typeof v === 'string' && LOCATION_ID.test(v)) ? [] : [`${path}: must be a location id or null`]),
  actions: someOf(ACTIONS),
  referredTo: someOf(REFERRALS),
  support: listOf(SUPPORT_MAX, (v, path) => fieldProblems(v, path, supportFields)),
  followUps: listOf(FOLLOW_UPS_MAX, (v, path) => fieldProblems(v, path, followUpFields)),
  outsideScope: someOf(OUTSIDE_SCOPE),
  minutes: (v: unknown, path: string) =>
    v === null || (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= MINUTES_MAX) ? [] : [`${path}: must be whole minutes from 0 to ${MINUTES_MAX}, or null`],
  outcome: oneOf(OUTCOMES, true),
  // Characters as JSON Schema's maxLength counts them: code points, not UTF-16 units.
  notes: (v: unknown, path: string) => (typeof v === 'string' && codePointsUpTo(v, NOTES_MAX) <= NOTES_MAX ? [] : [`${path}: must be text of at most ${NOTES_MAX} characters`]),
};

/** What is wrong with a record, as `path: problem` lines; empty when it is a valid v1 record. */
export function registrationProblems(value: unknown): string[] {
  const problems = fieldProblems(value, '', recordFields);
  if (problems.length > 0) return problems;
  // Rules across fields, which a JSON schema does not say.
  const record = value as Registration;
  for (const [i, s] of record.support.entries()) {
    if (s.startedOn && s.endedOn && s.endedOn < s.startedOn) problems.push(`/support/${i}/endedOn: before startedOn`);
  }
  if (record.track !== null) {
    const allowed: readonly string[] = CATEGORIES[record.track];
    for (const c of record.categories) if (!allowed.includes(c)) problems.push(`/categories: ${c} is not in the ${record.track} track`);
  }
  if (record.referredTo.length > 0 && !record.actions.includes('referred')) problems.push('/referredTo: given without the action "referred"');
  return problems;
}

/** Throws ProtocolError('bad_registration') unless `value` is a valid v1 record: checked before encryption. */
export function checkRegistration(value: unknown): Registration {
  const problems = registrationProblems(value);
  if (problems.length > 0) throw new ProtocolError('bad_registration', `registration record: ${problems.slice(0, 5).join('; ')}`);
  return value as Registration;
}

/** The first form's `group/item` categories, by item. */
const FIRST_SHAPE_CATEGORIES: Record<string, { track: (typeof TRACKS)[number]; category: (typeof ALL_CATEGORIES)[number] }> = {
  'seksuele-intimidatie': { track: 'undesirable-behaviour', category: 'sexual-harassment' },
  'agressie-en-geweld': { track: 'undesirable-behaviour', category: 'aggression-violence' },
  pesten: { track: 'undesirable-behaviour', category: 'bullying' },
  discriminatie: { track: 'undesirable-behaviour', category: 'discrimination' },
  misstand: { track: 'integrity', category: 'wrongdoing' },
  onregelmatigheid: { track: 'integrity', category: 'irregularity' },
  'andere-integriteitskwestie': { track: 'integrity', category: 'other-integrity' },
};

function upgradeFirstShape(record: Record<string, unknown>): Registration {
  const listed = Array.isArray(record.categories) ? record.categories : typeof record.category === 'string' ? [record.category] : [];
  const known = listed
    .filter((c): c is string => typeof c === 'string')
    .map((c) => c.slice(c.indexOf('/') + 1))
    .flatMap((item) => (Object.hasOwn(FIRST_SHAPE_CATEGORIES, item) ? [FIRST_SHAPE_CATEGORIES[item] as (typeof FIRST_SHAPE_CATEGORIES)[string]] : []));
  const tracks = [...new Set(known.map((c) => c.track))];
  // One track only: a first-shape record that mixed both keeps its categories but no track.
  const track = tracks.length === 1 ? (tracks[0] ?? null) : null;
  const text = (key: string) => (typeof record[key] === 'string' ? (record[key] as string).trim() : '');
  const notes = [
    text('notes'),
    text('outsideScope') && `Outside the scope: ${text('outsideScope')}`,
    text('referredTo') && `Referred to: ${text('referredTo')}`,
  ].filter(Boolean);
  return checkRegistration({
    ...emptyRegistration(),
    track,
    categories: [...new Set(known.map((c) => c.category))],
    notes: [...notes.join('\n')].slice(0, NOTES_MAX).join(''),
  });
}

/**
 * A decrypted record as a v1 record: a v1 record is checked (ProtocolError 'bad_registration'
 * when it is not valid), a first-shape record upgraded, and anything else refused.
 */
export function readRegistration(value: unknown): Registration {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ProtocolError('bad_registration', 'a registration record is an object');
  const record = value as Record<string, unknown>;
  if (record.format === undefined && record.v === 1) return upgradeFirstShape(record);
  return checkRegistration(value);
}

/** The earliest follow-up not yet done, which the server keeps beside the case for the inbox (docs/protocol.md §8). */
export function nextFollowUp(record: Registration): string | null {
  const open = record.followUps.filter((f) => !f.done).map((f) => f.on).sort();
  return open[0] ?? null;
}
