/**
 * Staff accounts (protocol-v1 §3). The server keeps only a verifier of the authKey, public keys
 * and client-sealed bundles; never a passphrase or key. One service, built from a module per
 * job: invites (account-invites.ts), sessions (staff-sessions.ts), the second factor
 * (second-factor.ts) and the passphrase with its recovery (account-recovery.ts), on the checks
 * they share (account-checks.ts).
 */
import type { Database } from '../db/connection.js';
import { createAccountChecks } from './account-checks.js';
import { createAccountInvites } from './account-invites.js';
import { createAccountRecovery } from './account-recovery.js';
import { createSecondFactor } from './second-factor.js';
import type { Sealed } from './sealed.js';
import type { InstanceSecrets } from './settings.js';
import { createStaffSessions } from './staff-sessions.js';

export { lockoutMs } from './account-checks.js';
export { SESSION_IDLE_MS, SESSION_MAX_MS } from './staff-sessions.js';
export type { Sealed };

import type { Role } from './roles.js';
export type { Role };

/** Work whose amount must not depend on whether a user name exists; `onWork` lets tests count it. */
export type Work = 'verifier' | 'totp' | 'signature';

export interface KdfParams {
  salt: Uint8Array;
  ops: number;
  mem: number;
}

export interface NewAccount {
  token: string;
  username: string;
  displayName: string;
  kdf: KdfParams;
  authKey: Uint8Array;
  boxPublicKey: Uint8Array;
  signPublicKey: Uint8Array;
  keyBundle: Sealed;
  recoveryBundle: Sealed;
}

export interface StaffPrincipal {
  accountId: string;
  role: Role;
  username: string;
  tokenHash: Buffer;
  /** Set when the operator requires TOTP for advisers and this adviser has not enrolled yet. */
  totpEnrolmentRequired: boolean;
}

export interface AccountView {
  id: string;
  role: Role;
  username: string;
  displayName: string;
  keyBundle: Sealed;
  boxPublicKey: Uint8Array;
  signPublicKey: Uint8Array;
  /** With each channel's list of departments or locations, for the registration form (an adviser's channels only). */
  channels: Array<{ slug: string; name: string; organisation: string; locations: Array<{ id: string; name: string }> }>;
  organisation: { slug: string; name: string } | null;
  totpEnabled: boolean;
  totpRequired: boolean;
}

export function createAccounts(
  db: Database,
  secrets: InstanceSecrets,
  options: { requireTotp: boolean; issuer: string; onWork?: (work: Work) => void },
) {
  const checks = createAccountChecks(db, secrets, options.onWork);
  return {
    ...createAccountInvites(db, checks),
    ...createStaffSessions(db, checks, secrets, options),
    ...createSecondFactor(db, checks, options),
    ...createAccountRecovery(db, checks, secrets),
  };
}

export type Accounts = ReturnType<typeof createAccounts>;
