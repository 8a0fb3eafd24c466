// docs/vectors/pinning-v1.json: the key pinning extension, recomputed twice: once from the
// document's formulas with plain libsodium calls, once through src/protocol.
import { readFileSync } from 'node:fs';
import t from 'tap';
import {
  CODE_ALPHABET, caseKeyCopyKey, openCaseKeyCopy, ProtocolError, sealCaseKeyCopy, caseKeyCommitment, checkCaseKey, fromBase64url, keyFingerprint, normaliseFingerprint, ready, signCaseCommitment, signCasePin, sodium, toBase64url, verifyCasePin, verifyCasePins, type PinCheck
} from '../../src/protocol/index.js';
import { verifyCaseCommitmentSignature } from '../../src/protocol/checks.js';

const v = JSON.parse(readFileSync(new URL('../../docs/vectors/pinning-v1.json', import.meta.url), 'utf8')) as {
  caseId: string; caseKey: string; reporterSignSeed: string; reporterSignPublicKey: string; chosen: string[]; excluded: string[];
  keyCommitment: string; commitmentStatement: string; commitment: { key: string; signature: string; chosen: string[]; excluded: string[] };
  adviserSignSeed: string; adviserSignPublicKey: string; pinStatement: string; pin: string; adviserBoxSeed: string; adviserBoxPublicKey: string;
  adviserBoxSecretKey: string; keyCopyKey: string; keyCopyAd: string; keyCopy: { nonce: string; ciphertext: string };
  fingerprint: string;
};

t.before(ready);

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};

t.test('the commitment, from the formulas', async (t) => {
  const s = sodium();
  const caseKey = fromBase64url(v.caseKey);
  const key = s.crypto_generichash(32, concat(s.from_string('confidant-v1/case-key/'), caseKey), null);
  t.equal(toBase64url(key), v.keyCommitment, 'keyCommitment');
  const statement = `confidant-v1/case-commitment\n${v.caseId}\n${v.keyCommitment}\n${[...v.chosen].sort().join(',')}\n${[...v.excluded].sort().join(',')}\n`;
  t.equal(statement, v.commitmentStatement, 'statement');
  const reporter = s.crypto_sign_seed_keypair(fromBase64url(v.reporterSignSeed));
  t.equal(toBase64url(reporter.publicKey), v.reporterSignPublicKey);
  t.equal(toBase64url(s.crypto_sign_detached(s.from_string(statement), reporter.privateKey)), v.commitment.signature, 'signature (Ed25519 is deterministic)');
});

t.test('the commitment, through the protocol module', async (t) => {
  const s = sodium();
  const caseKey = fromBase64url(v.caseKey);
  const reporter = s.crypto_sign_seed_keypair(fromBase64url(v.reporterSignSeed));
  t.equal(toBase64url(caseKeyCommitment(caseKey)), v.keyCommitment);
  t.same(signCaseCommitment({ caseId: v.caseId, caseKey, chosen: v.chosen, excluded: v.excluded }, reporter.privateKey), v.commitment);
  t.ok(verifyCaseCommitmentSignature(v.caseId, v.commitment, reporter.publicKey));
  t.doesNotThrow(() => checkCaseKey(v.caseId, caseKey, v.commitment, reporter.publicKey));
  // Each part is bound: another case, key, adviser list or signer fails.
  t.notOk(verifyCaseCommitmentSignature('AAAAAAAAAAAAAAAAAAAAAA', v.commitment, reporter.publicKey), 'another case id');
  t.notOk(verifyCaseCommitmentSignature(v.caseId, { ...v.commitment, chosen: ['adviser-a'] }, reporter.publicKey), 'another chosen list');
  t.notOk(verifyCaseCommitmentSignature(v.caseId, { ...v.commitment, excluded: [] }, reporter.publicKey), 'another excluded list');
  t.notOk(verifyCaseCommitmentSignature(v.caseId, v.commitment, s.crypto_sign_keypair().publicKey), 'another signer');
  t.throws(() => checkCaseKey(v.caseId, s.randombytes_buf(32), v.commitment, reporter.publicKey), { code: 'case_key_unverified' }, 'another key');
  t.notOk(verifyCaseCommitmentSignature(v.caseId, { ...v.commitment, signature: 'not base64url!' }, reporter.publicKey), 'garbage never throws');
  t.throws(() => signCaseCommitment({ caseId: v.caseId, caseKey, chosen: ['a,b'], excluded: [] }, reporter.privateKey), { code: 'bad_id' }, 'a key id with "," is refused');
});

