// Evidence files: docs/vectors/file-v1.json recomputed from the document's formulas with plain
// libsodium calls and through src/protocol on both engines; the stream reader's refusals; and
// round trips of every size class.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import t from 'tap';
import {
  encryptedFileSize, plaintextSizeOf, FILE_CHUNK_BYTES, FileDecryptor, FileEncryptor, fileAd, fromBase64url, openFileHeader, ready, sealFileHeader, sodium, toBase64url,
  FILE_HEADER_BLOCK, type FileHeaderPlaintext,
} from '../../src/protocol/index.js';
import { initState, push } from '../../src/protocol/secretstream-noble.js';
import { useEngine } from '../../src/protocol/sodium.js';

interface Chunk { plaintextBytes: number; tag: number; ciphertextBytes: number; blake2b256: string; start: string; ciphertext?: string }
const v = JSON.parse(readFileSync(new URL('../../docs/vectors/file-v1.json', import.meta.url), 'utf8')) as {
  caseKey: string; caseId: string; fileId: string; header: { plaintext: FileHeaderPlaintext; nonce: string; ciphertext: string };
  fileKey: string; streamHeader: string; plaintext: { size: number; blake2b256: string }; chunks: Chunk[]; body: { bytes: number; blake2b256: string };
  refused: Array<{ what: string; error: string }>;
};

await ready();
const hash = (bytes: Uint8Array) => toBase64url(sodium().crypto_generichash(32, bytes, null));
const pattern = (size: number) => Uint8Array.from({ length: size }, (_, i) => i % 251);
const fileKey = fromBase64url(v.fileKey);

/** The body of the vector, pushed again with its fixed stream header. */
function vectorChunks(): Uint8Array[] {
  const state = initState(fromBase64url(v.streamHeader), fileKey);
  const plaintext = pattern(v.plaintext.size);
  return v.chunks.map((c, i) => push(state, plaintext.subarray(i * FILE_CHUNK_BYTES, i * FILE_CHUNK_BYTES + c.plaintextBytes), new Uint8Array(0), c.tag));
}
const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const body = (chunks: Uint8Array[]) => concat([fromBase64url(v.streamHeader), ...chunks]);

