/**
 * Sending and reading file bodies in Node as the page's worker does, for tests that go through
 * the typed client: an upload's body in PATCHes, a download decrypted chunk by chunk.
 */
import type { FileDownload, FileUpload, PlainFile } from '../../src/protocol/index.js';

export const plainFile = (name: string, type: string, bytes: Uint8Array): PlainFile => ({
  name,
  type,
  size: bytes.length,
  read: async (offset, length) => bytes.subarray(offset, offset + length),
});

/** Sends an upload's body (bytes [from, to), by default all of it) in PATCHes of 1 MiB, as tus-js-client would. */
export async function sendBody(baseUrl: string, upload: FileUpload, from = 0, to = upload.body.size): Promise<void> {
  for (let offset = from; offset < to; ) {
    const { value } = await upload.body.slice(offset, Math.min(to, offset + 1024 * 1024));
    const answer = await fetch(`${baseUrl}${upload.uploadUrl}`, {
      method: 'PATCH',
      headers: { ...upload.headers, 'tus-resumable': '1.0.0', 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
      body: new Blob([value as Uint8Array<ArrayBuffer>]),
    });
    if (answer.status !== 204) throw new Error(`PATCH answered ${answer.status}: ${await answer.text()}`);
    offset += value.length;
  }
}

/** Fetches and decrypts a download as the page's worker does: chunk by chunk, refusing a cut stream. */
export async function readAll(baseUrl: string, download: FileDownload): Promise<Buffer> {
  const answer = await fetch(`${baseUrl}${download.path}`, { headers: download.headers });
  if (answer.status !== 200) throw new Error(`GET answered ${answer.status}: ${await answer.text()}`);
  const pieces: Uint8Array[] = [];
  for await (const piece of answer.body as unknown as AsyncIterable<Uint8Array>) pieces.push(...download.decryptor.push(piece));
  download.decryptor.end();
  return Buffer.concat(pieces);
}

