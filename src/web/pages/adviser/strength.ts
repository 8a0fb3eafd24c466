/**
 * A simple, local estimate of a passphrase's strength from its length and character classes.
 * Nothing leaves the page; it is a hint for people, not a guarantee.
 */
export type Strength = 'weak' | 'fair' | 'strong';

/** The shortest passphrase the set-up form accepts. */
export const MIN_PASSPHRASE_LENGTH = 12;

/** Rough bits: length × log2(size of the character classes used), lowered for much repetition. */
export function estimateBits(passphrase: string): number {
  const chars = [...passphrase];
  if (chars.length === 0) return 0;
  let pool = 0;
  if (/[a-z]/.test(passphrase)) pool += 26;
  if (/[A-Z]/.test(passphrase)) pool += 26;
  if (/[0-9]/.test(passphrase)) pool += 10;
  if (/[^A-Za-z0-9\u0080-\uffff]/.test(passphrase)) pool += 33;
  if (/[\u0080-\uffff]/.test(passphrase)) pool += 100;
  const distinct = new Set(chars).size;
  // "aaaaaaaaaaaaaaaa" is long but says little: count at most a few characters per distinct one.
  const effectiveLength = Math.min(chars.length, distinct * 3);
  return effectiveLength * Math.log2(Math.max(pool, 2));
}

export function passphraseStrength(passphrase: string): Strength {
  const length = [...passphrase].length;
  const bits = estimateBits(passphrase);
  if (length < MIN_PASSPHRASE_LENGTH || bits < 60) return 'weak';
  if (bits < 90) return 'fair';
  return 'strong';
}