/** Reads `bytes` in the given piece sizes (cycled); the plaintext, or the error code. */
function read(bytes: Uint8Array, pieces: number[] = [bytes.length]): Uint8Array | string {
  const reader = new FileDecryptor(fileKey, v.plaintext.size);
  const out: Uint8Array[] = [];
  try {
    for (let at = 0, i = 0; at < bytes.length; i++) {
      const n = Math.max(1, pieces[i % pieces.length]!);
      out.push(...reader.push(bytes.subarray(at, at + n)));
      at += n;
    }
    reader.end();
    return concat(out);
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

t.test('the vector, from the formulas with plain libsodium calls', async (t) => {
  const s = sodium();
  const header = s.unpad(s.crypto_aead_xchacha20poly1305_ietf_decrypt(null, fromBase64url(v.header.ciphertext), s.from_string(`confidant-v1/file/${v.caseId}/${v.fileId}`), fromBase64url(v.header.nonce), fromBase64url(v.caseKey)), FILE_HEADER_BLOCK);
  t.same(JSON.parse(s.to_string(header)), v.header.plaintext, 'the header opens to its plaintext');
  const chunks = vectorChunks();
  chunks.forEach((c, i) => {
    t.equal(c.length, v.chunks[i]!.ciphertextBytes, `chunk ${i + 1}: ${c.length} bytes`);
    t.equal(hash(c), v.chunks[i]!.blake2b256, `chunk ${i + 1}: its hash`);
    t.equal(toBase64url(c.subarray(0, 48)), v.chunks[i]!.start, `chunk ${i + 1}: its first bytes`);
  });
  t.equal(toBase64url(chunks[2]!), v.chunks[2]!.ciphertext, 'the last chunk in full');
  t.equal(hash(body(chunks)), v.body.blake2b256, 'the whole body');
  t.equal(body(chunks).length, v.body.bytes);
  const state = s.crypto_secretstream_xchacha20poly1305_init_pull(fromBase64url(v.streamHeader), fileKey);
  const opened = chunks.map((c) => s.crypto_secretstream_xchacha20poly1305_pull(state, c, null));
  t.same(opened.map((o) => (o === false ? null : o.tag)), v.chunks.map((c) => c.tag), 'libsodium pulls each chunk with its tag');
  t.equal(hash(concat(opened.map((o) => (o === false ? new Uint8Array(0) : o.message)))), v.plaintext.blake2b256, 'and the plaintext');
});

for (const engine of ['libsodium', 'noble'] as const) {
  t.test(`the vector through src/protocol, ${engine} engine`, async (t) => {
    await useEngine(engine);
    t.teardown(() => useEngine('libsodium'));
    const caseKey = fromBase64url(v.caseKey);
    t.equal(sealFileHeader(caseKey, v.caseId, v.fileId, v.header.plaintext, fromBase64url(v.header.nonce)).ciphertext, v.header.ciphertext, 'sealFileHeader gives the header');
    t.same(openFileHeader(caseKey, v.caseId, v.fileId, v.header), v.header.plaintext, 'openFileHeader opens it');
    t.throws(() => openFileHeader(caseKey, v.caseId, 'AAAAAAAAAAAAAAAAAAAAAA', v.header), { code: 'decrypt_failed' }, 'moved to another file id it does not open');
    t.equal(encryptedFileSize(v.plaintext.size), v.body.bytes, 'encryptedFileSize: the body length, known before the upload');
    const chunks = vectorChunks();
    const whole = body(chunks);
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 5 }), (pieces) => {
      const got = read(whole, pieces);
      return typeof got !== 'string' && hash(got) === v.plaintext.blake2b256;
    }), { numRuns: 25 });
    const refusals: Record<string, Uint8Array> = {
      'the body without its last chunk': body(chunks.slice(0, 2)),
      'the body cut one byte short': whole.subarray(0, whole.length - 1),
      'chunks 1 and 2 swapped': body([chunks[1]!, chunks[0]!, chunks[2]!]),
      'one bit flipped in chunk 2': (() => {
        const copy = whole.slice();
        copy[24 + chunks[0]!.length + 100]! ^= 1;
        return copy;
      })(),
      'one byte after the last chunk': concat([whole, new Uint8Array([0])]),
    };
    for (const { what, error } of v.refused) t.equal(read(refusals[what]!), error, `${what}: ${error}`);
    t.equal(read(body([chunks[0]!, chunks[0]!, chunks[2]!])), 'stream_corrupt', 'a chunk twice: stream_corrupt');
    t.equal(read(whole.subarray(0, 10)), 'stream_truncated', 'only part of the stream header: stream_truncated');
    t.equal(read(new Uint8Array(0)), 'stream_truncated', 'nothing at all: stream_truncated');
  });
}

t.test('round trips: empty, one byte, a chunk exactly, a chunk and a byte, several chunks', async (t) => {
  for (const size of [0, 1, FILE_CHUNK_BYTES - 1, FILE_CHUNK_BYTES, FILE_CHUNK_BYTES + 1, 3 * FILE_CHUNK_BYTES]) {
    const key = sodium().randombytes_buf(32);
    const plaintext = sodium().randombytes_buf(size);
    const writer = new FileEncryptor(key);
    const parts = [writer.header];
    for (let at = 0; ; at += FILE_CHUNK_BYTES) {
      const last = at + FILE_CHUNK_BYTES >= size;
      parts.push(writer.chunk(plaintext.subarray(at, Math.min(size, at + FILE_CHUNK_BYTES)), last));
      if (last) break;
    }
    const bytes = concat(parts);
    t.equal(bytes.length, encryptedFileSize(size), `${size} bytes: the length encryptedFileSize says`);
    const reader = new FileDecryptor(key, size);
    const out = concat(reader.push(bytes));
    reader.end();
    t.ok(Buffer.from(out).equals(plaintext), `${size} bytes: read back byte for byte`);
    t.throws(() => writer.chunk(new Uint8Array(0), true), { code: 'stream_after_final' }, `${size} bytes: nothing after the last chunk`);
  }
  const writer = new FileEncryptor(sodium().randombytes_buf(32));
  t.throws(() => writer.chunk(new Uint8Array(10), false), { code: 'bad_length' }, 'a short chunk before the last is refused');
  t.throws(() => writer.chunk(new Uint8Array(FILE_CHUNK_BYTES + 1), true), { code: 'bad_length' }, 'a chunk over 64 KiB is refused');
  t.throws(() => new FileDecryptor(sodium().randombytes_buf(32), FILE_CHUNK_BYTES).push(concat([writer.header, new Uint8Array(FILE_CHUNK_BYTES + 17)])), { code: 'stream_corrupt' }, 'random bytes do not verify');
});

