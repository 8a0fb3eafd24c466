/**
 * Opening a page of the annual report's registrations (docs/protocol.md "Annual report"): per
 * case, unseal the adviser's wrap, check the adviser's own pin of that key, and decrypt the
 * record. A registration counts only under a key this account pinned; one without a pin, with a
 * key or pin that fails, or that does not decrypt, is null and the caller counts it as unread.
 *
 * The work is the same on any thread: a browser may hand half a page to a second worker
 * (src/web/worker/parallel-open.ts), with just the keys this needs, and wipe them after.
 */
import { registrationAd } from './associated-data.js';
import { REGISTRATION_BLOCK } from './constants.js';
import { caseKeyCommitment } from './commitment.js';
import { verifyCasePins } from './case-pin.js';
import { decryptRecord, unsealKey } from './envelope.js';
import { ProtocolError } from './errors.js';
import { readRegistration, type Registration } from './registration.js';
import type { PeriodRegistration } from './wire.js';

/** What opening needs of an account's keys: no signing key, since nothing is signed. */
export interface PeriodKeys {
  boxPublicKey: Uint8Array;
  boxSecretKey: Uint8Array;
  signPublicKey: Uint8Array;
}

/** Opens pages of registrations; the default does it on the calling thread. */
export type PeriodOpener = (items: readonly PeriodRegistration[], keys: PeriodKeys) => Promise<Array<Registration | null>>;

function decryptRegistration(caseKey: Uint8Array, item: PeriodRegistration): Registration | null {
  if (!item.registration) return null;
  try {
    return readRegistration(decryptRecord(caseKey, item.registration, registrationAd(item.caseId), REGISTRATION_BLOCK));
  } catch (error) {
    if (error instanceof ProtocolError) return null;
    throw error;
  }
}

/** Each item's registration, or null (see above), in the items' order. */
export async function openPinnedRegistrations(items: readonly PeriodRegistration[], keys: PeriodKeys): Promise<Array<Registration | null>> {
  const caseKeys = items.map((item) => {
    if (!item.registration || item.pin === null) return null;
    try {
      return unsealKey(item.wrap, keys.boxPublicKey, keys.boxSecretKey);
    } catch {
      return null;
    }
  });
  try {
    const checks = items.flatMap((item, i) => {
      const caseKey = caseKeys[i];
      return caseKey && item.pin !== null ? [{ index: i, caseId: item.caseId, keyCommitment: caseKeyCommitment(caseKey), pin: item.pin }] : [];
    });
    const verifying = verifyCasePins(checks, keys.signPublicKey);
    // Decrypted while the pins are checked (natively, off this thread where the platform can);
    // a record under a key whose pin fails is dropped below, never used.
    const records = checks.map((check) => decryptRegistration(caseKeys[check.index]!, items[check.index]!));
    const verdicts = await verifying;
    const opened: Array<Registration | null> = items.map(() => null);
    for (const [n, check] of checks.entries()) if (verdicts[n]) opened[check.index] = records[n] ?? null;
    return opened;
  } finally {
    for (const caseKey of caseKeys) caseKey?.fill(0);
  }
}
