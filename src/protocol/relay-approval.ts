/**
 * Relay approval (an extension, docs/protocol.md "Relay approval"): the organisation checks that
 * the text it reads is the one the reporter approved. The adviser puts one random
 * `approvalKey` in the relay plaintext, which is the same for the organisation's text and the
 * reporter's copy; on approval the reporter sends
 *
 *   approval = hash(32, ASCII("confidant-v1/relay-approval/" + relayId + "\n") ‖ plaintext, key = approvalKey)
 *
 * over the exact unpadded plaintext bytes of the copy it read. The organisation computes the
 * same over the text it decrypted. The key keeps the server from testing guesses of the text.
 */
import { fromBase64url, toBase64url } from './base64url.js';
import { KEY_BYTES, RELAY_BLOCK } from './constants.js';
import { decodeJson, decryptBytes } from './envelope.js';
import { unpad } from './padding.js';
import { sodium } from './sodium.js';
import type { Envelope } from './wire.js';

export const RELAY_APPROVAL_PREFIX = 'confidant-v1/relay-approval/';

export function relayApproval(relayId: string, approvalKey: Uint8Array, plaintext: Uint8Array): string {
  const s = sodium();
  const prefix = s.from_string(`${RELAY_APPROVAL_PREFIX}${relayId}\n`);
  const input = new Uint8Array(prefix.length + plaintext.length);
  input.set(prefix);
  input.set(plaintext, prefix.length);
  return toBase64url(s.crypto_generichash(32, input, approvalKey));
}

/** A relay plaintext opened to its exact bytes, for hashing, and its JSON. */
export function openRelayPlaintext(key: Uint8Array, envelope: Envelope, ad: string): { bytes: Uint8Array; value: unknown } {
  const bytes = unpad(decryptBytes(key, envelope, ad), RELAY_BLOCK);
  return { bytes, value: decodeJson(bytes) };
}

/** The approval for a plaintext that carries an approvalKey; null for one that does not (a v1 writer). */
export function approvalOf(relayId: string, opened: { bytes: Uint8Array; value: unknown }): string | null {
  const key = (opened.value as { approvalKey?: unknown } | null)?.approvalKey;
  if (typeof key !== 'string') return null;
  try {
    return relayApproval(relayId, fromBase64url(key, KEY_BYTES), opened.bytes);
  } catch {
    return null;
  }
}

export type ApprovalCheck = 'verified' | 'mismatch' | 'unavailable';

/** Compares the organisation's text with the reporter's approval, when both exist. */
export function checkApproval(relayId: string, opened: { bytes: Uint8Array; value: unknown }, approval: string | null): ApprovalCheck {
  const expected = approvalOf(relayId, opened);
  if (expected === null || approval === null) return 'unavailable';
  return expected === approval ? 'verified' : 'mismatch';
}
