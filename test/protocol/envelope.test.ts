import t from 'tap';
import {
  KEY_BYTES, MESSAGE_BLOCK, REGISTRATION_BLOCK, REPORT_BLOCK, decryptBytes, decryptRecord, encryptBytes,
  encryptRecord, fileAd, fromBase64url, isEnvelope, isPaddedCiphertextLength, isSealedKey, messageAd,
  ready, registrationAd, relayCopyAd, reportAd, sealKey, sodium, toBase64url, unsealKey
} from '../../src/protocol/index.js';
import type { Envelope } from '../../src/protocol/index.js';

t.before(async () => { await ready(); });

const decryptFailed = { name: 'ProtocolError', code: 'decrypt_failed' };

function randomKey(): Uint8Array {
  return sodium().randombytes_buf(KEY_BYTES);
}

function randomText(length: number): string {
  const chars = Array.from('abc xyz ÀÉîõü €𝄞 "\\\n\t{}[]');
  // crypto.getRandomValues: libsodium's randombytes_buf is slow for kilobytes (one callback per word).
  return Array.from(crypto.getRandomValues(new Uint8Array(length)), (byte) => chars[byte % chars.length]).join('');
}

t.test('random plaintexts round-trip, padded', async (t) => {
  const failures: string[] = [];
  for (let i = 0; i < 300; i++) {
    const key = randomKey();
    const caseId = toBase64url(sodium().randombytes_buf(16));
    const block = i % 2 === 0 ? MESSAGE_BLOCK : REPORT_BLOCK;
    const plaintext = { v: 1, body: randomText(sodium().randombytes_uniform(3000)), n: i, nested: { list: [i, null, true] } };
    const ad = messageAd(caseId, 'reporter');
    const envelope = encryptRecord(key, plaintext, ad, block);
    if (!isEnvelope(envelope, block)) failures.push(`not an envelope padded to ${block}`);
    if (!isPaddedCiphertextLength(fromBase64url(envelope.ciphertext).length, block)) failures.push('length');
    const opened = decryptRecord(key, envelope, ad, block);
    if (JSON.stringify(opened) !== JSON.stringify(plaintext)) failures.push(`round trip ${i}`);
  }
  t.same(failures, []);
});

t.test('the same plaintext twice gives two nonces and two ciphertexts', async (t) => {
  const key = randomKey();
  const a = encryptRecord(key, { v: 1 }, 'ad', MESSAGE_BLOCK);
  const b = encryptRecord(key, { v: 1 }, 'ad', MESSAGE_BLOCK);
  t.not(a.nonce, b.nonce);
  t.not(a.ciphertext, b.ciphertext);
});

t.test('tampering fails with decrypt_failed', async (t) => {
  const key = randomKey();
  const caseId = 'dyXXv98YmhxcEPB7RJzVUw';
  const ad = messageAd(caseId, 'adviser');
  const envelope = encryptRecord(key, { v: 1, body: 'hello', sentAt: '2025-01-01T00:00:00.000Z' }, ad, MESSAGE_BLOCK);
  const ciphertext = fromBase64url(envelope.ciphertext);
  for (const position of [0, 1, 500, ciphertext.length - 17, ciphertext.length - 16, ciphertext.length - 1]) {
    for (const bit of [0x01, 0x80]) {
      const flipped = ciphertext.slice();
      flipped[position] = (flipped[position] ?? 0) ^ bit;
      t.throws(() => decryptRecord(key, { nonce: envelope.nonce, ciphertext: toBase64url(flipped) }, ad, MESSAGE_BLOCK), decryptFailed, `byte ${position} bit ${bit}`);
    }
  }
  const nonce = fromBase64url(envelope.nonce);
  nonce[3] = (nonce[3] ?? 0) ^ 1;
  t.throws(() => decryptRecord(key, { nonce: toBase64url(nonce), ciphertext: envelope.ciphertext }, ad, MESSAGE_BLOCK), decryptFailed, 'nonce');
  t.throws(() => decryptRecord(key, { nonce: envelope.nonce, ciphertext: toBase64url(ciphertext.slice(0, -1)) }, ad, MESSAGE_BLOCK), decryptFailed, 'truncated');
  t.throws(() => decryptRecord(randomKey(), envelope, ad, MESSAGE_BLOCK), decryptFailed, 'wrong key');
});

t.test('a ciphertext moved to another place fails (associated data)', async (t) => {
  const key = randomKey();
  const caseId = 'dyXXv98YmhxcEPB7RJzVUw';
  const otherCase = 'UwPTVR2PbiJFqC8ZFk1Qnw';
  const envelope = encryptRecord(key, { v: 1, body: 'x', sentAt: 'now' }, messageAd(caseId, 'reporter'), MESSAGE_BLOCK);
  t.ok(decryptRecord(key, envelope, messageAd(caseId, 'reporter'), MESSAGE_BLOCK));
  for (const ad of [
    messageAd(caseId, 'adviser'),
    messageAd(otherCase, 'reporter'),
    registrationAd(caseId),
    relayCopyAd(caseId, 'r1'),
    fileAd(caseId, 'f1'),
    reportAd(caseId),
    ''
  ]) {
    t.throws(() => decryptRecord(key, envelope, ad, REGISTRATION_BLOCK), decryptFailed, ad);
  }
});

