/**
 * The adviser's pin of a case key (an extension, docs/protocol.md "Case pins"): the first time
 * an adviser's client accepts a case key, it signs
 *
 *   statement = ASCII("confidant-v1/case-pin\n" + caseId + "\n" + base64url(keyCommitment) + "\n")
 *
 * with the adviser's own signing key and stores the signature on the server. From then on the
 * client accepts only that key for the case, even if the server later drops the reporter's
 * commitment or offers another wrap: the server cannot forge the adviser's signature.
 */
import { fromBase64url, toBase64url } from './base64url.js';
import { SIGNATURE_BYTES } from './constants.js';
import { sodium } from './sodium.js';

export const CASE_PIN_PREFIX = 'confidant-v1/case-pin\n';

const encoder = new TextEncoder();

export function casePinStatement(caseId: string, keyCommitment: Uint8Array): Uint8Array<ArrayBuffer> {
  return encoder.encode(`${CASE_PIN_PREFIX}${caseId}\n${toBase64url(keyCommitment)}\n`);
}

export function signCasePin(caseId: string, keyCommitment: Uint8Array, signSecretKey: Uint8Array): string {
  return toBase64url(sodium().crypto_sign_detached(casePinStatement(caseId, keyCommitment), signSecretKey));
}

/** True when `pin` is this signer's pin of exactly this key commitment; never throws. */
export function verifyCasePin(caseId: string, keyCommitment: Uint8Array, pin: string, signPublicKey: Uint8Array): boolean {
  try {
    return sodium().crypto_sign_verify_detached(fromBase64url(pin, SIGNATURE_BYTES), casePinStatement(caseId, keyCommitment), signPublicKey);
  } catch {
    return false;
  }
}

/** One pin to check in a batch: the case, the commitment of the key it was offered, and the stored pin. */
export interface PinCheck {
  caseId: string;
  keyCommitment: Uint8Array;
  pin: string;
}

let nativeKey: { publicKey: string; key: Promise<CryptoKey | null> } | undefined;

/** WebCrypto's Ed25519 key for `signPublicKey`, or null where the platform has no Ed25519. */
function nativeVerifyKey(signPublicKey: Uint8Array): Promise<CryptoKey | null> {
  const id = toBase64url(signPublicKey);
  if (nativeKey?.publicKey !== id) {
    const subtle = globalThis.crypto?.subtle;
    const key = subtle ? subtle.importKey('raw', new Uint8Array(signPublicKey), { name: 'Ed25519' }, false, ['verify']).catch(() => null) : Promise.resolve(null);
    nativeKey = { publicKey: id, key };
  }
  return nativeKey.key;
}

/**
 * verifyCasePin for many pins under one key (the annual report checks one per case): through
 * WebCrypto's native Ed25519 where the platform has it, about 1.5 times as fast as libsodium in
 * WebAssembly, else libsodium. The two accept the same pins from anyone without the secret
 * key: both refuse a non-canonical S and compare the encoding of R byte for byte; libsodium
 * also refuses a small-order R or public key, which no signer produces by accident and only
 * the key's owner could make verify. `engine: 'libsodium'` forces the fallback (tests).
 */
export async function verifyCasePins(checks: readonly PinCheck[], signPublicKey: Uint8Array, engine: 'auto' | 'libsodium' = 'auto'): Promise<boolean[]> {
  const key = engine === 'auto' ? await nativeVerifyKey(signPublicKey) : null;
  if (key === null) return checks.map((c) => verifyCasePin(c.caseId, c.keyCommitment, c.pin, signPublicKey));
  const subtle = globalThis.crypto.subtle;
  return Promise.all(
    checks.map(async (c) => {
      let signature: Uint8Array<ArrayBuffer>;
      try {
        signature = new Uint8Array(fromBase64url(c.pin, SIGNATURE_BYTES));
      } catch {
        return false;
      }
      return subtle.verify('Ed25519', key, signature, casePinStatement(c.caseId, c.keyCommitment)).catch(() => false);
    }),
  );
}
