/**
 * What a server checks of what clients send: proof of work, mailbox and recovery signatures,
 * the case-key commitment, and the staff login verifier. Kept apart from index.ts, the surface
 * a client needs, so a client's bundle and its readers see only their side; the checks stay in
 * src/protocol because they are the same computations as the signing side, under the same
 * vectors.
 */
export { verifyPow } from './pow.js';
export { verifyMailboxLogin, verifyMailboxRotate } from './mailbox-login.js';
export { staffVerifier, fakeStaffSalt, verifyStaffRecovery } from './staff-auth.js';
export { verifyCaseCommitmentSignature } from './commitment.js';
