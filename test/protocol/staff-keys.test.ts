import t from 'tap';
import {
  STAFF_ARGON2_MEM, STAFF_ARGON2_OPS, deriveStaffMaster, formatRecoveryKey, fromBase64url, generateRecoveryKey,
  isStrongKdfParams, makeStaffKeys, newKdfParams, openKeyBundle, openRecoveryBundle, parseRecoveryKey, ready,
  sealKeyBundle, sealRecoveryBundle, sodium, toBase64url
} from '../../src/protocol/index.js';
import type { KdfParams } from '../../src/protocol/index.js';

t.before(async () => { await ready(); });

/** Small parameters to keep the tests fast; the real ones are tested once below. */
function weakParams(): KdfParams {
  return { salt: toBase64url(sodium().randombytes_buf(16)), ops: 1, mem: 8192 * 1024 };
}
const weak = { allowWeakParams: true };

t.test('newKdfParams', async (t) => {
  const params = newKdfParams();
  t.equal(fromBase64url(params.salt).length, 16);
  t.equal(params.ops, STAFF_ARGON2_OPS);
  t.equal(params.mem, STAFF_ARGON2_MEM);
  t.ok(isStrongKdfParams(params));
  t.not(newKdfParams().salt, params.salt);
});

t.test('deriveStaffMaster with the real parameters', async (t) => {
  const params = newKdfParams();
  const master = await deriveStaffMaster('correct horse battery staple', params);
  t.equal(master.authKey.length, 32);
  t.equal(master.wrapKey.length, 32);
  const s = sodium();
  const full = s.crypto_pwhash(64, 'correct horse battery staple', fromBase64url(params.salt), params.ops, params.mem, s.crypto_pwhash_ALG_ARGON2ID13);
  t.same(master.authKey, full.slice(0, 32), 'authKey = master[0..32]');
  t.same(master.wrapKey, full.slice(32, 64), 'wrapKey = master[32..64]');
});

t.test('deriveStaffMaster refuses weak or malformed parameters', async (t) => {
  const salt = newKdfParams().salt;
  await t.rejects(deriveStaffMaster('p', { salt, ops: 2, mem: STAFF_ARGON2_MEM }), { name: 'ProtocolError', code: 'weak_kdf_params' });
  await t.rejects(deriveStaffMaster('p', { salt, ops: 3, mem: STAFF_ARGON2_MEM / 2 }), { name: 'ProtocolError', code: 'weak_kdf_params' });
  await t.rejects(deriveStaffMaster('p', { salt: 'AAAA', ops: 3, mem: STAFF_ARGON2_MEM }), { name: 'ProtocolError', code: 'weak_kdf_params' });
  await t.rejects(deriveStaffMaster('p', { salt: 'AAAA', ops: 1, mem: 8192 * 1024 }, weak), { name: 'ProtocolError', code: 'bad_length' });
  await t.rejects(deriveStaffMaster('p', { salt, ops: 0, mem: 8192 * 1024 }, weak), { name: 'ProtocolError', code: 'kdf_failed' });
});

t.test('key bundle round trip; wrong passphrase or user name fails', async (t) => {
  const params = weakParams();
  const master = await deriveStaffMaster('passphrase one', params, weak);
  const again = await deriveStaffMaster('passphrase one', params, weak);
  t.same(again, master, 'deterministic');
  t.notSame(master.authKey, master.wrapKey);

  const keys = makeStaffKeys();
  t.equal(keys.boxPublicKey.length, 32);
  t.equal(keys.boxSecretKey.length, 32);
  t.equal(keys.signPublicKey.length, 32);
  t.equal(keys.signSecretKey.length, 64);
  const bundle = sealKeyBundle(master.wrapKey, keys, 'anna');
  t.equal(fromBase64url(bundle.nonce).length, 24);
  const opened = openKeyBundle(master.wrapKey, bundle, 'anna');
  t.same(opened, { boxSecretKey: keys.boxSecretKey, signSecretKey: keys.signSecretKey });
  t.same(sodium().crypto_scalarmult_base(opened.boxSecretKey), keys.boxPublicKey, 'the box key still matches');

  const wrong = await deriveStaffMaster('passphrase two', params, weak);
  t.throws(() => openKeyBundle(wrong.wrapKey, bundle, 'anna'), { name: 'ProtocolError', code: 'decrypt_failed' }, 'wrong passphrase');
  t.throws(() => openKeyBundle(master.wrapKey, bundle, 'bob'), { name: 'ProtocolError', code: 'decrypt_failed' }, 'other user name');
  t.throws(() => openRecoveryBundle(master.wrapKey, bundle, 'anna'), { name: 'ProtocolError', code: 'decrypt_failed' }, 'a key bundle is no recovery bundle');
});

