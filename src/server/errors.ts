/**
 * Errors are values with codes. Services and plugins throw a DomainError: what went wrong (its
 * kind), which case of it (its code, part of the protocol) and a message for people. They know
 * nothing of HTTP: the error plugin (plugins/errors.ts) is the one place that maps a kind to a
 * status, and the CLI maps it to an exit code.
 */
export type ErrorKind =
  /** The input breaks a rule of the protocol or of this server. */
  | 'invalid'
  /** No session, or a secret (passphrase, code, signature) is not right. */
  | 'unauthenticated'
  /** Signed in, but not allowed this. */
  | 'forbidden'
  | 'not_found'
  /** The request conflicts with the current state (used already, taken, wrong step). */
  | 'conflict'
  | 'too_large'
  /** A content type, encoding or charset this server does not take. */
  | 'unsupported'
  /** A proof of work is missing, wrong or spent. */
  | 'work_required'
  /** Too many tries: wait. */
  | 'throttled'
  /** The server or its database cannot serve now; the same request may work later. */
  | 'unavailable';

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

const raise = (kind: ErrorKind) => (code: string, message: string) => new DomainError(kind, code, message);

export const invalid = raise('invalid');
export const unauthenticated = raise('unauthenticated');
export const forbidden = raise('forbidden');
export const notFound = raise('not_found');
export const conflict = raise('conflict');
export const tooLarge = raise('too_large');
export const unsupported = raise('unsupported');
export const workRequired = raise('work_required');
export const throttled = raise('throttled');
export const unavailable = raise('unavailable');