t.test('file headers: only the shape of the protocol is sealed or opened', async (t) => {
  const caseKey = sodium().randombytes_buf(32);
  const good: FileHeaderPlaintext = { v: 1, name: 'bewijs.jpg', type: 'image/jpeg', size: 10, key: toBase64url(sodium().randombytes_buf(32)) };
  t.same(openFileHeader(caseKey, 'C', 'F', sealFileHeader(caseKey, 'C', 'F', good)), good, 'a good header round-trips');
  const bad: Array<[string, unknown]> = [
    ['a path in the name', { ...good, name: '../etc/passwd' }],
    ['a backslash path', { ...good, name: 'C:\\x.pdf' }],
    ['a control character', { ...good, name: 'a\nb.pdf' }],
    ['an empty name', { ...good, name: '' }],
    ['a name of 256 characters', { ...good, name: 'a'.repeat(256) }],
    ['no media type', { ...good, type: 'pdf' }],
    ['a negative size', { ...good, size: -1 }],
    ['a fractional size', { ...good, size: 1.5 }],
    ['a short key', { ...good, key: toBase64url(new Uint8Array(16)) }],
    ['another version', { ...good, v: 2 }],
  ];
  for (const [what, header] of bad) {
    t.throws(() => sealFileHeader(caseKey, 'C', 'F', header as FileHeaderPlaintext), { code: 'bad_file_header' }, `sealing: ${what}`);
    const sealed = sodium().crypto_aead_xchacha20poly1305_ietf_encrypt(sodium().pad(sodium().from_string(JSON.stringify(header)), FILE_HEADER_BLOCK), fileAd('C', 'F'), null, new Uint8Array(24), caseKey);
    t.throws(() => openFileHeader(caseKey, 'C', 'F', { nonce: toBase64url(new Uint8Array(24)), ciphertext: toBase64url(sealed) }), { code: 'bad_file_header' }, `opening: ${what}`);
  }
});

t.test('plaintextSizeOf: the one size a length encrypts, and null for a length no file has', async (t) => {
  // Every size maps back from its encrypted length: sizes around chunk boundaries, and up to 2 GiB.
  const boundary = fc.tuple(fc.integer({ min: 0, max: 40_000 }), fc.integer({ min: -2, max: 2 })).map(([n, d]) => Math.max(0, n * FILE_CHUNK_BYTES + d));
  fc.assert(fc.property(fc.oneof(boundary, fc.integer({ min: 0, max: 2 ** 31 })), (size) => plaintextSizeOf(encryptedFileSize(size)) === size));
  // A length without a size is one no size near it encrypts to (the length grows with the size, 17 bytes a chunk).
  const sizesNear = (length: number) => {
    const chunks = Math.ceil((length - 24) / (FILE_CHUNK_BYTES + 17));
    return [chunks - 1, chunks, chunks + 1].map((k) => length - 24 - 17 * Math.max(1, k)).filter((size) => size >= 0);
  };
  fc.assert(
    // Lengths just past a whole chunk (1 to 16 bytes: no file has them) are drawn as often as any.
    fc.property(fc.oneof(fc.integer({ min: -5, max: 2 ** 31 + 100_000 }), fc.tuple(fc.integer({ min: 1, max: 32_768 }), fc.integer({ min: 1, max: 16 })).map(([n, d]) => encryptedFileSize(n * FILE_CHUNK_BYTES) + d)), (length) => {
      const size = plaintextSizeOf(length);
      if (length > 41 && (length - 24) % (FILE_CHUNK_BYTES + 17) > 0 && (length - 24) % (FILE_CHUNK_BYTES + 17) <= 16 && size !== null) return false;
      return size === null ? sizesNear(length).every((near) => encryptedFileSize(near) !== length) : encryptedFileSize(size) === length;
    }),
  );
  t.equal(plaintextSizeOf(41), 0, 'an empty file: one empty chunk');
  t.equal(plaintextSizeOf(40), null, 'shorter than an empty file');
  t.equal(plaintextSizeOf(24 + FILE_CHUNK_BYTES + 17), FILE_CHUNK_BYTES, 'one whole chunk');
  t.equal(plaintextSizeOf(24 + FILE_CHUNK_BYTES + 18), null, 'one byte more has no file: a second chunk adds 17');
  t.equal(plaintextSizeOf(24 + FILE_CHUNK_BYTES + 1 + 34), FILE_CHUNK_BYTES + 1, 'a chunk and a byte');
  t.equal(plaintextSizeOf(1.5), null, 'not a whole number');
});
