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

export function casePinStatement(caseId: string, keyCommitment: Uint8Array): Uint8Array {
  return sodium().from_string(`${CASE_PIN_PREFIX}${caseId}\n${toBase64url(keyCommitment)}\n`);
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
