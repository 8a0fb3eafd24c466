/**
 * Extension: the reason of a case's legal hold (docs/protocol.md "Legal hold"). A held case is
 * never deleted by retention. The server keeps that it is held, since when and by whom; the reason
 * (a court order, an investigation) can say more about the case than its report, so it is sealed
 * under the case key like everything else the adviser writes: `{ v: 1, reason }`, one block.
 */
import { holdAd } from './associated-data.js';
import { fromBase64url } from './base64url.js';
import { AEAD_TAG_BYTES, HOLD_BLOCK } from './constants.js';
import { decryptRecord, encryptRecord } from './envelope.js';
import type { Envelope } from './wire.js';
import { ProtocolError } from './errors.js';

/** Characters: the sealed record must fit one block whatever the script. */
export const HOLD_REASON_MAX = 250;

export interface HoldPlaintext {
  v: 1;
  reason: string;
}

/** Seals a reason; refuses an empty or over-long one with ProtocolError('bad_hold_reason'). */
export function sealHoldReason(caseKey: Uint8Array, caseId: string, reason: string): Envelope {
  const trimmed = reason.trim();
  if (trimmed.length === 0 || [...trimmed].length > HOLD_REASON_MAX) {
    throw new ProtocolError('bad_hold_reason', `a hold reason is 1 to ${HOLD_REASON_MAX} characters`);
  }
  const plaintext: HoldPlaintext = { v: 1, reason: trimmed };
  const envelope = encryptRecord(caseKey, plaintext, holdAd(caseId), HOLD_BLOCK);
  // Escaped characters can push a short reason past one block, which the server refuses.
  if (fromBase64url(envelope.ciphertext).length > HOLD_BLOCK + AEAD_TAG_BYTES) {
    throw new ProtocolError('bad_hold_reason', 'this hold reason is too long once encoded: shorten it');
  }
  return envelope;
}

/** The reason, or null when the stored record does not open under this case or is not a hold record. */
export function openHoldReason(caseKey: Uint8Array, caseId: string, stored: { nonce: string; ciphertext: string }): string | null {
  try {
    const value = decryptRecord(caseKey, stored, holdAd(caseId), HOLD_BLOCK) as Partial<HoldPlaintext> | null;
    return value !== null && typeof value === 'object' && value.v === 1 && typeof value.reason === 'string' ? value.reason : null;
  } catch (error) {
    if (error instanceof ProtocolError) return null;
    throw error;
  }
}
