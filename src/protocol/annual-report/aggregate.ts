/**
 * The numbers of the annual report (jaarverslag), counted from decrypted registrations in the
 * adviser's browser: the server cannot count what it cannot read. Every table counts cases
 * received in the period; a case counts once in an additive table (one answer, with "not
 * recorded") and in every row it ticks in a table of several answers. Response times come from
 * the server's case dates, measured with the one deadline rule (deadlines.ts).
 *
 * `publishReport` applies small-number suppression (suppression.ts) to every table. All additive
 * tables share the period's total, so when one table must hide it, it is hidden everywhere: a
 * total shown in one table would give back what another hid. Relations between tables other than
 * that shared total (a category count against its track) are inequalities, not sums, and are not
 * used by the suppression.
 *
 * The table of departments or locations (`location`) has the rows of the report's channels' own
 * lists (docs/protocol.md §4: the record's `location` is an id from the channel's list), so it is
 * counted only when those lists are given, and its published form names its rows (`labels`): the
 * organisation reading the report has no other way to know them.
 */
import { acknowledgeBy, feedbackBy } from '../deadlines.js';
import {
  ACTIONS, ALL_CATEGORIES, CONTACT_CHANNELS, CONTACT_KINDS, OUTCOMES, OUTSIDE_SCOPE, REFERRALS, SOURCES, SUPPORT_KINDS, SUPPORT_OUTCOMES, TRACKS,
  type Registration
} from '../registration.js';
import { DEFAULT_THRESHOLD, suppress, type CountTable, type Shown } from './suppression.js';

/** A case of the period as the report needs it: the server's dates and the decrypted record. */
export interface PeriodCase {
  channel: string;
  status: string;
  receivedAt: string;
  acknowledgedAt: string | null;
  feedbackGivenAt: string | null;
  /** Null when the case has no registration yet (or it could not be read). */
  registration: Registration | null;
}

export interface Period {
  /** Inclusive, ISO time. */
  from: string;
  /** Exclusive, ISO time. */
  to: string;
}

export const NOT_RECORDED = 'not-recorded';
/** The location table's row of ids no longer on their channel's list; no location id may be this (administration refuses it). */
export const REMOVED_LOCATION = 'removed';
/** The id of the table of departments or locations. */
export const LOCATION_TABLE = 'location';
export const TIMELINESS = ['in-time', 'late', 'not-done', 'not-yet-due'] as const;

interface TableSpec {
  id: string;
  additive: boolean;
  rows: (period: Period) => readonly string[];
  /** The rows a case counts in: one for an additive table. */
  pick: (c: PeriodCase, now: Date) => readonly string[];
}

const single = <T extends string>(values: readonly T[], of: (r: Registration) => T | null): Pick<TableSpec, 'additive' | 'rows' | 'pick'> => ({
  additive: true,
  rows: () => [...values, NOT_RECORDED],
  pick: (c) => [(c.registration && of(c.registration)) ?? NOT_RECORDED],
});

const several = <T extends string>(values: readonly T[], of: (r: Registration) => readonly T[]): Pick<TableSpec, 'additive' | 'rows' | 'pick'> => ({
  additive: false,
  rows: () => values,
  pick: (c) => (c.registration ? of(c.registration) : []),
});

/** The calendar quarters a period spans, as `2026-Q1`. */
export function quartersOf(period: Period): string[] {
  const quarters: string[] = [];
  const end = new Date(period.to).getTime();
  const at = new Date(period.from);
  let year = at.getUTCFullYear();
  let quarter = Math.floor(at.getUTCMonth() / 3);
  while (Date.UTC(year, quarter * 3, 1) < end) {
    quarters.push(`${year}-Q${quarter + 1}`);
    quarter += 1;
    if (quarter === 4) [year, quarter] = [year + 1, 0];
  }
  return quarters;
}

const quarterOf = (iso: string) => {
  const at = new Date(iso);
  return `${at.getUTCFullYear()}-Q${Math.floor(at.getUTCMonth() / 3) + 1}`;
};

/** Whether a step was done by its deadline, late, not at all (due passed or case closed), or is not yet due. */
function timeliness(doneAt: string | null, dueBy: Date, closed: boolean, now: Date): (typeof TIMELINESS)[number] {
  if (doneAt !== null) return new Date(doneAt) <= dueBy ? 'in-time' : 'late';
  return closed || now > dueBy ? 'not-done' : 'not-yet-due';
}

/** One entry of a channel's list of departments or locations. */
export interface ReportLocation {
  id: string;
  name: string;
}

/** What a report counts beyond the registrations and the server's dates. */
export interface CountOptions {
  /**
   * The departments or locations of the report's channels, their lists one after the other. An
   * id on several lists is one row, named as on the first. None: the report has no location table.
   */
  locations?: readonly ReportLocation[];
}

