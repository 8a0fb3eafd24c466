/**
 * The annual report's counting (protocol/annual-report/aggregate.ts): each table counted from
 * hand-made cases, the period's quarters and the period before, and, over random cases, that a
 * published report shows only true counts, nothing from 1 to t − 1, and one total for all tables.
 */
import fc from 'fast-check';
import t from 'tap';
import {
  countPeriod, isPublishedReport, LOCATION_TABLE, NOT_RECORDED, previousPeriod, publishReport, quartersOf, REMOVED_LOCATION, TABLES, type PeriodCase
} from '../../src/protocol/annual-report/aggregate.js';
import {
  ACTIONS, CATEGORIES, CONTACT_CHANNELS, CONTACT_KINDS, emptyRegistration, OUTCOMES, SOURCES, TRACKS, type Registration
} from '../../src/protocol/registration.js';
import { reportCsv } from '../../src/web/pages/adviser/annual-report-csv.js';

const YEAR = { from: '2026-01-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z' };
const NOW = new Date('2027-01-02T00:00:00Z');

const periodCase = (receivedAt: string, registration: Registration | null, times: Partial<PeriodCase> = {}): PeriodCase => ({
  channel: 'meldpunt',
  status: 'in_progress',
  receivedAt,
  acknowledgedAt: null,
  feedbackGivenAt: null,
  registration,
  ...times,
});

const rowsOf = (counts: ReturnType<typeof countPeriod>, id: string) => Object.fromEntries((counts.tables[id]?.rows ?? []).map((r) => [r.key, r.count]));

t.test('countPeriod counts each table from the records and the server dates', async (t) => {
  const fraud: Registration = {
    ...emptyRegistration(),
    kind: 'report',
    contactBy: 'phone',
    track: 'integrity',
    categories: ['fraud-theft', 'abuse-of-power'],
    sources: ['manager'],
    actions: ['listened', 'referred'],
    referredTo: ['whistleblowers-authority'],
    support: [
      { kind: 'formal-complaint', startedOn: '2026-03-01', endedOn: null, outcome: 'pending' },
      { kind: 'formal-complaint', startedOn: '2026-04-01', endedOn: null, outcome: 'upheld' },
    ],
    followUps: [{ on: '2026-05-01', kind: 'aftercare', done: true }],
    minutes: 90,
    outcome: 'complaint',
  };
  const cases = [
    periodCase('2026-01-05T10:00:00.000Z', fraud, { acknowledgedAt: '2026-01-08T10:00:00.000Z', feedbackGivenAt: '2026-03-01T10:00:00.000Z' }),
    periodCase('2026-05-05T10:00:00.000Z', { ...emptyRegistration(), kind: 'question', minutes: 15 }, { acknowledgedAt: '2026-05-20T10:00:00.000Z' }),
    periodCase('2026-12-30T10:00:00.000Z', null),
    periodCase('2026-11-01T10:00:00.000Z', null, { status: 'closed' }),
    periodCase('2025-12-31T23:59:59.000Z', fraud, {}),
    periodCase('2027-01-01T00:00:00.000Z', fraud, {}),
  ];
  const counts = countPeriod(cases, YEAR, NOW);
  t.equal(counts.cases, 4, 'from inclusive, to exclusive');
  t.equal(counts.registered, 2);
  t.equal(counts.minutes, 105);
  t.same(Object.keys(counts.tables), TABLES.map((s) => s.id), 'every table, in order');
  t.same(rowsOf(counts, 'kind'), { report: 1, question: 1, advice: 0, complaint: 0, [NOT_RECORDED]: 2 });
  t.same(rowsOf(counts, 'contactBy'), { web: 0, phone: 1, meeting: 0, email: 0, other: 0, [NOT_RECORDED]: 3 });
  t.equal(rowsOf(counts, 'categories')['fraud-theft'], 1);
  t.equal(rowsOf(counts, 'categories')['abuse-of-power'], 1);
  t.same(rowsOf(counts, 'support'), { 'informal-solution': 0, 'formal-complaint': 1, 'complaints-committee': 0, investigation: 0 }, 'a case counts once per kind of step');
  t.same(rowsOf(counts, 'supportOutcome'), { pending: 1, resolved: 0, upheld: 1, 'not-upheld': 0, withdrawn: 0 });
  t.same(rowsOf(counts, 'aftercare'), { 'with-aftercare': 1, 'without-aftercare': 3 });
  t.same(rowsOf(counts, 'quarter'), { '2026-Q1': 1, '2026-Q2': 1, '2026-Q3': 0, '2026-Q4': 2 });
  t.same(rowsOf(counts, 'acknowledgement'), { 'in-time': 1, late: 1, 'not-done': 1, 'not-yet-due': 1 }, 'late after 7 days; the closed one not done; the last one still runs');
  t.same(rowsOf(counts, 'feedback'), { 'in-time': 1, late: 0, 'not-done': 2, 'not-yet-due': 1 });
  for (const spec of TABLES) {
    const table = counts.tables[spec.id];
    if (table?.additive) t.equal(table.rows.reduce((s, r) => s + r.count, 0), 4, `${spec.id}: every case counts once`);
  }
});

