/**
 * bytea for PGlite through Node's native hex codec. PGlite's own codec turns each byte with
 * a parseInt and a padStart: for a page of the annual report (1,000 cases, ~1.5 MiB of wraps,
 * pins and registrations) that was ~160 ms of the ~200 ms the page took, and it slows every
 * report stored. Same text format both ways (`\x` and hex digits), so nothing else changes.
 */
import { types, type PGliteOptions } from '@electric-sql/pglite';

/** A plain Uint8Array of its own, as PGlite's codec answers (not a slice of Buffer's shared pool). */
export function parseBytea(text: string): Uint8Array {
  if (!text.startsWith('\\x')) throw new Error('bytea arrives in hex format');
  const decoded = Buffer.from(text.slice(2), 'hex');
  const bytes = new Uint8Array(decoded.length);
  bytes.set(decoded);
  return bytes;
}

export function serializeBytea(value: unknown): string {
  if (!(value instanceof Uint8Array)) throw new Error('Invalid input for bytea type');
  return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
}

export const byteaCodec = {
  parsers: { [types.BYTEA]: parseBytea },
  serializers: { [types.BYTEA]: serializeBytea },
} satisfies Pick<PGliteOptions, 'parsers' | 'serializers'>;
