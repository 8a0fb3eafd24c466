/**
 * Writes docs/vectors/file-v1.json: a file header sealed under a case key, and a three-chunk
 * body (two full 64 KiB chunks and 10 bytes, FINAL), from fixed keys, nonce and stream header.
 * The body is pushed with the stream header fixed (secretstream-noble.ts's initState; libsodium
 * chooses a random one), so anyone can recompute it. Run: node --import tsx scripts/file-vectors.ts
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encryptedFileSize, FILE_CHUNK_BYTES, ready, sealFileHeader, sodium, toBase64url, type FileHeaderPlaintext } from '../src/protocol/index.js';
import { initState, push } from '../src/protocol/secretstream-noble.js';

await ready();
const run = (from: number, length: number) => Uint8Array.from({ length }, (_, i) => (from + i) & 0xff);
const pattern = (size: number) => Uint8Array.from({ length: size }, (_, i) => i % 251);
const hash = (bytes: Uint8Array) => toBase64url(sodium().crypto_generichash(32, bytes, null));

const caseKey = run(0xc8, 32);
const caseId = toBase64url(run(0x10, 16));
const fileId = toBase64url(run(0x20, 16));
const fileKey = run(0x40, 32);
const headerNonce = run(0x60, 24);
const streamHeader = run(0x80, 24);
const size = 2 * FILE_CHUNK_BYTES + 10;
const plaintext = pattern(size);
const header: FileHeaderPlaintext = { v: 1, name: 'notulen-2026.pdf', type: 'application/pdf', size, key: toBase64url(fileKey) };
const sealed = sealFileHeader(caseKey, caseId, fileId, header, headerNonce);

const state = initState(streamHeader, fileKey);
const chunks = [0, 1, 2].map((i) => {
  const part = plaintext.subarray(i * FILE_CHUNK_BYTES, Math.min(size, (i + 1) * FILE_CHUNK_BYTES));
  const tag = i === 2 ? 3 : 0;
  const ciphertext = push(state, part, new Uint8Array(0), tag);
  return { plaintextBytes: part.length, tag, ciphertextBytes: ciphertext.length, blake2b256: hash(ciphertext), start: toBase64url(ciphertext.subarray(0, 48)), ...(i === 2 ? { ciphertext: toBase64url(ciphertext) } : {}), bytes: ciphertext };
});
const body = new Uint8Array(encryptedFileSize(size));
body.set(streamHeader);
let at = streamHeader.length;
for (const c of chunks) {
  body.set(c.bytes, at);
  at += c.bytes.length;
}

const vectors = {
  description:
    'Evidence files (docs/protocol.md §4 "Files"). The header: encryptRecord(caseKey, plaintext, "confidant-v1/file/{caseId}/{fileId}", 1024) with the given nonce. ' +
    'The body: streamHeader ‖ chunks, crypto_secretstream_xchacha20poly1305 under fileKey with no additional data, 64 KiB plaintext chunks, the last tagged FINAL (3), ' +
    'the others MESSAGE (0). The plaintext is byte i = i mod 251. Byte strings are base64url without padding; blake2b256 is crypto_generichash(32, bytes, no key). ' +
    'libsodium picks a random stream header; this one is fixed so that the body can be recomputed (secretstream-noble.ts initState).',
  caseKey: toBase64url(caseKey),
  caseId,
  fileId,
  header: { plaintext: header, nonce: toBase64url(headerNonce), ciphertext: sealed.ciphertext },
  fileKey: toBase64url(fileKey),
  streamHeader: toBase64url(streamHeader),
  plaintext: { size, pattern: 'byte i = i mod 251', blake2b256: hash(plaintext) },
  chunks: chunks.map(({ bytes: _bytes, ...c }) => c),
  body: { bytes: body.length, blake2b256: hash(body) },
  refused: [
    { what: 'the body without its last chunk', error: 'stream_truncated' },
    { what: 'the body cut one byte short', error: 'stream_truncated' },
    { what: 'chunks 1 and 2 swapped', error: 'stream_corrupt' },
    { what: 'one bit flipped in chunk 2', error: 'stream_corrupt' },
    { what: 'one byte after the last chunk', error: 'stream_after_final' },
  ],
};
writeFileSync(fileURLToPath(new URL('../docs/vectors/file-v1.json', import.meta.url)), `${JSON.stringify(vectors, null, 2)}\n`);