t.test('malformed envelopes fail with decrypt_failed, not a crash', async (t) => {
  const key = randomKey();
  const good = encryptRecord(key, { v: 1 }, 'ad', MESSAGE_BLOCK);
  const bad: unknown[] = [
    { nonce: good.nonce.slice(1), ciphertext: good.ciphertext },
    { nonce: `${good.nonce}=`, ciphertext: good.ciphertext },
    { nonce: good.nonce, ciphertext: `${good.ciphertext}==` },
    { nonce: good.nonce, ciphertext: 'AAAA' },
    { nonce: good.nonce },
    null,
    'x'
  ];
  for (const envelope of bad) {
    t.throws(() => decryptRecord(key, envelope as Envelope, 'ad', MESSAGE_BLOCK), decryptFailed, JSON.stringify(envelope));
  }
});

t.test('bad plaintext after a good decryption', async (t) => {
  const key = randomKey();
  const notPadded = encryptBytes(key, new Uint8Array([0x7b, 0x7d]), 'ad');
  t.throws(() => decryptRecord(key, notPadded, 'ad', MESSAGE_BLOCK), { name: 'ProtocolError', code: 'bad_padding' });
  const notJson = encryptBytes(key, sodium().pad(new TextEncoder().encode('{nope'), MESSAGE_BLOCK), 'ad');
  t.throws(() => decryptRecord(key, notJson, 'ad', MESSAGE_BLOCK), { name: 'ProtocolError', code: 'bad_plaintext' });
  const notUtf8 = encryptBytes(key, sodium().pad(new Uint8Array([0x22, 0xff, 0x22]), MESSAGE_BLOCK), 'ad');
  t.throws(() => decryptRecord(key, notUtf8, 'ad', MESSAGE_BLOCK), { name: 'ProtocolError', code: 'bad_plaintext' });
  t.throws(() => encryptRecord(key, undefined, 'ad', MESSAGE_BLOCK), { name: 'ProtocolError', code: 'bad_plaintext' });
  t.same(decryptBytes(key, encryptBytes(key, new Uint8Array([1, 2]), 'ad'), 'ad'), new Uint8Array([1, 2]));
});

t.test('keys and nonces of the wrong length are refused', async (t) => {
  t.throws(() => encryptRecord(new Uint8Array(31), {}, 'ad', MESSAGE_BLOCK), { name: 'ProtocolError', code: 'bad_length' });
  t.throws(() => encryptRecord(randomKey(), {}, 'ad', MESSAGE_BLOCK, new Uint8Array(12)), { name: 'ProtocolError', code: 'bad_length' });
});

t.test('isPaddedCiphertextLength', async (t) => {
  t.ok(isPaddedCiphertextLength(1024 + 16, 1024));
  t.ok(isPaddedCiphertextLength(3 * 1024 + 16, 1024));
  t.ok(isPaddedCiphertextLength(4096 + 16, 4096));
  t.notOk(isPaddedCiphertextLength(16, 1024), 'empty padded plaintext is impossible');
  t.notOk(isPaddedCiphertextLength(1024, 1024), 'no tag');
  t.notOk(isPaddedCiphertextLength(1024 + 15, 1024));
  t.notOk(isPaddedCiphertextLength(1024 + 17, 1024));
  t.notOk(isPaddedCiphertextLength(2048 + 16, 4096));
  t.notOk(isPaddedCiphertextLength(0, 1024));
  t.notOk(isPaddedCiphertextLength(-1008, 1024));
  t.notOk(isPaddedCiphertextLength(1040.5, 1024));
  t.notOk(isPaddedCiphertextLength(Number.NaN, 1024));
  t.notOk(isPaddedCiphertextLength(1040, 0));
});

t.test('sealKey / unsealKey', async (t) => {
  const s = sodium();
  const box = s.crypto_box_keypair();
  const other = s.crypto_box_keypair();
  const key = randomKey();
  const wrap = sealKey(key, box.publicKey);
  t.ok(isSealedKey(wrap));
  t.equal(fromBase64url(wrap).length, 80);
  t.same(unsealKey(wrap, box.publicKey, box.privateKey), key);
  t.not(sealKey(key, box.publicKey), wrap, 'sealing is randomised');
  const unsealFailed = { name: 'ProtocolError', code: 'unseal_failed' };
  t.throws(() => unsealKey(wrap, other.publicKey, other.privateKey), unsealFailed);
  const flipped = fromBase64url(wrap);
  flipped[40] = (flipped[40] ?? 0) ^ 1;
  t.throws(() => unsealKey(toBase64url(flipped), box.publicKey, box.privateKey), unsealFailed);
  t.throws(() => unsealKey('AAAA', box.publicKey, box.privateKey), unsealFailed);
  const longer = toBase64url(s.crypto_box_seal(new Uint8Array(33), box.publicKey));
  t.throws(() => unsealKey(longer, box.publicKey, box.privateKey), unsealFailed, 'a sealed 33-byte value is not a key');
  t.notOk(isSealedKey(longer));
  t.throws(() => sealKey(new Uint8Array(16), box.publicKey), { name: 'ProtocolError', code: 'bad_length' });
});
