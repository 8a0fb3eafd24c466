/** What the ciphertexts of §4 hold once opened, with guards for data read back. */
import type { IsoTime } from './wire.js';

export interface ReportPlaintext {
  v: 1;
  lang: string;
  answers: Record<string, unknown>;
  anonymity: 'anonymous' | 'confidential';
  /** Present only when the reporter chose to be known to the adviser (`confidential`). */
  identity?: Record<string, unknown>;
}

export interface MessagePlaintext {
  v: 1;
  body: string;
  sentAt: IsoTime;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isReportPlaintext(value: unknown): value is ReportPlaintext {
  if (!isObject(value)) return false;
  if (value.v !== 1 || typeof value.lang !== 'string' || !isObject(value.answers)) return false;
  if (value.anonymity === 'anonymous') return value.identity === undefined;
  if (value.anonymity === 'confidential') return value.identity === undefined || isObject(value.identity);
  return false;
}

export function isMessagePlaintext(value: unknown): value is MessagePlaintext {
  return isObject(value) && value.v === 1 && typeof value.body === 'string' && typeof value.sentAt === 'string';
}