/**
 * The location table of a report over `all` its cases (both periods, so that both get the same
 * rows): the lists' ids, then "removed" when a case names an id no longer listed, then "not
 * recorded". Null without a list.
 */
function locationTable(all: readonly PeriodCase[], locations: readonly ReportLocation[]): { spec: TableSpec; labels: Record<string, string> } | null {
  const labels: Record<string, string> = {};
  for (const { id, name } of locations) {
    if (id !== NOT_RECORDED && id !== REMOVED_LOCATION && !Object.hasOwn(labels, id)) labels[id] = name;
  }
  const ids = Object.keys(labels);
  if (ids.length === 0) return null;
  const place = (c: PeriodCase): string => {
    const id = c.registration?.location ?? null;
    if (id === null) return NOT_RECORDED;
    return Object.hasOwn(labels, id) ? id : REMOVED_LOCATION;
  };
  const removed = all.some((c) => place(c) === REMOVED_LOCATION);
  const rows = [...ids, ...(removed ? [REMOVED_LOCATION] : []), NOT_RECORDED];
  return { spec: { id: LOCATION_TABLE, additive: true, rows: () => rows, pick: (c) => [place(c)] }, labels };
}

/** The tables every report counts; a report over channels with a list of locations adds the location table (CountOptions). */
export const TABLES: readonly TableSpec[] = [
  { id: 'kind', ...single(CONTACT_KINDS, (r) => r.kind) },
  { id: 'contactBy', ...single(CONTACT_CHANNELS, (r) => r.contactBy) },
  { id: 'track', ...single(TRACKS, (r) => r.track) },
  { id: 'categories', ...several(ALL_CATEGORIES, (r) => r.categories) },
  { id: 'sources', ...several(SOURCES, (r) => r.sources) },
  { id: 'actions', ...several(ACTIONS, (r) => r.actions) },
  { id: 'referredTo', ...several(REFERRALS, (r) => r.referredTo) },
  { id: 'support', ...several(SUPPORT_KINDS, (r) => [...new Set(r.support.map((s) => s.kind))]) },
  // Each support step's outcome, counted per case: a case counts once per outcome it reached.
  { id: 'supportOutcome', ...several(SUPPORT_OUTCOMES, (r) => [...new Set(r.support.map((s) => s.outcome))]) },
  { id: 'aftercare', additive: true, rows: () => ['with-aftercare', 'without-aftercare'], pick: (c) => [c.registration?.followUps.some((f) => f.kind === 'aftercare' && f.done) ? 'with-aftercare' : 'without-aftercare'] },
  { id: 'outsideScope', ...several(OUTSIDE_SCOPE, (r) => r.outsideScope) },
  { id: 'outcome', ...single(OUTCOMES, (r) => r.outcome) },
  { id: 'quarter', additive: true, rows: quartersOf, pick: (c) => [quarterOf(c.receivedAt)] },
  {
    id: 'acknowledgement',
    additive: true,
    rows: () => TIMELINESS,
    pick: (c, now) => [timeliness(c.acknowledgedAt, acknowledgeBy(new Date(c.receivedAt)), c.status === 'closed', now)],
  },
  {
    id: 'feedback',
    additive: true,
    rows: () => TIMELINESS,
    pick: (c, now) => {
      const received = new Date(c.receivedAt);
      const acknowledged = c.acknowledgedAt === null ? null : new Date(c.acknowledgedAt);
      return [timeliness(c.feedbackGivenAt, feedbackBy(received, acknowledged), c.status === 'closed', now)];
    },
  },
];

export interface PeriodCounts {
  period: Period;
  cases: number;
  registered: number;
  minutes: number;
  tables: Record<string, CountTable>;
  /** The names of a table's rows where the report's own lists give them (the location table), by table id. */
  labels: Record<string, Record<string, string>>;
}

/** Counts the cases of one period; cases outside it are ignored (but `all` decides whether the location table has its "removed" row). */
export function countPeriod(all: readonly PeriodCase[], period: Period, now: Date = new Date(), options: CountOptions = {}): PeriodCounts {
  const from = Date.parse(period.from);
  const to = Date.parse(period.to);
  const inPeriod = all.filter((c) => {
    const at = Date.parse(c.receivedAt);
    return at >= from && at < to;
  });
  const tables: Record<string, CountTable> = {};
  const labels: Record<string, Record<string, string>> = {};
  const location = locationTable(all, options.locations ?? []);
  if (location) labels[location.spec.id] = location.labels;
  for (const spec of location ? [...TABLES, location.spec] : TABLES) {
    const counts = new Map(spec.rows(period).map((key) => [key, 0]));
    for (const c of inPeriod) for (const key of spec.pick(c, now)) counts.set(key, (counts.get(key) ?? 0) + 1);
    tables[spec.id] = { rows: [...counts].map(([key, count]) => ({ key, count })), total: inPeriod.length, additive: spec.additive };
  }
  return {
    period,
    cases: inPeriod.length,
    registered: inPeriod.filter((c) => c.registration !== null).length,
    minutes: inPeriod.reduce((sum, c) => sum + (c.registration?.minutes ?? 0), 0),
    tables,
    labels,
  };
}

