/**
 * Confidant protocol v1 (docs/protocol.md): what a client needs, in the browser, the tests and
 * the CLI. The server's checks of what clients send are in checks.ts; the wire contract's
 * schemas in contract/. `await ready()` once before the synchronous functions.
 */
export { activeEngine, ready, sodium, useEngine } from './sodium.js';
export type { Engine, Sodium } from './sodium.js';
export { onWork } from './work-progress.js';
export type { WorkListener, WorkStage } from './work-progress.js';
export { ProtocolError, ApiError } from './errors.js';
export type { ProtocolErrorCode } from './errors.js';
export * from './constants.js';
export { BASE64URL_ALPHABET, toBase64url, fromBase64url, isBase64url, base64urlByteLength } from './base64url.js';
export {
  generateCode, checkSymbols, formatCode, readBack, normaliseCrockford, isCodeBody, codeSalt, deriveMailboxKeys, findCode, refuseCodeIn
} from './code.js';
export type { Code, ReadBackError, ReadBackResult, MailboxKeys } from './code.js';
export { pad, unpad, paddedLength } from './padding.js';
export { REFERENCE_SYMBOLS, REFERENCE_VALUES, caseReference, parseReference, relayReference } from './case-reference.js';
export { ACKNOWLEDGE_DAYS, FEEDBACK_MONTHS, acknowledgeBy, addCalendarMonths, deadlines, feedbackBy, followUpPassed } from './deadlines.js';
export type { CaseTimes, Deadlines } from './deadlines.js';
export {
  reportAd, messageAd, registrationAd, holdAd, caseKeyCopyAd, fileAd, relayAd, relayCopyAd, relayMessageAd, keysAd, recoveryAd
} from './associated-data.js';
export type { MessageAuthor, RelayMessageAuthor } from './associated-data.js';
export {
  encryptRecord, decryptRecord, encryptBytes, decryptBytes, sealKey, unsealKey,
  isPaddedCiphertextLength, isEnvelope, isSealedKey
} from './envelope.js';
export { isReportPlaintext, isMessagePlaintext } from './plaintexts.js';
export * from './registration.js';
export type { ReportPlaintext, MessagePlaintext } from './plaintexts.js';
export { powHash, leadingZeroBits, solvePow } from './pow.js';
export { mailboxLoginMessage, signMailboxLogin, mailboxRotateMessage, signMailboxRotate } from './mailbox-login.js';
export {
  deriveStaffMaster, newKdfParams, isStrongKdfParams, makeStaffKeys, sealKeyBundle, openKeyBundle,
  generateRecoveryKey, formatRecoveryKey, parseRecoveryKey, sealRecoveryBundle, openRecoveryBundle
} from './staff-keys.js';
export type { StaffMaster, StaffSecretKeys, StaffKeys, RecoveryKey, DeriveOptions } from './staff-keys.js';
export type * from './wire.js';
export { ConfidantClient } from './client.js';
export type { ConfidantClientOptions, FetchLike, FetchInit, FetchResponse } from './client.js';
export { submitNewReport, openMailbox, pinnedAdvisers, Mailbox } from './reporter.js';
export type { NewReport, SubmittedReport, OpenedMailbox, OpenedMessage, OpenedRelay } from './reporter.js';
export { signStaffRecovery } from './staff-auth.js';
export { caseKeyCommitment, signCaseCommitment, checkCaseKey } from './commitment.js';
export { signCasePin, verifyCasePin, verifyCasePins, type PinCheck } from './case-pin.js';
export { keyFingerprint, fingerprintOf, normaliseFingerprint } from './fingerprint.js';
export { setUpAccount, signIn, recoverAccount, StaffSession, OPERATOR_CALLS } from './staff.js';
export type { OperatorArgs, OperatorCall } from './staff.js';
export type { AccountSetup, AnnualReportText, CreatedAccount, SignIn, OpenedCase, RelayText, OpenedRelayThread } from './staff.js';
export { openPinnedRegistrations, type NewKeyCopy, type OpenedPage, type PeriodKeys, type PeriodOpener } from './period-open.js';
export { caseKeyCopyKey, openCaseKeyCopy, sealCaseKeyCopy } from './case-key-copy.js';
export { newDeviceKey } from './staff-resume.js';
export type { ResumeRecord } from './staff-resume.js';
export * from './legal-hold.js';
export * from './file-stream.js';
export * from './file-transfer.js';
export * from './relay-attachments.js';
