import t from 'tap';
import { toHour } from '../src/server/services/coarse-time.js';
import { acknowledgeBy, addCalendarMonths, deadlines, feedbackBy, followUpPassed } from '../src/protocol/index.js';

const d = (iso: string) => new Date(iso);

t.test('acknowledge within 7 days of receipt', async (t) => {
  t.equal(acknowledgeBy(d('2026-03-01T10:00:00.000Z')).toISOString(), '2026-03-08T10:00:00.000Z');
});

t.test('feedback 3 calendar months after the acknowledgement, or after the 7 days', async (t) => {
  t.equal(feedbackBy(d('2026-03-01T10:00:00Z'), d('2026-03-03T09:00:00Z')).toISOString(), '2026-06-03T09:00:00.000Z');
  t.equal(feedbackBy(d('2026-03-01T10:00:00Z'), null).toISOString(), '2026-06-08T10:00:00.000Z', 'from acknowledgeBy when none was sent');
});

t.test('calendar months clamp to the last day of a shorter month', async (t) => {
  t.equal(addCalendarMonths(d('2026-11-30T12:00:00Z'), 3).toISOString(), '2027-02-28T12:00:00.000Z');
  t.equal(addCalendarMonths(d('2027-11-30T12:00:00Z'), 3).toISOString(), '2028-02-29T12:00:00.000Z', 'leap year');
  t.equal(addCalendarMonths(d('2026-10-31T00:00:00Z'), 3).toISOString(), '2027-01-31T00:00:00.000Z');
  t.equal(addCalendarMonths(d('2026-12-31T23:59:59Z'), 3).toISOString(), '2027-03-31T23:59:59.000Z', 'across the year');
});

t.test('overdue when a step is not done by its deadline', async (t) => {
  const receivedAt = d('2026-03-01T10:00:00Z');
  const none = { receivedAt, acknowledgedAt: null, feedbackGivenAt: null };
  t.equal(deadlines(none, d('2026-03-08T09:59:59Z')).overdue, false, 'within the 7 days');
  t.match(deadlines(none, d('2026-03-08T10:00:01Z')), { overdue: true, acknowledgeMissed: true, feedbackMissed: false }, 'not acknowledged after 7 days');
  const acknowledged = { receivedAt, acknowledgedAt: d('2026-03-02T10:00:00Z'), feedbackGivenAt: null };
  t.equal(deadlines(acknowledged, d('2026-04-01T00:00:00Z')).overdue, false, 'acknowledged, feedback not yet due');
  t.match(deadlines(acknowledged, d('2026-06-02T10:00:01Z')), { overdue: true, acknowledgeMissed: false, feedbackMissed: true }, 'no feedback after three months');
  const answered = { ...acknowledged, feedbackGivenAt: d('2026-05-01T10:00:00Z') };
  t.equal(deadlines(answered, d('2026-07-01T00:00:00Z')).overdue, false, 'feedback given in time');
  const late = { ...acknowledged, feedbackGivenAt: d('2026-06-10T10:00:00Z') };
  t.equal(deadlines(late, d('2026-07-01T00:00:00Z')).overdue, false, 'feedback given late is given: nothing is left to miss');
  t.match(deadlines({ ...none, status: 'closed' }, d('2026-07-01T00:00:00Z')), { overdue: false, acknowledgeMissed: false, feedbackMissed: false }, 'a closed case misses nothing');
});

t.test('the rule sees only feedbackGivenAt: acknowledged without it, the feedback falls due', async (t) => {
  // The deadlines see only feedbackGivenAt, which the server sets for a message marked as the
  // feedback; an unmarked adviser message changes nothing (test/case-routes.test.ts holds the server to that).
  const acknowledged = { receivedAt: d('2026-03-01T10:00:00Z'), acknowledgedAt: d('2026-03-02T10:00:00Z'), feedbackGivenAt: null };
  t.match(deadlines(acknowledged, d('2026-06-02T10:00:01Z')), { feedbackMissed: true }, 'acknowledged and written to, but no feedback marked: late');
});

t.test('from the floored receipt, acknowledgeBy falls less than an hour early and never late', async (t) => {
  for (const received of ['2026-03-01T10:00:00.000Z', '2026-03-01T10:00:00.001Z', '2026-03-01T10:59:59.999Z', '2026-12-31T23:30:00.000Z']) {
    const exact = acknowledgeBy(d(received)).getTime();
    const kept = acknowledgeBy(toHour(d(received))).getTime();
    t.ok(kept <= exact && exact - kept < 3600 * 1000, `received ${received}: at most 59 minutes early`);
    t.ok(feedbackBy(toHour(d(received)), null) <= feedbackBy(d(received), null), `received ${received}: feedback not due later either`);
  }
});

t.test('a follow-up day has passed only once that day is over everywhere', async (t) => {
  t.notOk(followUpPassed('2026-06-01', new Date('2026-06-01T00:00:00Z')), 'the day itself');
  t.notOk(followUpPassed('2026-06-01', new Date('2026-06-01T23:59:00Z')), 'its last minute in UTC');
  t.notOk(followUpPassed('2026-06-01', new Date('2026-06-02T11:59:00Z')), 'still June 1st west of UTC');
  t.ok(followUpPassed('2026-06-01', new Date('2026-06-02T12:01:00Z')), 'over everywhere');
  t.ok(followUpPassed('2025-12-31', new Date('2026-06-01T00:00:00Z')));
});
