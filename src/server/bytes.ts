/**
 * Request fields that carry bytes arrive as base64url strings. The schemas check the alphabet
 * and exact lengths; these helpers check canonical encoding and padded sizes with the protocol
 * module's rules, and turn the text into bytes for storage. Each failure names its field.
 */
import { AEAD_TAG_BYTES, base64urlByteLength, isBase64url, isCalendarDay, isPaddedCiphertextLength } from '../protocol/index.js';
import { invalid, tooLarge } from './errors.js';

export function decodeBytes(value: string, field: string, byteLength?: number): Buffer {
  if (!isBase64url(value, byteLength)) {
    const size = byteLength === undefined ? '' : ` of ${byteLength} bytes`;
    throw invalid(`invalid_${field}`, `The field "${field}" must be canonical base64url without padding${size}.`);
  }
  return Buffer.from(value, 'base64url');
}

/** Ciphertext of a padded plaintext: a positive multiple of `block` plus the 16-byte tag, at most `maxPlaintext`. */
export function decodeCiphertext(value: string, field: string, block: number, maxPlaintext: number): Buffer {
  if (!isBase64url(value)) {
    throw invalid(`invalid_${field}`, `The field "${field}" must be canonical base64url without padding.`);
  }
  const length = base64urlByteLength(value);
  if (length - AEAD_TAG_BYTES > maxPlaintext) {
    throw tooLarge(`${field}_too_large`, `The field "${field}" is larger than this server accepts (${maxPlaintext} bytes padded).`);
  }
  if (!isPaddedCiphertextLength(length, block)) {
    throw invalid(`invalid_${field}`, `The field "${field}" must be a plaintext padded to a multiple of ${block} bytes, plus the 16-byte tag.`);
  }
  return Buffer.from(value, 'base64url');
}

export const encodeBytes = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');

/** An id that travels and is stored as text, but must be canonical base64url of `byteLength` bytes. */
export function checkId(value: string, field: string, byteLength: number): string {
  decodeBytes(value, field, byteLength);
  return value;
}

/** An encrypted record from a request: a 24-byte nonce and a padded ciphertext; `prefix` names its fields in errors. */
export const envelopeIn = (envelope: { nonce: string; ciphertext: string }, block: number, maxPlaintext: number, prefix = '') => ({
  nonce: decodeBytes(envelope.nonce, `${prefix}nonce`, 24),
  ciphertext: decodeCiphertext(envelope.ciphertext, `${prefix}ciphertext`, block, maxPlaintext),
});

/** An encrypted record for an answer. */
export const envelopeOut = (envelope: { nonce: Uint8Array; ciphertext: Uint8Array }) => ({
  nonce: encodeBytes(envelope.nonce),
  ciphertext: encodeBytes(envelope.ciphertext),
});

/** One message of a case's conversation, for the adviser's case and the reporter's mailbox alike. */
export const messageOut = (m: { id: string; author: 'reporter' | 'adviser'; sentAt: Date; feedback: boolean; nonce: Uint8Array; ciphertext: Uint8Array }) => ({
  id: m.id,
  author: m.author,
  sentAt: m.sentAt.toISOString(),
  feedback: m.feedback,
  ...envelopeOut(m),
});

/** A time for an answer, or null. */
export const timeOrNull = (time: Date | null) => time?.toISOString() ?? null;

/** A calendar day the schema let through by its pattern, checked to exist (2026-02-30 does not): 400 `invalid_<field>` otherwise. */
export function calendarDayOrNull(day: string | null | undefined, field: string): string | null {
  if (day === undefined || day === null) return null;
  if (!isCalendarDay(day)) throw invalid(`invalid_${field}`, `${field} is not a calendar day (YYYY-MM-DD).`);
  return day;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/**
 * A time in a query, as ISO 8601 UTC: checked here, since the schema's `date-time` format is
 * documentation only. The round trip refuses days that do not exist (they would roll over), and
 * times before 1970 or past 9999 are refused before PostgreSQL could fail on them.
 */
export function timeIn(text: string, field: string): Date {
  const at = ISO_TIME.test(text) ? new Date(text) : new Date(Number.NaN);
  if (Number.isNaN(at.getTime()) || at.getTime() < 0 || at.toISOString().slice(0, 19) !== text.slice(0, 19)) {
    throw invalid(`invalid_${field}`, `"${field}" is not a time such as 2026-01-01T00:00:00Z.`);
  }
  return at;
}
