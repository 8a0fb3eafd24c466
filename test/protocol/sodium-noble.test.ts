// The pure-JavaScript engine (src/protocol/sodium-noble.ts) against libsodium, primitive by
// primitive: deterministic functions give the same bytes for random inputs, and what one engine
// seals, signs or encrypts the other opens, verifies or decrypts (and refuses when tampered).
import fc from 'fast-check';
import libsodium from 'libsodium-wrappers-sumo';
import t from 'tap';
import { nobleSodium as noble } from '../../src/protocol/sodium-noble.js';
import type { Sodium } from '../../src/protocol/sodium.js';

await libsodium.ready;
const sodium: Sodium = libsodium;
const URLSAFE = libsodium.base64_variants.URLSAFE_NO_PADDING;
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const key32 = bytes(32, 32);
const runs = { numRuns: 60 };

/** Flips one bit of a copy. */
function flipped(input: Uint8Array, at: number): Uint8Array {
  const out = input.slice();
  out[at % out.length]! ^= 1;
  return out;
}

t.test('base64url, UTF-8 and padding agree', async (t) => {
  fc.assert(fc.property(bytes(0, 80), (input) => {
    const text = sodium.to_base64(input, URLSAFE);
    return noble.to_base64(input, URLSAFE) === text && Buffer.from(noble.from_base64(text, URLSAFE)).equals(input);
  }), runs);
  fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (text) =>
    Buffer.from(noble.from_string(text)).equals(sodium.from_string(text)) && noble.to_string(sodium.from_string(text)) === text), runs);
  t.throws(() => noble.to_string(new Uint8Array([0xc3, 0x28])), 'invalid UTF-8 is refused, as libsodium refuses it');
  t.throws(() => noble.from_base64('AB', URLSAFE), 'non-zero unused bits are refused');
  t.throws(() => noble.from_base64('A', URLSAFE), 'a lone symbol is refused');
  fc.assert(fc.property(bytes(0, 600), fc.integer({ min: 1, max: 512 }), (input, block) => {
    const padded = sodium.pad(input, block);
    return Buffer.from(noble.pad(input, block)).equals(padded) && Buffer.from(noble.unpad(padded, block)).equals(input);
  }), runs);
  t.throws(() => noble.unpad(new Uint8Array(16), 16), 'padding without its 0x80 is refused');
  t.throws(() => noble.unpad(new Uint8Array([1, 2, 0x80, 0, 0, 0, 0, 1]), 8), 'a non-zero byte after 0x80 is refused');
});

t.test('BLAKE2b: generichash, keyed, and the KDF', async (t) => {
  fc.assert(fc.property(bytes(0, 300), fc.integer({ min: 16, max: 64 }), fc.option(bytes(16, 64), { nil: null }), (message, length, key) =>
    Buffer.from(noble.crypto_generichash(length, message, key)).equals(sodium.crypto_generichash(length, message, key))), runs);
  t.same(noble.crypto_generichash(16, 'confidant-v1/code-salt', null), sodium.crypto_generichash(16, 'confidant-v1/code-salt', null), 'strings hash as UTF-8');
  fc.assert(fc.property(key32, fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 16, max: 64 }), (key, id, length) =>
    Buffer.from(noble.crypto_kdf_derive_from_key(length, id, 'confidnt', key)).equals(sodium.crypto_kdf_derive_from_key(length, id, 'confidnt', key))), runs);
});

t.test('Argon2id gives the same bytes (small parameters; the vectors run the real ones)', async (t) => {
  for (const password of ['', 'ABCDEFGHJKMNPQRSTVWX', 'wachtwoord met spaties en ë']) {
    const salt = sodium.randombytes_buf(16);
    t.same(noble.crypto_pwhash(64, password, salt, 3, 8 * 1024 * 1024, 2), sodium.crypto_pwhash(64, password, salt, 3, 8 * 1024 * 1024, libsodium.crypto_pwhash_ALG_ARGON2ID13), JSON.stringify(password));
  }
  t.throws(() => noble.crypto_pwhash(32, 'x', new Uint8Array(16), 3, 8 * 1024 * 1024, 1), 'another algorithm is refused');
});

