/**
 * What staff authentication computes besides the keys of §3: the server's verifier of an
 * authKey, and the signed challenge that proves possession of an account's signing key when
 * the passphrase is lost and the recovery key opened the key bundle (an extension, see
 * docs/protocol.md).
 */
import { SIGN_PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from './constants.js';
import { sodium } from './sodium.js';

export const STAFF_RECOVERY_PREFIX = 'confidant-v1/staff-recovery/';

/** verifier = hash(32, authKey ‖ pepper), §3. */
export function staffVerifier(authKey: Uint8Array, pepper: Uint8Array): Uint8Array {
  const input = new Uint8Array(authKey.length + pepper.length);
  input.set(authKey);
  input.set(pepper, authKey.length);
  return sodium().crypto_generichash(32, input, null);
}

/** The fake pre-login salt of an unknown user name: hash(16, serverSecret ‖ username), §3. */
export function fakeStaffSalt(serverSecret: Uint8Array, username: string): Uint8Array {
  const name = sodium().from_string(username);
  const input = new Uint8Array(serverSecret.length + name.length);
  input.set(serverSecret);
  input.set(name, serverSecret.length);
  return sodium().crypto_generichash(16, input, null);
}

function recoveryMessage(challenge: string): Uint8Array {
  return sodium().from_string(STAFF_RECOVERY_PREFIX + challenge);
}

/** signature = sign(ASCII("confidant-v1/staff-recovery/" + challenge), signSecretKey). */
export function signStaffRecovery(challenge: string, signSecretKey: Uint8Array): Uint8Array {
  return sodium().crypto_sign_detached(recoveryMessage(challenge), signSecretKey);
}

/** False (never throws) for a wrong signature or arguments of the wrong length. */
export function verifyStaffRecovery(challenge: string, signature: Uint8Array, signPublicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES || signPublicKey.length !== SIGN_PUBLIC_KEY_BYTES) return false;
  try {
    return sodium().crypto_sign_verify_detached(signature, recoveryMessage(challenge), signPublicKey);
  } catch {
    return false;
  }
}
