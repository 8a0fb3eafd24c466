/**
 * What the page says about a typed code while it is typed. Whether the code is right comes
 * from the worker (`checkCode`, protocol-v1 §2 read-back); the page only counts symbols and
 * finds the offending character, to say the mistake in plain words.
 */
export const CODE_LENGTH = 24;
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export type CheckResult = { ok: true } | { ok: false; error: 'invalid_symbol' | 'wrong_length' | 'wrong_check' };

/** The symbols as the read-back sees them: upper case, no spaces or dashes, O→0, I and L→1. */
export function symbolsOf(input: string): string[] {
  const normal = input
    .replace(/[a-z]/g, (c) => c.toUpperCase())
    .replace(/[\s-]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  return [...normal];
}

/** The first character that cannot be part of a code, as typed (before O→0 and the like). */
export function offendingCharacter(input: string): string | null {
  for (const c of input) {
    if (/[\s-]/.test(c)) continue;
    const [normal] = symbolsOf(c);
    if (normal !== undefined && !ALPHABET.includes(normal)) return c;
  }
  return null;
}

export type Feedback =
  | { kind: 'none' }
  | { kind: 'count'; count: number }
  | { kind: 'ok' }
  | { kind: 'invalid_symbol'; character: string }
  | { kind: 'too_long'; count: number }
  | { kind: 'too_short'; count: number }
  | { kind: 'wrong_check' };

/**
 * The feedback for `input` given the worker's answer. While typing, a short code only shows
 * how far along it is; when `submitting`, a short code is a mistake too.
 */
export function feedbackFor(input: string, result: CheckResult, submitting: boolean): Feedback {
  if (input.trim() === '') return submitting ? { kind: 'too_short', count: 0 } : { kind: 'none' };
  if (result.ok) return { kind: 'ok' };
  const count = symbolsOf(input).length;
  switch (result.error) {
    case 'invalid_symbol':
      return { kind: 'invalid_symbol', character: offendingCharacter(input) ?? '?' };
    case 'wrong_length':
      if (count > CODE_LENGTH) return { kind: 'too_long', count };
      return submitting ? { kind: 'too_short', count } : { kind: 'count', count };
    case 'wrong_check':
      return { kind: 'wrong_check' };
  }
}

export function isMistake(feedback: Feedback): boolean {
  return feedback.kind !== 'none' && feedback.kind !== 'count' && feedback.kind !== 'ok';
}
