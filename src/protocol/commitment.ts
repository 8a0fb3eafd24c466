/**
 * The case commitment (an extension of v1, docs/protocol.md "Case commitment"): the reporter
 * signs, at submission, which case key the case has and which advisers it chose and excluded.
 * A client accepts a case key only when it opens the report and matches a commitment signed by
 * the case's reporter key, so a server (or whoever alters its database) cannot make an adviser
 * or the reporter encrypt to a key it chose by swapping a wrap.
 *
 *   keyCommitment = hash(32, ASCII("confidant-v1/case-key/") ‖ caseKey)
 *   statement     = ASCII("confidant-v1/case-commitment\n" + caseId + "\n" + base64url(keyCommitment)
 *                         + "\n" + chosen keyIds sorted, joined by "," + "\n" + excluded keyIds sorted, joined by "," + "\n")
 *   signature     = sign(statement, reporter signSk)
 *
 * KeyIds are [A-Za-z0-9_-]+, so "," and "\n" cannot occur inside one; sorting is by UTF-16
 * code unit (plain ASCII order for these ids).
 */
import { fromBase64url, toBase64url } from './base64url.js';
import { KEY_BYTES, SIGN_PUBLIC_KEY_BYTES, SIGN_SECRET_KEY_BYTES, SIGNATURE_BYTES } from './constants.js';
import { ProtocolError } from './errors.js';
import { sodium } from './sodium.js';
import type { CaseCommitment } from './wire.js';

export const CASE_KEY_COMMITMENT_PREFIX = 'confidant-v1/case-key/';
export const CASE_COMMITMENT_PREFIX = 'confidant-v1/case-commitment\n';
const KEY_ID = /^[A-Za-z0-9_-]+$/;

/** hash(32, "confidant-v1/case-key/" ‖ caseKey): names the key without revealing it. */
export function caseKeyCommitment(caseKey: Uint8Array): Uint8Array {
  if (caseKey.length !== KEY_BYTES) throw new ProtocolError('bad_length', `a case key is ${KEY_BYTES} bytes`);
  const s = sodium();
  const prefix = s.from_string(CASE_KEY_COMMITMENT_PREFIX);
  const input = new Uint8Array(prefix.length + caseKey.length);
  input.set(prefix);
  input.set(caseKey, prefix.length);
  try {
    return s.crypto_generichash(32, input, null);
  } finally {
    input.fill(0);
  }
}

function keyIdList(keyIds: readonly string[]): string {
  for (const id of keyIds) if (!KEY_ID.test(id)) throw new ProtocolError('bad_id', 'a key id is [A-Za-z0-9_-]+');
  return [...new Set(keyIds)].sort().join(',');
}

/** The exact bytes the reporter signs. */
export function caseCommitmentStatement(caseId: string, keyCommitment: Uint8Array, chosen: readonly string[], excluded: readonly string[]): Uint8Array {
  if (!KEY_ID.test(caseId)) throw new ProtocolError('bad_id', 'a case id is base64url');
  const text = `${CASE_COMMITMENT_PREFIX}${caseId}\n${toBase64url(keyCommitment)}\n${keyIdList(chosen)}\n${keyIdList(excluded)}\n`;
  return sodium().from_string(text);
}

export interface CommitmentInput {
  caseId: string;
  caseKey: Uint8Array;
  /** The advisers the report is wrapped for. */
  chosen: readonly string[];
  /** The channel's advisers the reporter left out: no grant may give them the case later. */
  excluded: readonly string[];
}

/** Makes the commitment the submission carries. */
export function signCaseCommitment(input: CommitmentInput, signSecretKey: Uint8Array): CaseCommitment {
  if (signSecretKey.length !== SIGN_SECRET_KEY_BYTES) throw new ProtocolError('bad_length', 'a sign secret key is 64 bytes');
  const key = caseKeyCommitment(input.caseKey);
  const statement = caseCommitmentStatement(input.caseId, key, input.chosen, input.excluded);
  return {
    key: toBase64url(key),
    signature: toBase64url(sodium().crypto_sign_detached(statement, signSecretKey)),
    chosen: keyIdList(input.chosen).split(',').filter(Boolean),
    excluded: keyIdList(input.excluded).split(',').filter(Boolean),
  };
}

/** True when the signature over (caseId, key, chosen, excluded) verifies; never throws. */
export function verifyCaseCommitmentSignature(caseId: string, commitment: CaseCommitment, signPublicKey: Uint8Array): boolean {
  try {
    if (signPublicKey.length !== SIGN_PUBLIC_KEY_BYTES) return false;
    const key = fromBase64url(commitment.key, 32);
    const signature = fromBase64url(commitment.signature, SIGNATURE_BYTES);
    const statement = caseCommitmentStatement(caseId, key, commitment.chosen, commitment.excluded);
    return sodium().crypto_sign_verify_detached(signature, statement, signPublicKey);
  } catch {
    return false;
  }
}

/**
 * Throws ProtocolError('case_key_unverified') unless the commitment is signed by the reporter
 * key and names exactly this case key. Call it before using a case key to write anything.
 */
export function checkCaseKey(caseId: string, caseKey: Uint8Array, commitment: CaseCommitment, reporterSignPublicKey: Uint8Array): void {
  if (!verifyCaseCommitmentSignature(caseId, commitment, reporterSignPublicKey)) {
    throw new ProtocolError('case_key_unverified', "the case's commitment is not signed by its reporter");
  }
  const expected = fromBase64url(commitment.key, 32);
  const actual = caseKeyCommitment(caseKey);
  if (!sodium().memcmp(expected, actual)) throw new ProtocolError('case_key_unverified', 'the case key is not the one the reporter committed to');
}