t.test('Ed25519: the same keys and signatures, verified across engines', async (t) => {
  fc.assert(fc.property(key32, bytes(0, 200), (seed, message) => {
    const ours = noble.crypto_sign_seed_keypair(seed);
    const theirs = sodium.crypto_sign_seed_keypair(seed);
    const signature = noble.crypto_sign_detached(message, ours.privateKey);
    return Buffer.from(ours.privateKey).equals(theirs.privateKey) &&
      Buffer.from(ours.publicKey).equals(theirs.publicKey) &&
      Buffer.from(noble.crypto_sign_ed25519_sk_to_pk(ours.privateKey)).equals(theirs.publicKey) &&
      Buffer.from(signature).equals(sodium.crypto_sign_detached(message, theirs.privateKey)) &&
      sodium.crypto_sign_verify_detached(signature, message, theirs.publicKey) &&
      noble.crypto_sign_verify_detached(signature, message, ours.publicKey) &&
      !noble.crypto_sign_verify_detached(flipped(signature, message.length), message, ours.publicKey);
  }), runs);
  const pair = noble.crypto_sign_keypair();
  t.equal(pair.privateKey.length, 64);
  t.notOk(noble.crypto_sign_verify_detached(new Uint8Array(3), 'x', pair.publicKey), 'a malformed signature is false, not an exception');
  t.notOk(noble.crypto_sign_verify_detached(new Uint8Array(64), 'x', new Uint8Array(32).fill(0xff)), 'a malformed key is false, not an exception');
});

t.test('X25519 and sealed boxes: the same keys, and each engine opens what the other sealed', async (t) => {
  fc.assert(fc.property(key32, bytes(0, 100), (seed, message) => {
    const ours = noble.crypto_box_seed_keypair(seed);
    const theirs = sodium.crypto_box_seed_keypair(seed);
    if (!Buffer.from(ours.privateKey).equals(theirs.privateKey) || !Buffer.from(ours.publicKey).equals(theirs.publicKey)) return false;
    if (!Buffer.from(noble.crypto_scalarmult_base(ours.privateKey)).equals(ours.publicKey)) return false;
    const sealedByNoble = noble.crypto_box_seal(message, ours.publicKey);
    const sealedByLibsodium = sodium.crypto_box_seal(message, theirs.publicKey);
    return sealedByNoble.length === message.length + 48 &&
      Buffer.from(sodium.crypto_box_seal_open(sealedByNoble, theirs.publicKey, theirs.privateKey)).equals(message) &&
      Buffer.from(noble.crypto_box_seal_open(sealedByLibsodium, ours.publicKey, ours.privateKey)).equals(message);
  }), runs);
  const pair = noble.crypto_box_keypair();
  const sealed = noble.crypto_box_seal('case key', pair.publicKey);
  for (const at of [0, 40, sealed.length - 1]) {
    t.throws(() => noble.crypto_box_seal_open(flipped(sealed, at), pair.publicKey, pair.privateKey), `a flipped bit at ${at} is refused`);
  }
  t.throws(() => noble.crypto_box_seal_open(sealed, pair.publicKey, noble.crypto_box_keypair().privateKey), 'another key is refused');
  t.throws(() => noble.crypto_box_seal_open(sealed.subarray(0, 47), pair.publicKey, pair.privateKey), 'a short box is refused');
});

t.test('XChaCha20-Poly1305: the same ciphertexts, opened across engines, refused when tampered', async (t) => {
  fc.assert(fc.property(key32, bytes(24, 24), bytes(0, 300), fc.option(bytes(0, 60), { nil: null }), (key, nonce, message, ad) => {
    const ciphertext = noble.crypto_aead_xchacha20poly1305_ietf_encrypt(message, ad, null, nonce, key);
    if (!Buffer.from(ciphertext).equals(sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(message, ad, null, nonce, key))) return false;
    if (!Buffer.from(noble.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, ad, nonce, key)).equals(message)) return false;
    try {
      noble.crypto_aead_xchacha20poly1305_ietf_decrypt(null, flipped(ciphertext, message.length), ad, nonce, key);
      return false;
    } catch {
      return true;
    }
  }), runs);
  const key = noble.randombytes_buf(32);
  const nonce = noble.randombytes_buf(24);
  const ciphertext = noble.crypto_aead_xchacha20poly1305_ietf_encrypt('text', 'ad-1', null, nonce, key);
  t.throws(() => noble.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, 'ad-2', nonce, key), 'other associated data is refused');
});

t.test('randomness and comparison', async (t) => {
  t.equal(noble.randombytes_buf(100_000).length, 100_000, 'more than one getRandomValues call fills');
  t.not(noble.to_base64(noble.randombytes_buf(32), URLSAFE), noble.to_base64(noble.randombytes_buf(32), URLSAFE));
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) seen.add(noble.randombytes_uniform(32));
  t.equal(seen.size, 32, 'uniform reaches every value below the bound');
  t.ok([...seen].every((n) => n >= 0 && n < 32), 'and none above');
  t.throws(() => noble.randombytes_uniform(0), 'a bound of 0 is refused');
  t.ok(noble.memcmp(new Uint8Array([1, 2]), new Uint8Array([1, 2])));
  t.notOk(noble.memcmp(new Uint8Array([1, 2]), new Uint8Array([1, 3])));
  t.throws(() => noble.memcmp(new Uint8Array(1), new Uint8Array(2)), 'different lengths are refused, as libsodium refuses them');
  const secret = new Uint8Array([1, 2, 3]);
  noble.memzero(secret);
  t.same([...secret], [0, 0, 0]);
});

