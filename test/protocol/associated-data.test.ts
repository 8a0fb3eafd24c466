import t from 'tap';
import {
  fileAd, keysAd, messageAd, recoveryAd, registrationAd, relayAd, relayCopyAd, relayMessageAd, reportAd
} from '../../src/protocol/index.js';
import type { MessageAuthor } from '../../src/protocol/index.js';

t.test('the exact strings of §4 and §3', async (t) => {
  t.equal(reportAd('C'), 'confidant-v1/report/C');
  t.equal(messageAd('C', 'reporter'), 'confidant-v1/message/C/reporter');
  t.equal(messageAd('C', 'adviser'), 'confidant-v1/message/C/adviser');
  t.equal(registrationAd('C'), 'confidant-v1/registration/C');
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
  t.throws(() => messageAd('C', 'organisation' as MessageAuthor), badId);
});
