/**
 * Moving file bodies in the worker: uploads over tus (tus-js-client) from an EncryptedBody that
 * encrypts as tus asks for bytes, and downloads decrypted as they stream in, written to a file
 * the reader chose (File System Access) or gathered into a Blob the page saves. Nothing goes to
 * the browser's storage: an upload lives as long as this worker, so resuming after a dropped
 * connection works, and after a reload the file is sent again.
 */
import { Upload, type UploadOptions } from 'tus-js-client';
import { ApiError, ProtocolError, type FileDownload, type FileUpload, type PlainFile } from '../../protocol/index.js';
import { inspectFile } from './file-cleaning.js';
import type { Progress } from './rpc.js';

/** Bytes per PATCH: big enough that requests cost little, small enough to redo after a drop. */
const PATCH_BYTES = 8 * 1024 * 1024;
/** Waits before each retry after a dropped connection (tus re-asks the offset with HEAD first). */
const RETRY_DELAYS = [0, 1000, 3000, 5000, 10_000, 20_000, 30_000];

/** A File the page handed over, read in ranges without loading it whole. */
export function plainFileOf(file: File): PlainFile {
  return {
    name: file.name,
    type: file.type,
    size: file.size,
    read: async (offset, length) => new Uint8Array(await file.slice(offset, offset + length).arrayBuffer()),
  };
}

/**
 * tus-js-client's options for sending a made file: to its upload URL (HEAD first), 8 MiB per
 * PATCH, the body read from the EncryptedBody, nothing stored for resuming. `asBody` makes a
 * slice what the platform's HTTP stack sends; both stacks read its length from `size`.
 */
export function uploadOptions(made: FileUpload, origin: string, asBody: (bytes: Uint8Array) => { size: number }): UploadOptions {
  return {
    uploadUrl: new URL(made.uploadUrl, origin).href,
    uploadSize: made.body.size,
    headers: made.headers,
    chunkSize: PATCH_BYTES,
    storeFingerprintForResuming: false,
    fileReader: {
      openFile: async () => ({
        size: made.body.size,
        slice: async (start: number, end: number) => {
          const { value, done } = await made.body.slice(start, end);
          return { value: asBody(value), done };
        },
        close: () => made.body.close(),
      }),
    },
  };
}

/** The API's refusal in a tus error, as the worker reports errors to the page. */
function uploadError(error: Error & { originalResponse?: { getStatus(): number; getBody(): string } | null }): Error {
  const response = error.originalResponse;
  if (!response) return Object.assign(new Error(error.message), { code: 'network_error' });
  try {
    const body = JSON.parse(response.getBody()) as { error?: string; message?: string };
    if (typeof body.error === 'string') return new ApiError(response.getStatus(), body.error, body.message ?? body.error);
  } catch {}
  return new ApiError(response.getStatus(), `http_${response.getStatus()}`, error.message);
}

export type FileTransfers = ReturnType<typeof fileTransfers>;

export function fileTransfers() {
  const running = new Map<string, { upload: Upload; paused: boolean; cancelled(): void }>();

  return {
    /** Sends a made file's body; resolves when the server counts it. Progress: 'uploading' with the fraction. */
    send(progress: Progress, transferId: string, made: FileUpload): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        // tus-js-client opens a PATCH before it asks for the bytes; a pause while they are being
        // encrypted would not stop that PATCH, so the bytes are refused then (tus drops the error of a stopped upload).
        const asBody = (bytes: Uint8Array) => {
          if (running.get(transferId)?.paused) throw new Error('paused');
          return new Blob([bytes as Uint8Array<ArrayBuffer>]);
        };
        // The input goes only to our fileReader, which reads the encrypted body: the cast is for tus's typing.
        const upload = new Upload(made.body as unknown as Blob, {
          ...uploadOptions(made, self.location.origin, asBody),
          retryDelays: RETRY_DELAYS,
          onProgress: (sent, total) => progress('uploading', total === 0 ? 1 : sent / total),
          onSuccess: () => {
            running.delete(transferId);
            resolve();
          },
          onError: (error) => {
            running.delete(transferId);
            reject(uploadError(error));
          },
        });
        running.set(transferId, {
          upload,
          paused: false,
          cancelled: () => reject(Object.assign(new Error('The upload was cancelled.'), { code: 'upload_cancelled' })),
        });
        upload.start();
      });
    },

    /** Stops sending; resume() goes on from what the server has. */
    async pause(transferId: string) {
      const transfer = running.get(transferId);
      if (!transfer) return;
      transfer.paused = true;
      await transfer.upload.abort(false);
    },

    resume(transferId: string) {
      const transfer = running.get(transferId);
      if (!transfer) return;
      transfer.paused = false;
      transfer.upload.start();
    },

    /** Stops sending and removes the unfinished upload from the server. */
    async cancel(transferId: string) {
      const transfer = running.get(transferId);
      if (!transfer) return;
      running.delete(transferId);
      await transfer.upload.abort(true).catch(() => {});
      transfer.cancelled();
    },

    /**
     * Reads and decrypts a file as it streams. With a chosen file it writes there and answers
     * null; a stream refused midway is aborted, so no partial file is left. Without one it
     * answers the plaintext as a Blob (the browser keeps large Blobs on disk).
     */
    async receive(progress: Progress, download: FileDownload, target: FileSystemFileHandle | null): Promise<Blob | null> {
      const response = await fetch(download.path, { headers: download.headers, credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' });
      if (!response.ok || response.body === null) {
        const text = await response.text();
        let body: { error?: string; message?: string } = {};
        try {
          body = JSON.parse(text) as typeof body;
        } catch {}
        throw new ApiError(response.status, body.error ?? `http_${response.status}`, body.message ?? response.statusText);
      }
      const writable = target ? await target.createWritable() : null;
      const parts: Blob[] = [];
      const reader = response.body.getReader();
      let opened = 0;
      try {
        for (;;) {
          const { value, done } = await reader.read().catch(() => {
            // The server or the network ended the body early: to the reader, the file stops short.
            throw new ProtocolError('stream_truncated', 'the download stopped before the end of the file');
          });
          if (done) break;
          for (const plain of download.decryptor.push(value)) {
            if (writable) await writable.write(plain as Uint8Array<ArrayBuffer>);
            else parts.push(new Blob([plain as Uint8Array<ArrayBuffer>]));
            opened += plain.length;
            progress('downloading', download.header.size === 0 ? 1 : opened / download.header.size);
          }
        }
        download.decryptor.end();
      } catch (error) {
        await reader.cancel().catch(() => {});
        await writable?.abort().catch(() => {});
        throw error;
      }
      if (writable) {
        await writable.close();
        return null;
      }
      return new Blob(parts, { type: download.header.type });
    },
  };
}

/** The page's calls about files that need no session: looking at a chosen file, and the controls of a running upload. */
export function transferHandlers(transfers: FileTransfers) {
  return {
    async pauseTransfer(_progress: Progress, transferId: string) {
      await transfers.pause(transferId);
      return null;
    },
    async resumeTransfer(_progress: Progress, transferId: string) {
      transfers.resume(transferId);
      return null;
    },
    /** What a chosen file carries besides its content, before anything is sent. */
    async inspectFile(_progress: Progress, file: File) {
      return inspectFile(file);
    },
    async cancelTransfer(_progress: Progress, transferId: string) {
      await transfers.cancel(transferId);
      return null;
    },
  };
}