t.test('secretstream: what one engine pushes the other pulls, message by message, tags and rekeys included; tampering is refused', async (t) => {
  const TAG = { MESSAGE: 0, PUSH: 1, REKEY: 2, FINAL: 3 };
  t.same(
    [libsodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE, libsodium.crypto_secretstream_xchacha20poly1305_TAG_PUSH, libsodium.crypto_secretstream_xchacha20poly1305_TAG_REKEY, libsodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL],
    [TAG.MESSAGE, TAG.PUSH, TAG.REKEY, TAG.FINAL],
    "libsodium's tag values",
  );
  const message = fc.record({ body: bytes(0, 300), tag: fc.constantFrom(TAG.MESSAGE, TAG.PUSH, TAG.REKEY, TAG.MESSAGE), ad: fc.option(bytes(0, 40), { nil: null }) });
  const pulls = (from: Sodium, to: Sodium) => (key: Uint8Array, messages: Array<{ body: Uint8Array; tag: number; ad: Uint8Array | null }>) => {
    const { state, header } = from.crypto_secretstream_xchacha20poly1305_init_push(key);
    const chunks = messages.map((m, i) => from.crypto_secretstream_xchacha20poly1305_push(state, m.body, m.ad, i === messages.length - 1 ? TAG.FINAL : m.tag));
    const reader = to.crypto_secretstream_xchacha20poly1305_init_pull(header, key);
    return chunks.every((chunk, i) => {
      const got = to.crypto_secretstream_xchacha20poly1305_pull(reader, chunk, messages[i]!.ad);
      const tag = i === messages.length - 1 ? TAG.FINAL : messages[i]!.tag;
      return got !== false && got.tag === tag && Buffer.from(got.message).equals(messages[i]!.body) && chunk.length === messages[i]!.body.length + 17;
    });
  };
  fc.assert(fc.property(key32, fc.array(message, { minLength: 1, maxLength: 12 }), pulls(sodium, noble)), runs);
  fc.assert(fc.property(key32, fc.array(message, { minLength: 1, maxLength: 12 }), pulls(noble, sodium)), runs);
  // Chunks of the size files use: 64 KiB, and one byte either side.
  const key = libsodium.randombytes_buf(32);
  t.ok(pulls(noble, sodium)(key, [65535, 65536, 65537].map((n) => ({ body: libsodium.randombytes_buf(n), tag: TAG.MESSAGE, ad: null }))), 'chunks of 64 KiB ± 1, noble to libsodium');
  t.ok(pulls(sodium, noble)(key, [65535, 65536, 65537].map((n) => ({ body: libsodium.randombytes_buf(n), tag: TAG.MESSAGE, ad: null }))), 'and libsodium to noble');

  // Each engine refuses a flipped bit anywhere in a chunk, and a chunk out of its place.
  for (const [name, engine] of [['libsodium', sodium], ['noble', noble]] as const) {
    const { state, header } = engine.crypto_secretstream_xchacha20poly1305_init_push(key);
    const first = engine.crypto_secretstream_xchacha20poly1305_push(state, libsodium.from_string('eerste'), null, TAG.MESSAGE);
    const second = engine.crypto_secretstream_xchacha20poly1305_push(state, libsodium.from_string('tweede'), null, TAG.FINAL);
    const refuses = (chunks: Uint8Array[]) => {
      const reader = engine.crypto_secretstream_xchacha20poly1305_init_pull(header, key);
      try {
        return chunks.some((chunk) => engine.crypto_secretstream_xchacha20poly1305_pull(reader, chunk, null) === false);
      } catch {
        return true;
      }
    };
    for (let at = 0; at < first.length; at++) if (!refuses([flipped(first, at)])) t.fail(`${name}: a bit flipped at ${at} is accepted`);
    t.ok(refuses([second]), `${name}: the second chunk first is refused`);
    t.ok(refuses([first, first]), `${name}: a chunk twice is refused`);
    t.ok(refuses([first.subarray(0, 16)]), `${name}: a chunk shorter than its overhead is refused`);
    t.notOk(refuses([first, second]), `${name}: in order, both open`);
  }
});
