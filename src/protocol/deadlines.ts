/**
 * The legal deadlines of a case (docs/protocol.md §7), from the EU whistleblowing directive
 * (2019/1937, art. 9) and the Dutch Wet bescherming klokkenluiders: acknowledge within 7 days of
 * receipt; give feedback within 3 months of the acknowledgement (or of the end of those 7 days
 * when none was sent). Feedback is a deliberate act: the adviser marks the message that tells
 * the reporter how the report was assessed and what follows; any other message does not count.
 *
 * One rule for the server (the inbox's order and badges), the adviser's case page and the
 * reporter's mailbox, so that they cannot disagree.
 */
const DAY = 24 * 3600 * 1000;
export const ACKNOWLEDGE_DAYS = 7;
export const FEEDBACK_MONTHS = 3;

/** Adds calendar months in UTC; a day the target month lacks becomes its last day (31 Jan + 1 month = 28/29 Feb). */
export function addCalendarMonths(from: Date, months: number): Date {
  const target = new Date(from.getTime());
  const day = from.getUTCDate();
  target.setUTCDate(1);
  target.setUTCMonth(target.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return target;
}

export function acknowledgeBy(receivedAt: Date): Date {
  return new Date(receivedAt.getTime() + ACKNOWLEDGE_DAYS * DAY);
}

export function feedbackBy(receivedAt: Date, acknowledgedAt: Date | null): Date {
  return addCalendarMonths(acknowledgedAt ?? acknowledgeBy(receivedAt), FEEDBACK_MONTHS);
}

export interface CaseTimes {
  /** A closed case has no deadline left to miss. */
  status?: string;
  receivedAt: Date;
  acknowledgedAt: Date | null;
  /** When the adviser sent the message marked as the feedback; null until then. */
  feedbackGivenAt: Date | null;
}

export interface Deadlines {
  acknowledgeBy: Date;
  feedbackBy: Date;
  /** The acknowledgement is due and late (never for a closed case). */
  acknowledgeMissed: boolean;
  /** The feedback is due and late (never for a closed case). */
  feedbackMissed: boolean;
  /** A deadline has passed with its step not done. */
  overdue: boolean;
}

export function deadlines(times: CaseTimes, now: Date = new Date()): Deadlines {
  const ackBy = acknowledgeBy(times.receivedAt);
  const fbBy = feedbackBy(times.receivedAt, times.acknowledgedAt);
  const open = times.status !== 'closed';
  const acknowledgeMissed = open && times.acknowledgedAt === null && now > ackBy;
  const feedbackMissed = open && times.feedbackGivenAt === null && now > fbBy;
  return { acknowledgeBy: ackBy, feedbackBy: fbBy, acknowledgeMissed, feedbackMissed, overdue: acknowledgeMissed || feedbackMissed };
}

/**
 * Whether a follow-up day (YYYY-MM-DD, from the registration) has passed: only once the whole
 * day is over, wherever in the world it is, so a follow-up due today never shows as missed.
 */
export function followUpPassed(day: string, now: Date = new Date()): boolean {
  // The day ends at 24:00 UTC; the last time zones reach it 12 hours later.
  return now.getTime() > Date.parse(`${day}T00:00:00Z`) + 36 * 3600 * 1000;
}