t.test('quarters and the period before', async (t) => {
  t.same(quartersOf(YEAR), ['2026-Q1', '2026-Q2', '2026-Q3', '2026-Q4']);
  t.same(quartersOf({ from: '2026-02-15T00:00:00.000Z', to: '2026-07-01T00:00:00.000Z' }), ['2026-Q1', '2026-Q2']);
  t.same(quartersOf({ from: '2026-11-01T00:00:00.000Z', to: '2027-02-01T00:00:00.000Z' }), ['2026-Q4', '2027-Q1']);
  t.same(previousPeriod(YEAR), { from: '2025-01-01T00:00:00.000Z', to: YEAR.from }, 'a calendar year before a calendar year');
  t.same(previousPeriod({ from: '2026-03-01T00:00:00.000Z', to: '2026-03-11T00:00:00.000Z' }), { from: '2026-02-19T00:00:00.000Z', to: '2026-03-01T00:00:00.000Z' }, 'otherwise the same length');
});

t.test('publishReport: one total for every table, hidden everywhere when one table needs it', async (t) => {
  // Five reports and one unregistered case: 1 + (≥ 5) = 6 would pin the 1, so the total goes, in every table.
  const report = { ...emptyRegistration(), kind: 'report' as const };
  const cases = [...Array.from({ length: 5 }, () => periodCase('2026-03-01T10:00:00.000Z', report)), periodCase('2026-03-01T10:00:00.000Z', null)];
  const published = publishReport(countPeriod(cases, YEAR, NOW), countPeriod(cases, previousPeriod(YEAR), NOW));
  t.same(published.current.cases, { kind: 'hidden' });
  t.ok(published.current.tables.every((table) => table.total.kind === 'hidden' && table.suppressed), 'no table shows the total');
  t.same(published.previous.cases, { kind: 'count', value: 0 });
  t.equal(published.current.hours, 0, 'six cases: time is shown (no minutes recorded)');

  const small = publishReport(countPeriod(cases.slice(0, 3), YEAR, NOW), countPeriod([], previousPeriod(YEAR), NOW));
  t.same(small.current.cases, { kind: 'below', threshold: 5 });
  t.equal(small.current.hours, null, 'fewer cases than the threshold: no time spent');
});

const registrationArbitrary: fc.Arbitrary<Registration | null> = fc.option(
  fc.record({
    kind: fc.constantFrom(null, ...CONTACT_KINDS),
    contactBy: fc.constantFrom(null, ...CONTACT_CHANNELS),
    track: fc.constantFrom(null, ...TRACKS),
    sources: fc.subarray([...SOURCES]),
    actions: fc.subarray([...ACTIONS]),
    outcome: fc.constantFrom(null, ...OUTCOMES),
    pick: fc.nat(),
  }).map(({ pick, ...r }) => ({
    ...emptyRegistration(),
    ...r,
    categories: r.track === null ? [] : [CATEGORIES[r.track][pick % CATEGORIES[r.track].length] as Registration['categories'][number]],
  })),
  { freq: 5 },
);

const caseArbitrary = fc.record({
  day: fc.integer({ min: 0, max: 729 }),
  registration: registrationArbitrary,
  acknowledgedAfterDays: fc.option(fc.integer({ min: 0, max: 20 })),
  closed: fc.boolean(),
}).map(({ day, registration, acknowledgedAfterDays, closed }) => {
  const received = new Date(Date.UTC(2025, 0, 1, 10) + day * 86_400_000);
  return periodCase(received.toISOString(), registration, {
    status: closed ? 'closed' : 'in_progress',
    acknowledgedAt: acknowledgedAfterDays === null ? null : new Date(received.getTime() + acknowledgedAfterDays * 86_400_000).toISOString(),
  });
});

