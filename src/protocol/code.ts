/**
 * The reporter code, protocol-v1 §2: 20 random Crockford base32 symbols (the body), 4 check
 * symbols, shown once as six groups of four. The body alone derives the mailbox keys.
 */
import { toBase64url } from './base64url.js';
import {
  CODE_ALPHABET, CODE_ARGON2_MEM, CODE_ARGON2_OPS, CODE_BODY_SYMBOLS, CODE_CHECK_PREFIX,
  CODE_CHECK_SYMBOLS, CODE_GROUP_SYMBOLS, CODE_SALT_BYTES, CODE_SALT_INPUT, CODE_SYMBOLS,
  KDF_CONTEXT, KDF_ID_BOX, KDF_ID_MAILBOX, KDF_ID_SIGN, MAILBOX_ID_BYTES, SEED_BYTES
} from './constants.js';
import { ProtocolError } from './errors.js';
import { ready, sodium } from './sodium.js';

export interface Code {
  /** The 20 symbols that derive the keys. */
  body: string;
  /** The 4 symbols that catch typing errors. */
  check: string;
  /** What the reporter sees and types: `XXXX-XXXX-XXXX-XXXX-XXXX-CCCC`. */
  display: string;
}

export type ReadBackError = 'invalid_symbol' | 'wrong_length' | 'wrong_check';
export type ReadBackResult = { ok: true; body: string } | { ok: false; error: ReadBackError };

export interface MailboxKeys {
  seed: Uint8Array;
  /** base64url of kdf(16, 1, seed) */
  mailboxId: string;
  signPublicKey: Uint8Array;
  signSecretKey: Uint8Array;
  boxPublicKey: Uint8Array;
  boxSecretKey: Uint8Array;
}

const BODY = new RegExp(`^[${CODE_ALPHABET}]{${CODE_BODY_SYMBOLS}}$`);

export function isCodeBody(body: string): boolean {
  return BODY.test(body);
}

function assertBody(body: string): void {
  if (!isCodeBody(body)) throw new ProtocolError('invalid_code', `a code body is ${CODE_BODY_SYMBOLS} Crockford base32 symbols`);
}

export function generateCode(): Code {
  const s = sodium();
  let body = '';
  for (let i = 0; i < CODE_BODY_SYMBOLS; i++) body += CODE_ALPHABET.charAt(s.randombytes_uniform(32));
  return { body, check: checkSymbols(body), display: formatCode(body) };
}

/** The first 20 bits of hash(32, "confidant-v1/code/" + body), 5 bits a symbol, MSB first. */
export function checkSymbols(body: string): string {
  assertBody(body);
  const h = sodium().crypto_generichash(32, CODE_CHECK_PREFIX + body, null);
  const bits = ((h[0] ?? 0) << 12) | ((h[1] ?? 0) << 4) | ((h[2] ?? 0) >>> 4);
  let check = '';
  for (let i = CODE_CHECK_SYMBOLS - 1; i >= 0; i--) check += CODE_ALPHABET.charAt((bits >>> (5 * i)) & 31);
  return check;
}

export function formatCode(body: string): string {
  const all = body + checkSymbols(body);
  const groups: string[] = [];
  for (let i = 0; i < all.length; i += CODE_GROUP_SYMBOLS) groups.push(all.slice(i, i + CODE_GROUP_SYMBOLS));
  return groups.join('-');
}

/**
 * Normalises typed Crockford base32: ASCII letters upper-cased, whitespace and `-` dropped,
 * `O`→`0`, `I` and `L`→`1`. (Only ASCII is upper-cased, so `ı` or `ſ` stay invalid symbols.)
 */
export function normaliseCrockford(input: string): string {
  return input
    .replace(/[a-z]/g, (c) => c.toUpperCase())
    .replace(/[\s-]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
}

/**
 * Reads a typed code back (§2). Errors are reported before any derivation or network call:
 * a symbol outside the alphabet first, then a length other than 24, then a wrong check.
 */
export function readBack(input: string): ReadBackResult {
  const symbols = normaliseCrockford(input);
  for (const c of symbols) {
    if (!CODE_ALPHABET.includes(c)) return { ok: false, error: 'invalid_symbol' };
  }
  if (symbols.length !== CODE_SYMBOLS) return { ok: false, error: 'wrong_length' };
  const body = symbols.slice(0, CODE_BODY_SYMBOLS);
  if (symbols.slice(CODE_BODY_SYMBOLS) !== checkSymbols(body)) return { ok: false, error: 'wrong_check' };
  return { ok: true, body };
}

/**
 * Six groups of four symbols, joined by nothing, a space or a hyphen: how a code is written or
 * pasted. A lookahead at each word start, so that candidates may overlap ("code K7Q4-…" holds
 * two: one from "code", one from "K7Q4").
 */
const CODE_SHAPED = /(?<![0-9A-Za-z])(?=([0-9A-Za-z]{4}(?:[\s-]?[0-9A-Za-z]{4}){5})(?![0-9A-Za-z]))/g;

/**
 * A reporter code written in `text`, or null: anything shaped like a code whose check symbols
 * hold (§2), so that prose does not trip it (a chance of 2^-20 per code-shaped word group).
 * Reporters paste their code into a report or message by mistake; whoever reads the text could
 * then open their mailbox.
 */
export function findCode(text: string): string | null {
  for (const [, candidate = ''] of text.matchAll(CODE_SHAPED)) if (readBack(candidate).ok) return candidate;
  return null;
}

/** Refuses, before anything is encrypted or sent, text that holds a reporter code. */
export function refuseCodeIn(texts: readonly string[]): void {
  if (texts.some((text) => findCode(text) !== null)) {
    throw new ProtocolError('code_in_text', 'the text holds a reporter code: take it out, a code must never be written in a report or message');
  }
}

let salt: Uint8Array | undefined;

/** hash(16, "confidant-v1/code-salt"): global on purpose (§2). */
export function codeSalt(): Uint8Array {
  salt ??= sodium().crypto_generichash(CODE_SALT_BYTES, CODE_SALT_INPUT, null);
  return salt.slice();
}

/** Argon2id over the body (~64 MiB, a fraction of a second), then the three subkeys. */
export async function deriveMailboxKeys(body: string): Promise<MailboxKeys> {
  const s = await ready();
  assertBody(body);
  const seed = s.crypto_pwhash(SEED_BYTES, body, codeSalt(), CODE_ARGON2_OPS, CODE_ARGON2_MEM, s.crypto_pwhash_ALG_ARGON2ID13);
  const mailboxId = s.crypto_kdf_derive_from_key(MAILBOX_ID_BYTES, KDF_ID_MAILBOX, KDF_CONTEXT, seed);
  const signSeed = s.crypto_kdf_derive_from_key(32, KDF_ID_SIGN, KDF_CONTEXT, seed);
  const boxSeed = s.crypto_kdf_derive_from_key(32, KDF_ID_BOX, KDF_CONTEXT, seed);
  const sign = s.crypto_sign_seed_keypair(signSeed);
  const box = s.crypto_box_seed_keypair(boxSeed);
  s.memzero(signSeed);
  s.memzero(boxSeed);
  return {
    seed,
    mailboxId: toBase64url(mailboxId),
    signPublicKey: sign.publicKey,
    signSecretKey: sign.privateKey,
    boxPublicKey: box.publicKey,
    boxSecretKey: box.privateKey
  };
}