t.test('a bundle with the wrong content is refused', async (t) => {
  const s = sodium();
  const wrapKey = s.randombytes_buf(32);
  const ad = 'confidant-v1/keys/anna';
  const encrypt = (value: unknown): { nonce: string; ciphertext: string } => {
    const nonce = s.randombytes_buf(24);
    return { nonce: toBase64url(nonce), ciphertext: toBase64url(s.crypto_aead_xchacha20poly1305_ietf_encrypt(JSON.stringify(value), ad, null, nonce, wrapKey)) };
  };
  t.throws(() => openKeyBundle(wrapKey, encrypt({ boxSecretKey: toBase64url(new Uint8Array(32)) }), 'anna'), { name: 'ProtocolError', code: 'bad_key_bundle' });
  t.throws(() => openKeyBundle(wrapKey, encrypt({ boxSecretKey: toBase64url(new Uint8Array(31)), signSecretKey: toBase64url(new Uint8Array(64)) }), 'anna'), { name: 'ProtocolError', code: 'bad_key_bundle' });
  t.throws(() => openKeyBundle(wrapKey, encrypt(null), 'anna'), { name: 'ProtocolError', code: 'bad_key_bundle' });
  t.ok(openKeyBundle(wrapKey, encrypt({ boxSecretKey: toBase64url(new Uint8Array(32)), signSecretKey: toBase64url(new Uint8Array(64)) }), 'anna'));
});

t.test('recovery key: display, parse, bundle', async (t) => {
  for (let i = 0; i < 200; i++) {
    const recovery = generateRecoveryKey();
    if (!/^([0-9A-HJKMNP-TV-Z]{4}-){12}[0-9A-HJKMNP-TV-Z]{4}$/.test(recovery.display)) t.fail(recovery.display);
    const typed = recovery.display.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'o').replace(/1/g, 'l');
    if (toBase64url(parseRecoveryKey(typed)) !== toBase64url(recovery.key)) t.fail(`${recovery.display} did not parse back`);
  }
  t.equal(formatRecoveryKey(new Uint8Array(32)), Array(13).fill('0000').join('-'));
  t.equal(formatRecoveryKey(new Uint8Array(32).fill(0xff)), `${Array(12).fill('ZZZZ').join('-')}-ZZZG`, 'the last symbol carries one bit');
  t.same(parseRecoveryKey(`${Array(12).fill('ZZZZ').join('-')}-ZZZG`), new Uint8Array(32).fill(0xff));

  const bad = { name: 'ProtocolError', code: 'bad_recovery_key' };
  t.throws(() => parseRecoveryKey(`${Array(12).fill('ZZZZ').join('-')}-ZZZZ`), bad, 'non-canonical last symbol');
  t.throws(() => parseRecoveryKey(`${Array(12).fill('ZZZZ').join('-')}-ZZZ`), bad, 'too short');
  t.throws(() => parseRecoveryKey(`${Array(12).fill('ZZZZ').join('-')}-ZZZU`), bad, 'not Crockford');

  const recovery = generateRecoveryKey();
  const keys = makeStaffKeys();
  const bundle = sealRecoveryBundle(recovery.key, keys, 'anna');
  t.same(openRecoveryBundle(parseRecoveryKey(recovery.display), bundle, 'anna'), { boxSecretKey: keys.boxSecretKey, signSecretKey: keys.signSecretKey });
  t.throws(() => openRecoveryBundle(generateRecoveryKey().key, bundle, 'anna'), { name: 'ProtocolError', code: 'decrypt_failed' });
  t.throws(() => openRecoveryBundle(recovery.key, bundle, 'anna2'), { name: 'ProtocolError', code: 'decrypt_failed' });
});