export interface PublishedRow {
  key: string;
  shown: Shown;
}

export interface PublishedCountTable {
  id: string;
  additive: boolean;
  rows: PublishedRow[];
  total: Shown;
  suppressed: boolean;
  /** The rows' names where the report's own lists give them (the location table): key → name. */
  labels?: Record<string, string>;
}

export interface PublishedPeriod {
  period: Period;
  cases: Shown;
  /** Hours spent, rounded; null when the period has fewer cases than the threshold (a sum over few cases says much about each). */
  hours: number | null;
  tables: PublishedCountTable[];
}

export interface PublishedReport {
  threshold: number;
  current: PublishedPeriod;
  previous: PublishedPeriod;
}

function publishPeriod(counts: PeriodCounts, threshold: number): PublishedPeriod {
  const tables: PublishedCountTable[] = Object.entries(counts.tables).map(([id, table]) => {
    const labels = counts.labels[id];
    return { id, additive: table.additive, ...suppress(table, threshold), ...(labels ? { labels } : {}) };
  });
  // One total for all tables: if any table had to hide it, none may show it.
  const hidden = tables.some((t) => t.total.kind === 'hidden');
  const cases: Shown = hidden ? { kind: 'hidden' } : counts.cases >= 1 && counts.cases < threshold ? { kind: 'below', threshold } : { kind: 'count', value: counts.cases };
  for (const table of tables) {
    table.total = cases;
    table.suppressed = table.suppressed || cases.kind !== 'count';
  }
  return { period: counts.period, cases, hours: counts.cases >= threshold ? Math.round(counts.minutes / 60) : null, tables };
}

/** The period immediately before, of the same length (a calendar year before a calendar year). */
export function previousPeriod(period: Period): Period {
  const from = new Date(period.from);
  const to = new Date(period.to);
  const isYear = from.getUTCMonth() === 0 && from.getUTCDate() === 1 && to.getUTCFullYear() === from.getUTCFullYear() + 1 && to.getUTCMonth() === 0 && to.getUTCDate() === 1;
  if (isYear) return { from: new Date(Date.UTC(from.getUTCFullYear() - 1, 0, 1)).toISOString(), to: period.from };
  return { from: new Date(from.getTime() - (to.getTime() - from.getTime())).toISOString(), to: period.from };
}

/** The suppressed tables of the period and of the one before it, ready to show, print, export or relay. */
export function publishReport(current: PeriodCounts, previous: PeriodCounts, threshold: number = DEFAULT_THRESHOLD): PublishedReport {
  return { threshold, current: publishPeriod(current, threshold), previous: publishPeriod(previous, threshold) };
}

const isShown = (value: unknown): value is Shown => {
  const shown = value as Shown | null;
  if (typeof shown !== 'object' || shown === null) return false;
  if (shown.kind === 'count') return Number.isSafeInteger(shown.value) && shown.value >= 0;
  if (shown.kind === 'below') return Number.isSafeInteger(shown.threshold);
  return shown.kind === 'hidden';
};

const isLabels = (value: unknown): value is Record<string, string> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((name) => typeof name === 'string');

/** A shown count is 0 or at least the threshold: a reader refuses tables that would show a small number. */
const isPublishedPeriod = (value: unknown, threshold: number): value is PublishedPeriod => {
  const period = value as PublishedPeriod | null;
  const suppressed = (shown: Shown) => shown.kind !== 'count' || shown.value === 0 || shown.value >= threshold;
  return (
    typeof period === 'object' && period !== null && typeof period.period?.from === 'string' && typeof period.period?.to === 'string' && isShown(period.cases) &&
    (period.hours === null || Number.isSafeInteger(period.hours)) && Array.isArray(period.tables) &&
    period.tables.every(
      (t) =>
        typeof t?.id === 'string' && typeof t.additive === 'boolean' && isShown(t.total) && suppressed(t.total) && (t.labels === undefined || isLabels(t.labels)) &&
        Array.isArray(t.rows) && t.rows.every((r) => typeof r?.key === 'string' && isShown(r.shown) && suppressed(r.shown)),
    ) &&
    suppressed(period.cases)
  );
};

/** Whether a decrypted value has the shape of a published report (what an organisation's client renders). */
export function isPublishedReport(value: unknown): value is PublishedReport {
  const report = value as PublishedReport | null;
  return (
    typeof report === 'object' && report !== null && Number.isSafeInteger(report.threshold) && report.threshold >= 3 &&
    isPublishedPeriod(report.current, report.threshold) && isPublishedPeriod(report.previous, report.threshold)
  );
}
