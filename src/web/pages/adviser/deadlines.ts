/**
 * The two deadlines of a case (protocol-v1 §7) as sentences for people: acknowledge within 7
 * days of receipt, give feedback within 3 months of the acknowledgement.
 */
import type { OpenedCase } from '../../../protocol/index.js';

export interface DeadlineLine {
  /** The catalogue key of the sentence. */
  key: string;
  /** ISO times the sentence mentions: `date` (shown as a date) and `relative` (shown as "in 5 days"). */
  date: string;
  relative?: string;
  late: boolean;
}

type CaseTimes = Pick<OpenedCase, 'status' | 'receivedAt' | 'acknowledgedAt' | 'acknowledgeBy' | 'feedbackBy' | 'messages'>;

/** The latest adviser message, which counts as feedback when it comes after the acknowledgement. */
export function lastAdviserMessage(c: Pick<OpenedCase, 'messages'>): string | null {
  let last: string | null = null;
  for (const m of c.messages) {
    if (m.author === 'adviser' && (last === null || m.sentAt > last)) last = m.sentAt;
  }
  return last;
}

export function caseDeadlines(c: CaseTimes, now = Date.now()): DeadlineLine[] {
  const lines: DeadlineLine[] = [];
  const closed = c.status === 'closed';
  const past = (iso: string) => new Date(iso).getTime() < now;

  if (c.acknowledgedAt) lines.push({ key: 'adviser.deadline.ackDone', date: c.acknowledgedAt, late: false });
  else if (!closed) {
    const late = past(c.acknowledgeBy);
    lines.push({ key: late ? 'adviser.deadline.ackLate' : 'adviser.deadline.ackDue', date: c.acknowledgeBy, relative: c.acknowledgeBy, late });
  }

  const feedbackFrom = c.acknowledgedAt ?? c.receivedAt;
  const last = lastAdviserMessage(c);
  if (last && new Date(last).getTime() > new Date(feedbackFrom).getTime()) {
    lines.push({ key: 'adviser.deadline.feedbackDone', date: last, late: false });
  } else if (!closed) {
    const late = past(c.feedbackBy);
    lines.push({ key: late ? 'adviser.deadline.feedbackLate' : 'adviser.deadline.feedbackDue', date: c.feedbackBy, relative: c.feedbackBy, late });
  }

  if (closed) lines.push({ key: 'adviser.deadline.closed', date: c.receivedAt, late: false });
  return lines;
}
