/**
 * Reporter-side times are kept and shown only to the whole UTC hour: a finer time, set beside
 * network logs, could tie a reporter's action to a person. Every such time passes through here.
 */
export const HOUR_MS = 3600 * 1000;
const MINUTE_MS = 60 * 1000;

/** The start of the UTC hour that holds `date` (UTC offsets are whole hours or half hours: floor in UTC, not local time). */
export function toHour(date: Date): Date {
  return new Date(Math.floor(date.getTime() / HOUR_MS) * HOUR_MS);
}

/** The first whole UTC hour at or after `date`. */
export function toNextHour(date: Date): Date {
  return new Date(Math.ceil(date.getTime() / HOUR_MS) * HOUR_MS);
}

/** The start of the UTC minute that holds `date`: the finest time a log line of a reporter route may carry. */
export function toMinute(date: Date): Date {
  return new Date(Math.floor(date.getTime() / MINUTE_MS) * MINUTE_MS);
}
