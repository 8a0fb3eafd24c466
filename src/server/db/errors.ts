/** Recognises PostgreSQL errors from either driver, whether drizzle wraps them or not. */
interface PgError {
  code?: string;
  constraint?: string;
  cause?: PgError;
}

function pgError(error: unknown): PgError | undefined {
  let current = error as PgError | undefined;
  for (let depth = 0; current && depth < 4; depth++) {
    if (typeof current.code === 'string' && /^[0-9A-Z]{5}$/.test(current.code)) return current;
    current = current.cause;
  }
  return undefined;
}

/** A unique constraint whose name contains `constraint` was violated. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const e = pgError(error);
  return e?.code === '23505' && (e.constraint ?? '').includes(constraint);
}

/**
 * The innermost error's first line, for logs: drizzle wraps a database error in one whose
 * message holds the whole query and its parameters, which must never be logged.
 */
export function innermostMessage(error: unknown): string {
  let inner = error;
  while (inner instanceof Error && inner.cause instanceof Error) inner = inner.cause;
  return inner instanceof Error ? (inner.message || inner.name).split('\n')[0] ?? inner.name : String(error);
}