t.test('over random cases, a published report shows true counts, nothing small, and one total', async (t) => {
  fc.assert(
    fc.property(fc.array(caseArbitrary, { maxLength: 60 }), fc.integer({ min: 3, max: 8 }), (cases, threshold) => {
      const counts = countPeriod(cases, YEAR, NOW);
      const previous = countPeriod(cases, previousPeriod(YEAR), NOW);
      const published = publishReport(counts, previous, threshold);
      for (const [period, raw] of [[published.current, counts], [published.previous, previous]] as const) {
        const totals = new Set(period.tables.filter((x) => x.additive).map((x) => JSON.stringify(x.total)));
        if (totals.size > 1 || JSON.stringify(period.cases) !== [...totals][0]) return false;
        for (const table of period.tables) {
          const truth = raw.tables[table.id]?.rows ?? [];
          for (const [i, row] of table.rows.entries()) {
            const count = truth[i]?.count;
            if (row.shown.kind === 'count' && (row.shown.value !== count || (count > 0 && count < threshold))) return false;
            if (row.shown.kind === 'below' && !(count !== undefined && count > 0 && count < threshold)) return false;
          }
        }
      }
      return true;
    }),
    { numRuns: 300 },
  );
  t.pass('300 random reports');
});

t.test('the CSV holds the published values and nothing else', async (t) => {
  const registration = { ...emptyRegistration(), kind: 'report' as const, sources: ['colleague' as const] };
  const cases = [...Array.from({ length: 9 }, () => periodCase('2026-03-01T10:00:00.000Z', registration)), periodCase('2026-03-01T10:00:00.000Z', { ...registration, kind: 'question' })];
  const report = publishReport(countPeriod(cases, YEAR, NOW), countPeriod(cases, previousPeriod(YEAR), NOW));
  const label = (table: string, key: string) => `${table}:${key}`;
  const words = (key: string) => ({ 'adviser.annual.csvSeparator': ';', 'adviser.annual.total': 'Total' })[key] ?? key;
  const csv = reportCsv(report, label, words);
  const lines = csv.replace(/^\ufeff/, '').trimEnd().split('\r\n');
  t.equal(lines[0], 'adviser.annual.csvTable;adviser.annual.csvRow;adviser.annual.thisPeriod;adviser.annual.previousPeriod');
  t.ok(lines.includes('adviser.annual.table.kind;kind:report;•;0'), 'nine reports hidden beside one question');
  t.ok(lines.includes('adviser.annual.table.kind;kind:question;< 5;0'));
  t.ok(lines.includes('adviser.annual.table.kind;Total;10;0'));
  t.ok(lines.includes('adviser.annual.table.sources;sources:colleague;10;0'), 'a table of several rows has no total line');
  t.notOk(lines.some((line) => line.startsWith('adviser.annual.table.sources;Total')));
  t.ok(lines.includes('adviser.annual.table.quarter;quarter:2026-Q1;10;'), "quarters are not set beside the previous period's");
  t.equal(reportCsv(report, (_, key) => `a "quoted"; ${key}`, words).split('\r\n')[1]?.split(';"')[1]?.startsWith('a ""quoted""'), true, 'fields with quotes or separators are quoted');
});

t.test('isPublishedReport: the shape an organisation renders, and never a small count', async (t) => {
  const cases = Array.from({ length: 12 }, () => periodCase('2026-03-01T10:00:00.000Z', { ...emptyRegistration(), kind: 'report' as const }));
  const published = publishReport(countPeriod(cases, YEAR, NOW), countPeriod([], previousPeriod(YEAR), NOW));
  t.ok(isPublishedReport(published), 'a published report');
  t.ok(isPublishedReport(JSON.parse(JSON.stringify(published))), 'also after JSON');
  const small = structuredClone(published);
  const row = small.current.tables[0]?.rows[0];
  if (row) row.shown = { kind: 'count', value: 3 };
  t.notOk(isPublishedReport(small), 'a count from 1 to t − 1 shown as a number is refused');
  t.notOk(isPublishedReport({ ...published, threshold: 2 }), 'a threshold below 3 is refused');
  t.notOk(isPublishedReport({ ...published, current: { ...published.current, tables: [{ id: 'kind' }] } }), 'a table without rows is refused');
  t.notOk(isPublishedReport(null));
});

const LOCATIONS = [
  { id: 'utrecht', name: 'Vestiging Utrecht' },
  { id: 'inkoop', name: 'Afdeling Inkoop' },
];
const at = (location: string | null) => ({ ...emptyRegistration(), location });

