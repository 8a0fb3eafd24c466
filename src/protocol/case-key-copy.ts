/**
 * The adviser's copy of a case key (an extension, docs/protocol.md "Case key copies"): once an
 * adviser's client trusts a case key (it opened the report and matches the adviser's pin), it
 * may store the key sealed under a symmetric key only this adviser can derive:
 *
 *   copyKey = BLAKE2b-256(message = ASCII("confidant-v1/case-key-copy-key"), key = boxSk)
 *   keyCopy = aead(copyKey, nonce, caseKey, ad = "confidant-v1/case-key-copy/" + caseId)
 *
 * The AEAD vouches for the key as the pin does (the server cannot make a copy without boxSk, and
 * the ad ties it to its case), and it opens in one symmetric step where the wrap needs an X25519
 * unseal and the pin an Ed25519 verification: the annual report opens thousands of cases.
 */
import { caseKeyCopyAd } from './associated-data.js';
import { KEY_BYTES } from './constants.js';
import { decryptBytes, encryptBytes } from './envelope.js';
import { ProtocolError } from './errors.js';
import { sodium } from './sodium.js';
import type { Envelope } from './wire.js';

const COPY_KEY_CONTEXT = 'confidant-v1/case-key-copy-key';

/** The account's copy key; derive once per batch and wipe after use. */
export function caseKeyCopyKey(boxSecretKey: Uint8Array): Uint8Array {
  return sodium().crypto_generichash(KEY_BYTES, COPY_KEY_CONTEXT, boxSecretKey);
}

/** Seals a trusted case key for later; the nonce is random unless given (vectors). */
export function sealCaseKeyCopy(copyKey: Uint8Array, caseId: string, caseKey: Uint8Array, nonce?: Uint8Array): Envelope {
  return encryptBytes(copyKey, caseKey, caseKeyCopyAd(caseId), nonce);
}

/** The case key a copy holds; 'decrypt_failed' for any copy this account did not make for this case. */
export function openCaseKeyCopy(copyKey: Uint8Array, caseId: string, copy: Envelope): Uint8Array {
  const caseKey = decryptBytes(copyKey, copy, caseKeyCopyAd(caseId));
  if (caseKey.length !== KEY_BYTES) {
    caseKey.fill(0);
    throw new ProtocolError('decrypt_failed');
  }
  return caseKey;
}