t.test('the pin', async (t) => {
  const s = sodium();
  const adviser = s.crypto_sign_seed_keypair(fromBase64url(v.adviserSignSeed));
  t.equal(toBase64url(adviser.publicKey), v.adviserSignPublicKey);
  const statement = `confidant-v1/case-pin\n${v.caseId}\n${v.keyCommitment}\n`;
  t.equal(statement, v.pinStatement);
  t.equal(toBase64url(s.crypto_sign_detached(s.from_string(statement), adviser.privateKey)), v.pin, 'from the formula');
  t.equal(signCasePin(v.caseId, fromBase64url(v.keyCommitment), adviser.privateKey), v.pin, 'through the module');
  t.ok(verifyCasePin(v.caseId, fromBase64url(v.keyCommitment), v.pin, adviser.publicKey));
  t.notOk(verifyCasePin(v.caseId, s.randombytes_buf(32), v.pin, adviser.publicKey), 'another key commitment');
  t.notOk(verifyCasePin(v.caseId, fromBase64url(v.keyCommitment), 'short', adviser.publicKey), 'garbage never throws');
});

t.test('verifyCasePins: the same verdicts as verifyCasePin, natively (WebCrypto) and with libsodium', async (t) => {
  const s = sodium();
  const adviser = s.crypto_sign_seed_keypair(fromBase64url(v.adviserSignSeed));
  const other = s.crypto_sign_keypair();
  const checks: PinCheck[] = [];
  for (let i = 0; i < 40; i++) {
    const caseId = `case-${i}`;
    const keyCommitment = s.randombytes_buf(32);
    const pin = signCasePin(caseId, keyCommitment, adviser.privateKey);
    const signature = fromBase64url(pin);
    const flipped = signature.slice();
    flipped[i % 64]! ^= 1 << (i % 8);
    checks.push(
      { caseId, keyCommitment, pin },
      { caseId, keyCommitment: s.randombytes_buf(32), pin },
      { caseId: `${caseId}-other`, keyCommitment, pin },
      { caseId, keyCommitment, pin: toBase64url(flipped) },
      { caseId, keyCommitment, pin: signCasePin(caseId, keyCommitment, other.privateKey) },
    );
  }
  // Malformed pins, and the edge cases of the signature's encoding: S = 0, S = L (not canonical), R the identity.
  const L = fromBase64url('7dP1XBpjEljWnPei3vneFAAAAAAAAAAAAAAAAAAAABA');
  const identity = new Uint8Array(32);
  identity[0] = 1;
  const edge = (r: Uint8Array, sPart: Uint8Array) => toBase64url(new Uint8Array([...r, ...sPart]));
  const commitment = fromBase64url(v.keyCommitment);
  for (const pin of ['', 'short', 'not base64url!', `${v.pin}A`, v.pin.slice(1), edge(identity, new Uint8Array(32)), edge(identity, L), edge(new Uint8Array(32), new Uint8Array(32)), edge(fromBase64url(v.pin).slice(0, 32), L)]) {
    checks.push({ caseId: v.caseId, keyCommitment: commitment, pin });
  }
  const expected = checks.map((c) => verifyCasePin(c.caseId, c.keyCommitment, c.pin, adviser.publicKey));
  t.equal(expected.filter(Boolean).length, 40, 'exactly the forty real pins verify');
  t.same(await verifyCasePins(checks, adviser.publicKey), expected, 'natively');
  t.same(await verifyCasePins(checks, adviser.publicKey, 'libsodium'), expected, 'with libsodium');
  t.same(await verifyCasePins([], adviser.publicKey), [], 'an empty batch');
  t.same(await verifyCasePins(checks.slice(0, 5), other.publicKey), [false, false, false, false, true], 'under another key, only its own pin');
});

