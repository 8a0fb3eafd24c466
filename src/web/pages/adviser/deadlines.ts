/**
 * The two deadlines of a case (docs/protocol.md §7) as sentences for people: acknowledge within 7
 * days of receipt, give feedback within 3 months of the acknowledgement. Whether a step is late
 * is the protocol's one rule (src/protocol/deadlines.ts), which the server and the reporter's
 * mailbox use too; feedback is the message the adviser marked as such, nothing else.
 */
import { deadlines, followUpPassed } from '../../../protocol/deadlines.js';
import type { OpenedCase } from '../../../protocol/index.js';

export interface DeadlineLine {
  /** The catalogue key of the sentence. */
  key: string;
  /** ISO times the sentence mentions: `date` (shown as a date) and `relative` (shown as "in 5 days"). */
  date: string;
  relative?: string;
  late: boolean;
}

type CaseTimes = Pick<OpenedCase, 'status' | 'receivedAt' | 'acknowledgedAt' | 'acknowledgeBy' | 'feedbackBy' | 'feedbackGivenAt'> & { followUpOn?: string | null };

/** A calendar day as a time at its noon UTC: the same day wherever it is shown. */
export const dayTime = (day: string) => `${day}T12:00:00Z`;

const dateOrNull = (iso: string | null) => (iso === null ? null : new Date(iso));

export function caseDeadlines(c: CaseTimes, now = Date.now()): DeadlineLine[] {
  const due = deadlines(
    { status: c.status, receivedAt: new Date(c.receivedAt), acknowledgedAt: dateOrNull(c.acknowledgedAt), feedbackGivenAt: dateOrNull(c.feedbackGivenAt) },
    new Date(now),
  );
  const lines: DeadlineLine[] = [];
  const closed = c.status === 'closed';

  if (c.acknowledgedAt) lines.push({ key: 'adviser.deadline.ackDone', date: c.acknowledgedAt, late: false });
  else if (!closed) {
    const late = due.acknowledgeMissed;
    lines.push({ key: late ? 'adviser.deadline.ackLate' : 'adviser.deadline.ackDue', date: c.acknowledgeBy, relative: c.acknowledgeBy, late });
  }

  if (c.feedbackGivenAt) lines.push({ key: 'adviser.deadline.feedbackDone', date: c.feedbackGivenAt, late: false });
  else if (!closed) {
    const late = due.feedbackMissed;
    lines.push({ key: late ? 'adviser.deadline.feedbackLate' : 'adviser.deadline.feedbackDue', date: c.feedbackBy, relative: c.feedbackBy, late });
  }

  if (closed) lines.push({ key: 'adviser.deadline.closed', date: c.receivedAt, late: false });
  // The registration's next follow-up (an aftercare call, a hearing): shown for a closed case too, until it is done.
  if (c.followUpOn) {
    const passed = followUpPassed(c.followUpOn, new Date(now));
    lines.push({ key: passed ? 'adviser.deadline.followUpPassed' : 'adviser.deadline.followUp', date: dayTime(c.followUpOn), relative: dayTime(c.followUpOn), late: passed });
  }
  return lines;
}