t.test('the location table: only for channels with a list; its rows the lists, removed ids and not recorded', async (t) => {
  const cases = [
    periodCase('2026-02-01T10:00:00.000Z', at('utrecht')),
    periodCase('2026-03-01T10:00:00.000Z', at('utrecht')),
    periodCase('2026-04-01T10:00:00.000Z', at('inkoop')),
    periodCase('2026-05-01T10:00:00.000Z', at(null)),
    periodCase('2026-06-01T10:00:00.000Z', null),
    periodCase('2025-06-01T10:00:00.000Z', at('inkoop')),
  ];
  t.notOk(LOCATION_TABLE in countPeriod(cases, YEAR, NOW).tables, 'without lists: no location table');
  t.notOk(LOCATION_TABLE in countPeriod(cases, YEAR, NOW, { locations: [] }).tables, 'with empty lists: none either');
  t.notOk(TABLES.some((spec) => spec.id === LOCATION_TABLE), 'it is not one of the tables every report has');

  const counts = countPeriod(cases, YEAR, NOW, { locations: LOCATIONS });
  t.same(Object.keys(counts.tables), [...TABLES.map((s) => s.id), LOCATION_TABLE], 'the location table comes after the others');
  t.same(counts.tables[LOCATION_TABLE]?.rows, [
    { key: 'utrecht', count: 2 },
    { key: 'inkoop', count: 1 },
    { key: NOT_RECORDED, count: 2 },
  ], "the list's ids in its order, then not recorded (no record, or none chosen); the other period's case left out");
  t.equal(counts.tables[LOCATION_TABLE]?.additive, true, 'additive: one location per case');
  t.equal(counts.tables[LOCATION_TABLE]?.total, 5);
  t.same(counts.labels, { [LOCATION_TABLE]: { utrecht: 'Vestiging Utrecht', inkoop: 'Afdeling Inkoop' } }, 'the names of its rows');
  t.same(rowsOf(countPeriod(cases, previousPeriod(YEAR), NOW, { locations: LOCATIONS }), LOCATION_TABLE), { utrecht: 0, inkoop: 1, [NOT_RECORDED]: 0 }, 'the period before, with the same rows');

  // An id taken off the list: one "removed" row, in both periods alike, whichever period holds the case.
  const withRemoved = [...cases, periodCase('2025-07-01T10:00:00.000Z', at('oud-kantoor'))];
  for (const period of [YEAR, previousPeriod(YEAR)]) {
    t.same(
      countPeriod(withRemoved, period, NOW, { locations: LOCATIONS }).tables[LOCATION_TABLE]?.rows.map((r) => r.key),
      ['utrecht', 'inkoop', REMOVED_LOCATION, NOT_RECORDED],
      `${period.from.slice(0, 4)}: the removed row is there for both periods`,
    );
  }
  t.equal(rowsOf(countPeriod(withRemoved, previousPeriod(YEAR), NOW, { locations: LOCATIONS }), LOCATION_TABLE)[REMOVED_LOCATION], 1, 'counted there');

  // Two channels' lists: an id on both is one row, named as on the first; reserved keys never become rows.
  const two = countPeriod(cases, YEAR, NOW, {
    locations: [...LOCATIONS, { id: 'utrecht', name: 'Utrecht (tweede lijst)' }, { id: 'zwolle', name: 'Zwolle' }, { id: NOT_RECORDED, name: 'x' }, { id: REMOVED_LOCATION, name: 'y' }],
  });
  t.same(two.tables[LOCATION_TABLE]?.rows.map((r) => r.key), ['utrecht', 'inkoop', 'zwolle', NOT_RECORDED], 'one row per id');
  t.same(two.labels[LOCATION_TABLE], { utrecht: 'Vestiging Utrecht', inkoop: 'Afdeling Inkoop', zwolle: 'Zwolle' }, 'the first name of an id');
  t.same(rowsOf(two, LOCATION_TABLE), { utrecht: 2, inkoop: 1, zwolle: 0, [NOT_RECORDED]: 2 });

  // An id that is a name of Object.prototype is a row like any other.
  const odd = countPeriod([periodCase('2026-02-01T10:00:00.000Z', at('constructor'))], YEAR, NOW, { locations: [{ id: 'tostring', name: 'T' }] });
  t.same(odd.tables[LOCATION_TABLE]?.rows, [{ key: 'tostring', count: 0 }, { key: REMOVED_LOCATION, count: 1 }, { key: NOT_RECORDED, count: 0 }], 'an unlisted "constructor" counts as removed');
});