t.test('the case key copy, from the formulas and through the module', async (t) => {
  const s = sodium();
  const box = s.crypto_box_seed_keypair(fromBase64url(v.adviserBoxSeed));
  t.equal(toBase64url(box.publicKey), v.adviserBoxPublicKey);
  t.equal(toBase64url(box.privateKey), v.adviserBoxSecretKey);
  const copyKey = s.crypto_generichash(32, s.from_string('confidant-v1/case-key-copy-key'), box.privateKey);
  t.equal(toBase64url(copyKey), v.keyCopyKey, 'copyKey = BLAKE2b-256(message, key = boxSk)');
  t.equal(v.keyCopyAd, `confidant-v1/case-key-copy/${v.caseId}`, 'ad');
  const sealed = s.crypto_aead_xchacha20poly1305_ietf_encrypt(fromBase64url(v.caseKey), v.keyCopyAd, null, fromBase64url(v.keyCopy.nonce), copyKey);
  t.equal(toBase64url(sealed), v.keyCopy.ciphertext, 'from the formula');
  t.equal(toBase64url(caseKeyCopyKey(box.privateKey)), v.keyCopyKey, 'copyKey through the module');
  t.same(sealCaseKeyCopy(copyKey, v.caseId, fromBase64url(v.caseKey), fromBase64url(v.keyCopy.nonce)), v.keyCopy, 'sealed through the module');
  t.equal(toBase64url(openCaseKeyCopy(copyKey, v.caseId, v.keyCopy)), v.caseKey, 'opens to the case key');
  t.throws(() => openCaseKeyCopy(copyKey, 'AAAAAAAAAAAAAAAAAAAAAA', v.keyCopy), ProtocolError, 'not for another case');
  t.throws(() => openCaseKeyCopy(s.randombytes_buf(32), v.caseId, v.keyCopy), ProtocolError, 'not under another account\'s copy key');
  const short = s.crypto_aead_xchacha20poly1305_ietf_encrypt(s.randombytes_buf(31), v.keyCopyAd, null, fromBase64url(v.keyCopy.nonce), copyKey);
  t.throws(() => openCaseKeyCopy(copyKey, v.caseId, { nonce: v.keyCopy.nonce, ciphertext: toBase64url(short) }), ProtocolError, 'a sealed value that is not 32 bytes is no key');
});

t.test('the fingerprint', async (t) => {
  const s = sodium();
  const box = s.crypto_box_seed_keypair(fromBase64url(v.adviserBoxSeed));
  t.equal(toBase64url(box.publicKey), v.adviserBoxPublicKey);
  const digest = s.crypto_generichash(32, concat(s.from_string('confidant-v1/fingerprint/'), box.publicKey, fromBase64url(v.adviserSignPublicKey)), null);
  // The first 80 bits as one big number, read 5 bits at a time from the top.
  let n = 0n;
  for (const byte of digest.subarray(0, 10)) n = (n << 8n) | BigInt(byte);
  let symbols = '';
  for (let i = 15; i >= 0; i--) symbols += CODE_ALPHABET[Number((n >> BigInt(i * 5)) & 31n)];
  t.equal(symbols.match(/.{4}/g)!.join('-'), v.fingerprint, 'from the formula');
  t.equal(keyFingerprint(box.publicKey, fromBase64url(v.adviserSignPublicKey)), v.fingerprint, 'through the module');
  t.equal(normaliseFingerprint(` ${v.fingerprint.toLowerCase().replace(/-/g, ' ')} `), v.fingerprint, 'case and spaces do not matter');
  t.equal(normaliseFingerprint('ABCD-EFGH'), null, 'too short');
  t.equal(normaliseFingerprint('ABCD-EFGH-IJKL-MNOU'), null, 'I, L, O, U are not symbols');
});
