/**
 * A case reference people can read aloud and write down (docs/protocol.md §4): six symbols
 * from an alphabet without look-alikes (no 0/O, 1/I/L, and no U beside V), grouped as
 * `K7M-4QX`, the same wherever the case is shown: the adviser's inbox and case page, and the
 * reporter's mailbox. It is derived from the case id, so it is no secret and adds nothing the
 * id does not say; 30^6 values make a clash within one adviser's cases very unlikely, and the
 * id stays what identifies a case.
 */
export const REFERENCE_SYMBOLS = '23456789ABCDEFGHJKMNPQRSTVWXYZ';
// Its own copy of base64url.ts's alphabet: the pages import this module, and base64url.ts would bring libsodium into their bundle.
const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const LENGTH = 6;
/** How many references there are: 30^6. */
export const REFERENCE_VALUES = REFERENCE_SYMBOLS.length ** LENGTH;

/**
 * The reference of a case id: the first 48 bits of the id (its first 8 base64url symbols, a
 * shorter id padded with zero bits), modulo 30^6, written in base 30, most significant first.
 */
export function caseReference(caseId: string): string {
  let rest = referenceValue(caseId);
  let symbols = '';
  for (let i = 0; i < LENGTH; i++) {
    symbols = (REFERENCE_SYMBOLS[rest % REFERENCE_SYMBOLS.length] ?? '') + symbols;
    rest = Math.floor(rest / REFERENCE_SYMBOLS.length);
  }
  return `${symbols.slice(0, 3)}-${symbols.slice(3)}`;
}

/** The number a reference writes: the id's first 48 bits modulo 30^6 (what the server compares when searching). */
export function referenceValue(id: string): number {
  let value = 0;
  for (let i = 0; i < 8; i++) value = value * 64 + Math.max(0, BASE64URL_ALPHABET.indexOf(id[i] ?? 'A'));
  return value % REFERENCE_VALUES;
}

/**
 * The number a reference as someone typed it stands for ("k7m 4qx", "K7M-4QX"), or null when
 * it is not six symbols of the alphabet: the inverse of caseReference's last step.
 */
export function parseReference(typed: string): number | null {
  const symbols = typed.toUpperCase().replace(/[\s-]/g, '');
  if (symbols.length !== LENGTH) return null;
  let value = 0;
  for (const symbol of symbols) {
    const digit = REFERENCE_SYMBOLS.indexOf(symbol);
    if (digit < 0) return null;
    value = value * REFERENCE_SYMBOLS.length + digit;
  }
  return value;
}

/** A relay's reference, by the same rule over its id: what adviser and organisation call it by. */
export const relayReference = caseReference;
