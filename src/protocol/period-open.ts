/**
 * Opening a page of the annual report's registrations (docs/protocol.md "Annual report"). A
 * registration counts only under a case key this account vouched for:
 *
 * - through its own sealed copy of the key (docs/protocol.md "Case key copies"): one symmetric
 *   decryption, the quick path once the account has copies;
 * - else by unsealing the wrap and checking the account's own pin of that key (an X25519 unseal
 *   and an Ed25519 verification). A key that passes gets a copy, for the caller to store, so
 *   the next report takes the quick path.
 *
 * A case without a registration, with a copy, key or pin that fails, or with a record that does
 * not decrypt, is null and the caller counts it as unread.
 *
 * The work is the same on any thread: a browser may hand half a page to a second worker
 * (src/web/worker/parallel-open.ts), with just the keys this needs, and wipe them after.
 */
import { registrationAd } from './associated-data.js';
import { caseKeyCopyKey, openCaseKeyCopy, sealCaseKeyCopy } from './case-key-copy.js';
import { REGISTRATION_BLOCK } from './constants.js';
import { caseKeyCommitment } from './commitment.js';
import { verifyCasePins } from './case-pin.js';
import { decryptRecord, unsealKey } from './envelope.js';
import { ProtocolError } from './errors.js';
import { readRegistration, type Registration } from './registration.js';
import type { Envelope, PeriodRegistration } from './wire.js';

/** What opening needs of an account's keys: no signing key, since nothing is signed. */
export interface PeriodKeys {
  boxPublicKey: Uint8Array;
  boxSecretKey: Uint8Array;
  signPublicKey: Uint8Array;
}

/** A copy of a case key that passed its pin, made while opening, for PUT /api/v1/case-key-copies. */
export interface NewKeyCopy {
  caseId: string;
  keyCopy: Envelope;
}

export interface OpenedPage {
  /** Each item's registration or null, in the items' order. */
  registrations: Array<Registration | null>;
  copies: NewKeyCopy[];
}

/** Opens pages of registrations; the default does it on the calling thread. */
export type PeriodOpener = (items: readonly PeriodRegistration[], keys: PeriodKeys) => Promise<OpenedPage>;

function decryptRegistration(caseKey: Uint8Array, item: PeriodRegistration): Registration | null {
  if (!item.registration) return null;
  try {
    return readRegistration(decryptRecord(caseKey, item.registration, registrationAd(item.caseId), REGISTRATION_BLOCK));
  } catch (error) {
    if (error instanceof ProtocolError) return null;
    throw error;
  }
}

function openCopy(copyKey: Uint8Array, item: PeriodRegistration): Uint8Array | null {
  if (!item.keyCopy) return null;
  try {
    return openCaseKeyCopy(copyKey, item.caseId, item.keyCopy);
  } catch {
    return null;
  }
}

function unsealWrap(item: PeriodRegistration, keys: PeriodKeys): Uint8Array | null {
  if (item.pin === null) return null;
  try {
    return unsealKey(item.wrap, keys.boxPublicKey, keys.boxSecretKey);
  } catch {
    return null;
  }
}

export async function openPinnedRegistrations(items: readonly PeriodRegistration[], keys: PeriodKeys): Promise<OpenedPage> {
  const copyKey = caseKeyCopyKey(keys.boxSecretKey);
  const opened: Array<Registration | null> = items.map(() => null);
  const pinnedKeys: Array<{ index: number; caseKey: Uint8Array }> = [];
  try {
    for (const [index, item] of items.entries()) {
      if (!item.registration) continue;
      const copied = openCopy(copyKey, item);
      if (copied) {
        opened[index] = decryptRegistration(copied, item);
        copied.fill(0);
        continue;
      }
      // A copy that does not open falls back to the wrap and pin, which vouch on their own.
      const caseKey = unsealWrap(item, keys);
      if (caseKey) pinnedKeys.push({ index, caseKey });
    }
    const checks = pinnedKeys.map(({ index, caseKey }) => ({ caseId: items[index]!.caseId, keyCommitment: caseKeyCommitment(caseKey), pin: items[index]!.pin! }));
    const verifying = verifyCasePins(checks, keys.signPublicKey);
    // Decrypted while the pins are checked (natively, off this thread where the platform can);
    // a record under a key whose pin fails is dropped below, never used.
    const records = pinnedKeys.map(({ index, caseKey }) => decryptRegistration(caseKey, items[index]!));
    const verdicts = await verifying;
    const copies: NewKeyCopy[] = [];
    for (const [n, { index, caseKey }] of pinnedKeys.entries()) {
      if (!verdicts[n]) continue;
      opened[index] = records[n] ?? null;
      const item = items[index]!;
      if (!item.keyCopy) copies.push({ caseId: item.caseId, keyCopy: sealCaseKeyCopy(copyKey, item.caseId, caseKey) });
    }
    return { registrations: opened, copies };
  } finally {
    copyKey.fill(0);
    for (const { caseKey } of pinnedKeys) caseKey.fill(0);
  }
}