t.test('the published location table: suppressed like the others, sharing their total, with the names of its rows', async (t) => {
  const cases = [
    ...Array.from({ length: 6 }, () => periodCase('2026-02-01T10:00:00.000Z', at('utrecht'))),
    ...Array.from({ length: 2 }, () => periodCase('2026-02-01T10:00:00.000Z', at('inkoop'))),
    ...Array.from({ length: 5 }, () => periodCase('2026-02-01T10:00:00.000Z', at(null))),
  ];
  const options = { locations: LOCATIONS };
  const report = publishReport(countPeriod(cases, YEAR, NOW, options), countPeriod(cases, previousPeriod(YEAR), NOW, options));
  const table = report.current.tables.find((x) => x.id === LOCATION_TABLE);
  t.ok(table, 'published');
  t.same(table?.labels, { utrecht: 'Vestiging Utrecht', inkoop: 'Afdeling Inkoop' }, 'with its labels');
  t.same(table?.rows.find((r) => r.key === 'inkoop')?.shown, { kind: 'below', threshold: 5 }, 'two cases: below the threshold');
  t.ok(table?.suppressed);
  const totals = new Set(report.current.tables.filter((x) => x.additive).map((x) => JSON.stringify(x.total)));
  t.equal(totals.size, 1, 'one total for every additive table, the location table too');
  t.same(JSON.parse([...totals][0] ?? 'null'), report.current.cases);
  t.notOk(report.current.tables.some((x) => x.id !== LOCATION_TABLE && 'labels' in x), 'only the location table carries labels');
  t.equal(report.previous.tables.find((x) => x.id === LOCATION_TABLE)?.rows.length, table?.rows.length, 'the period before has the same rows');
  t.ok(isPublishedReport(report), 'a report with labels has the published shape');
  t.ok(isPublishedReport(JSON.parse(JSON.stringify(report))), 'also after JSON');
  for (const labels of [['utrecht'], { utrecht: 1 }, null, 'Utrecht']) {
    const copy = structuredClone(report) as unknown as { current: { tables: Array<{ id: string; labels?: unknown }> } };
    const located = copy.current.tables.find((x) => x.id === LOCATION_TABLE);
    if (located) located.labels = labels;
    t.notOk(isPublishedReport(copy), `labels ${JSON.stringify(labels)}: not the published shape`);
  }
});

t.test('over random cases with locations, the published location table shows true counts, nothing small, and the shared total', async (t) => {
  const locationArbitrary = fc.record({
    day: fc.integer({ min: 0, max: 729 }),
    location: fc.option(fc.constantFrom('utrecht', 'inkoop', 'oud'), { freq: 3 }),
    registered: fc.boolean(),
  }).map(({ day, location, registered }) => periodCase(new Date(Date.UTC(2025, 0, 1, 10) + day * 86_400_000).toISOString(), registered ? at(location) : null));
  fc.assert(
    fc.property(fc.array(locationArbitrary, { maxLength: 60 }), fc.integer({ min: 3, max: 8 }), (cases, threshold) => {
      const options = { locations: LOCATIONS };
      const counts = countPeriod(cases, YEAR, NOW, options);
      const previous = countPeriod(cases, previousPeriod(YEAR), NOW, options);
      const published = publishReport(counts, previous, threshold);
      const rowsIn = (tables: typeof published.current.tables) => tables.find((x) => x.id === LOCATION_TABLE)?.rows.map((r) => r.key).join();
      if (rowsIn(published.current.tables) !== rowsIn(published.previous.tables)) return false;
      for (const [period, raw] of [[published.current, counts], [published.previous, previous]] as const) {
        const table = period.tables.find((x) => x.id === LOCATION_TABLE);
        const truth = raw.tables[LOCATION_TABLE]?.rows ?? [];
        if (!table || table.rows.length !== truth.length) return false;
        if (truth.reduce((sum, row) => sum + row.count, 0) !== raw.cases) return false;
        if (JSON.stringify(table.total) !== JSON.stringify(period.cases)) return false;
        for (const [i, row] of table.rows.entries()) {
          const count = truth[i]?.count;
          if (row.key !== truth[i]?.key) return false;
          if (row.shown.kind === 'count' && (row.shown.value !== count || (count > 0 && count < threshold))) return false;
          if (row.shown.kind === 'below' && !(count !== undefined && count > 0 && count < threshold)) return false;
        }
      }
      return isPublishedReport(published);
    }),
    { numRuns: 300 },
  );
  t.pass('300 random reports');
});
