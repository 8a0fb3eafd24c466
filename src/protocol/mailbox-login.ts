/**
 * Mailbox login, §6: signature = sign(ASCII("confidant-v1/mailbox-login/") ‖ challengeBytes,
 * signSk), where challengeBytes is the base64url-decoded challenge the server gave.
 */
import { MAILBOX_LOGIN_PREFIX, MAILBOX_ROTATE_PREFIX, SIGN_PUBLIC_KEY_BYTES, SIGN_SECRET_KEY_BYTES, SIGNATURE_BYTES } from './constants.js';
import { ProtocolError } from './errors.js';
import { sodium } from './sodium.js';

export function mailboxLoginMessage(challengeBytes: Uint8Array): Uint8Array {
  const prefix = sodium().from_string(MAILBOX_LOGIN_PREFIX);
  const message = new Uint8Array(prefix.length + challengeBytes.length);
  message.set(prefix);
  message.set(challengeBytes, prefix.length);
  return message;
}

export function signMailboxLogin(challengeBytes: Uint8Array, signSecretKey: Uint8Array): Uint8Array {
  if (signSecretKey.length !== SIGN_SECRET_KEY_BYTES) throw new ProtocolError('bad_length', 'a sign secret key is 64 bytes');
  return sodium().crypto_sign_detached(mailboxLoginMessage(challengeBytes), signSecretKey);
}

/** False (never throws) for a wrong signature or arguments of the wrong type or length. */
export function verifyMailboxLogin(challengeBytes: Uint8Array, signature: Uint8Array, signPublicKey: Uint8Array): boolean {
  if (!(challengeBytes instanceof Uint8Array) || !(signature instanceof Uint8Array) || !(signPublicKey instanceof Uint8Array)) return false;
  if (signature.length !== SIGNATURE_BYTES || signPublicKey.length !== SIGN_PUBLIC_KEY_BYTES) return false;
  const s = sodium();
  const message = mailboxLoginMessage(challengeBytes);
  try {
    return s.crypto_sign_verify_detached(signature, message, signPublicKey);
  } catch {
    return false;
  }
}

/**
 * The proof of a code rotation: signature = sign(ASCII("confidant-v1/mailbox-rotate/") ‖
 * newMailboxIdBytes (16) ‖ newSignPublicKey (32), current signSk). A session token alone
 * cannot make it, so a stolen token cannot take the mailbox over.
 */
export function mailboxRotateMessage(newMailboxId: Uint8Array, newSignPublicKey: Uint8Array): Uint8Array {
  const prefix = sodium().from_string(MAILBOX_ROTATE_PREFIX);
  const message = new Uint8Array(prefix.length + newMailboxId.length + newSignPublicKey.length);
  message.set(prefix);
  message.set(newMailboxId, prefix.length);
  message.set(newSignPublicKey, prefix.length + newMailboxId.length);
  return message;
}

export function signMailboxRotate(newMailboxId: Uint8Array, newSignPublicKey: Uint8Array, signSecretKey: Uint8Array): Uint8Array {
  if (signSecretKey.length !== SIGN_SECRET_KEY_BYTES) throw new ProtocolError('bad_length', 'a sign secret key is 64 bytes');
  return sodium().crypto_sign_detached(mailboxRotateMessage(newMailboxId, newSignPublicKey), signSecretKey);
}

/** False (never throws) for a wrong signature or arguments of the wrong length. */
export function verifyMailboxRotate(newMailboxId: Uint8Array, newSignPublicKey: Uint8Array, signature: Uint8Array, signPublicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES || signPublicKey.length !== SIGN_PUBLIC_KEY_BYTES) return false;
  try {
    return sodium().crypto_sign_verify_detached(signature, mailboxRotateMessage(newMailboxId, newSignPublicKey), signPublicKey);
  } catch {
    return false;
  }
}
