// Sending and reading files without holding them whole: the encrypted body as a tus client asks
// for it (ranges in order, retries from inside the last range), the header's checks on a listed
// file, and a round trip through the reader for every size class.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import t from 'tap';
import {
  encryptedFileSize, FILE_CHUNK_BYTES, listFiles, prepareFile, readFile, ready, sodium, toBase64url, type MailboxFile, type PlainFile,
} from '../../src/protocol/index.js';

await ready();
const caseKey = sodium().randombytes_buf(32);
const caseId = toBase64url(sodium().randombytes_buf(16));

function plainFile(bytes: Uint8Array, name = 'bewijs.pdf', type = 'application/pdf'): PlainFile & { reads: number } {
  const file = {
    name, type, size: bytes.length, reads: 0,
    async read(offset: number, length: number) {
      file.reads += 1;
      return bytes.slice(offset, offset + length);
    },
  };
  return file;
}

/** Sends a file as a tus client would (ranges of `step` bytes, optionally asking a range twice) and reads it back. */
async function roundTrip(plaintext: Uint8Array, step: number, retryAt = -1) {
  const { request, body } = prepareFile(caseKey, caseId, plainFile(plaintext));
  const sent: Uint8Array[] = [];
  for (let start = 0, i = 0; start < body.size; start += step, i += 1) {
    const first = await body.slice(start, start + step);
    if (i === retryAt && !Buffer.from((await body.slice(start, start + step)).value).equals(first.value)) throw new Error('a range asked again gave other bytes');
    sent.push(first.value);
    if (first.done !== (start + step >= body.size)) throw new Error('done at the wrong range');
  }
  const stored: MailboxFile = { fileId: request.fileId, header: { ...request.header, createdAt: new Date().toISOString() } as MailboxFile['header'], bytes: request.bytes, author: 'reporter' };
  const { header, decryptor } = readFile(caseKey, caseId, stored);
  const out: Uint8Array[] = [];
  for (const piece of sent) out.push(...decryptor.push(piece));
  decryptor.end();
  return { header, plaintext: Buffer.concat(out), bytes: sent.reduce((n, p) => n + p.length, 0), request };
}

t.test('a body sent in ranges of 1,000 bytes to 128 KiB (and 3 MiB for six fixed sizes), one range asked twice, reads back byte for byte', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 3 * FILE_CHUNK_BYTES + 5 }), fc.integer({ min: 1000, max: 2 * FILE_CHUNK_BYTES }), async (size, step) => {
      const plaintext = new Uint8Array(randomBytes(size));
      const sent = await roundTrip(plaintext, step, 1);
      return sent.bytes === encryptedFileSize(size) && sent.request.bytes === sent.bytes && Buffer.from(plaintext).equals(sent.plaintext) && sent.header.size === size;
    }),
    { numRuns: 25 },
  );
  for (const size of [0, 1, FILE_CHUNK_BYTES, FILE_CHUNK_BYTES + 1, 16 * FILE_CHUNK_BYTES, 40 * FILE_CHUNK_BYTES + 3]) {
    const plaintext = new Uint8Array(randomBytes(size));
    t.ok(Buffer.from(plaintext).equals((await roundTrip(plaintext, 3 * 1024 * 1024)).plaintext), `${size} bytes in 3 MiB ranges`);
  }
});

t.test('a retry may start inside the last range; a range before it asks for a new upload', async (t) => {
  const plaintext = new Uint8Array(randomBytes(5 * FILE_CHUNK_BYTES));
  const file = plainFile(plaintext);
  const { body } = prepareFile(caseKey, caseId, file);
  const first = await body.slice(0, 100_000);
  const second = await body.slice(100_000, 200_000);
  // The server kept 50,000 bytes of the second request: the client resumes from there.
  const resumed = await body.slice(150_000, 250_000);
  t.same(resumed.value.subarray(0, 50_000), second.value.subarray(50_000), 'the resumed range starts with the bytes sent before');
  t.equal(first.value.length + second.value.length, 200_000);
  await t.rejects(body.slice(100_000, 200_000), { code: 'upload_restart' }, 'bytes before the last range are gone');
  t.ok(file.reads <= 2, `the file is read in blocks of 16 chunks (${file.reads} reads for 250,000 bytes)`);
});

t.test('the header carries a cleaned name and type; a listed file that does not match its header is shown as unreadable', async (t) => {
  const { request } = prepareFile(caseKey, caseId, plainFile(new Uint8Array(10), 'C:\\Users\\melder\\foto\u0007.jpg', 'not a type'));
  const stored = (bytes: number): MailboxFile => ({ fileId: request.fileId, header: request.header as MailboxFile['header'], bytes, author: 'adviser' });
  t.same(listFiles(caseKey, caseId, [stored(request.bytes)]), [{ ok: true, fileId: request.fileId, author: 'adviser', name: 'foto.jpg', type: 'application/octet-stream', size: 10 }], 'no path, no control characters, a known type');
  t.same(listFiles(caseKey, caseId, [stored(request.bytes + 17)]).map((f) => f.ok || f.error), ['stream_corrupt'], 'a listed length the header does not give');
  t.same(listFiles(sodium().randombytes_buf(32), caseId, [stored(request.bytes)]).map((f) => f.ok || f.error), ['decrypt_failed'], 'a header that does not open');
  t.throws(() => readFile(caseKey, caseId, stored(request.bytes - 1)), { code: 'stream_corrupt' }, 'the reader refuses it before any byte');
});
