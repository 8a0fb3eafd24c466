import t from 'tap';
import {
  fileAd, holdAd, keysAd, messageAd, recoveryAd, registrationAd, relayAd, relayCopyAd, relayMessageAd, reportAd
} from '../../src/protocol/index.js';
import {
  AEAD_TAG_BYTES, encryptRecord, fromBase64url, HOLD_BLOCK, openHoldReason, ready, sealHoldReason, type MessageAuthor
} from '../../src/protocol/index.js';
import { randomBytes } from 'node:crypto';

t.test('the exact strings of §4 and §3', async (t) => {
  t.equal(reportAd('C'), 'confidant-v1/report/C');
  t.equal(messageAd('C', 'reporter'), 'confidant-v1/message/C/reporter');
  t.equal(messageAd('C', 'adviser'), 'confidant-v1/message/C/adviser');
  t.equal(registrationAd('C'), 'confidant-v1/registration/C');
  t.equal(holdAd('C'), 'confidant-v1/hold/C', 'extension: the legal hold reason');
  t.equal(fileAd('C', 'F'), 'confidant-v1/file/C/F');
  t.equal(relayAd('R'), 'confidant-v1/relay/R');
  t.equal(relayCopyAd('C', 'R'), 'confidant-v1/relay-copy/C/R');
  t.equal(relayMessageAd('R', 'adviser'), 'confidant-v1/relay-message/R/adviser');
  t.equal(relayMessageAd('R', 'organisation'), 'confidant-v1/relay-message/R/organisation');
  t.equal(keysAd('anna'), 'confidant-v1/keys/anna');
  t.equal(recoveryAd('anna'), 'confidant-v1/recovery/anna');
});

t.test('ids that would make two places share a string are refused', async (t) => {
  const badId = { name: 'ProtocolError', code: 'bad_id' };
  t.throws(() => fileAd('C/F', 'G'), badId);
  t.throws(() => relayCopyAd('C', 'R/S'), badId);
  t.throws(() => reportAd(''), badId);
  t.throws(() => holdAd('C/D'), badId);
  t.throws(() => messageAd('C', 'organisation' as MessageAuthor), badId);
});

t.test('a legal hold reason opens only under its own case and key', async (t) => {
  await ready();
  const caseKey = randomBytes(32);
  const sealed = sealHoldReason(caseKey, 'CaseA', '  Onderzoek door de accountant  ');
  t.equal(openHoldReason(caseKey, 'CaseA', sealed), 'Onderzoek door de accountant', 'opens, trimmed');
  t.equal(fromBase64url(sealed.ciphertext).length, HOLD_BLOCK + AEAD_TAG_BYTES, 'padded to exactly one block');
  t.equal(openHoldReason(caseKey, 'CaseB', sealed), null, 'moved to another case it does not open');
  t.equal(openHoldReason(randomBytes(32), 'CaseA', sealed), null, 'under another key it does not open');
  const registration = encryptRecord(caseKey, { v: 1, reason: 'x' }, registrationAd('CaseA'), HOLD_BLOCK);
  t.equal(openHoldReason(caseKey, 'CaseA', registration), null, 'a record of another place does not pass for a hold');
  const notAHold = encryptRecord(caseKey, { v: 2, reason: 'x' }, holdAd('CaseA'), HOLD_BLOCK);
  t.equal(openHoldReason(caseKey, 'CaseA', notAHold), null, 'a record of another shape reads as unreadable');
});
