/**
 * Evidence files (docs/protocol.md §4 "Files"): a file header sealed under the case key, and the
 * body as a secretstream (crypto_secretstream_xchacha20poly1305) under a fresh file key, in
 * 64 KiB plaintext chunks, the last one tagged FINAL. The body's bytes on the wire are the
 * stream header (24 bytes) followed by the chunks, each 17 bytes longer than its plaintext, so
 * the upload's length is known before the first byte is read (encryptedFileSize).
 *
 * Reading refuses what a server or a network could do to a stream: a chunk changed, dropped,
 * repeated or moved (each MAC covers its place), a stream cut before its FINAL chunk, and bytes
 * after it. Nothing here holds a whole file: both directions work a chunk at a time.
 */
import { fileAd } from './associated-data.js';
import { fromBase64url, toBase64url } from './base64url.js';
import { FILE_HEADER_BLOCK, KEY_BYTES } from './constants.js';
import { decryptRecord, encryptRecord } from './envelope.js';
import { ProtocolError } from './errors.js';
import { sodium, type SecretStreamState } from './sodium.js';
import type { Envelope } from './wire.js';

/** Plaintext bytes per chunk; only the last chunk may be shorter (an empty file is one empty FINAL chunk). */
export const FILE_CHUNK_BYTES = 64 * 1024;
export const STREAM_HEADER_BYTES = 24;
/** What each chunk adds: the encrypted tag byte and a 16-byte MAC. */
export const STREAM_CHUNK_OVERHEAD = 17;

const TAG_MESSAGE = 0;
const TAG_FINAL = 3;

/** The file header's plaintext: what the file is, and the key of its body. */
export interface FileHeaderPlaintext {
  v: 1;
  /** The file name as the sender's system gave it (no path). */
  name: string;
  /** A media type such as "application/pdf"; "application/octet-stream" when unknown. */
  type: string;
  /** The plaintext size in bytes. */
  size: number;
  /** The body's secretstream key, 32 bytes, base64url. */
  key: string;
}

/** How many chunks a file of `size` bytes has: at least one. */
export const fileChunkCount = (size: number): number => Math.max(1, Math.ceil(size / FILE_CHUNK_BYTES));

/** The exact length of the encrypted body of a `size`-byte file. */
export function encryptedFileSize(size: number): number {
  if (!Number.isSafeInteger(size) || size < 0) throw new ProtocolError('bad_file_header', 'a file size is a whole number of bytes');
  return STREAM_HEADER_BYTES + size + fileChunkCount(size) * STREAM_CHUNK_OVERHEAD;
}

/**
 * The plaintext size whose encrypted body is exactly `encrypted` bytes, or null when no file
 * encrypts to that length: how a server checks an upload's declared length without a key.
 */
export function plaintextSizeOf(encrypted: number): number | null {
  if (!Number.isSafeInteger(encrypted) || encrypted < STREAM_HEADER_BYTES + STREAM_CHUNK_OVERHEAD) return null;
  const chunks = Math.max(1, Math.ceil((encrypted - STREAM_HEADER_BYTES) / (FILE_CHUNK_BYTES + STREAM_CHUNK_OVERHEAD)));
  const size = encrypted - STREAM_HEADER_BYTES - chunks * STREAM_CHUNK_OVERHEAD;
  return size >= 0 && fileChunkCount(size) === chunks ? size : null;
}

export function sealFileHeader(caseKey: Uint8Array, caseId: string, fileId: string, header: FileHeaderPlaintext, nonce?: Uint8Array): Envelope {
  return encryptRecord(caseKey, checkFileHeader(header), fileAd(caseId, fileId), FILE_HEADER_BLOCK, nonce);
}

/** Opens and checks a stored file header; ProtocolError('bad_file_header') for one of the wrong shape. */
export function openFileHeader(caseKey: Uint8Array, caseId: string, fileId: string, stored: Envelope): FileHeaderPlaintext {
  return checkFileHeader(decryptRecord(caseKey, stored, fileAd(caseId, fileId), FILE_HEADER_BLOCK));
}

/** A file header of the right shape, or ProtocolError('bad_file_header'). */
export function checkFileHeader(value: unknown): FileHeaderPlaintext {
  const h = value as Partial<FileHeaderPlaintext> | null;
  const ok =
    typeof h === 'object' && h !== null && h.v === 1 &&
    typeof h.name === 'string' && h.name.length > 0 && h.name.length <= 255 && !/[/\\\u0000-\u001f]/u.test(h.name) &&
    typeof h.type === 'string' && /^[\w.+-]+\/[\w.+-]+$/.test(h.type) &&
    typeof h.size === 'number' && Number.isSafeInteger(h.size) && h.size >= 0 &&
    typeof h.key === 'string' && (() => {
      try {
        return fromBase64url(h.key).length === KEY_BYTES;
      } catch {
        return false;
      }
    })();
  if (!ok) throw new ProtocolError('bad_file_header', 'a file header is { v: 1, name, type, size, key } with a name without a path and a 32-byte key');
  return { v: 1, name: h.name!, type: h.type!, size: h.size!, key: h.key! };
}

/** A fresh file key, as the header carries it. */
export const newFileKey = (): string => toBase64url(sodium().randombytes_buf(KEY_BYTES));

/**
 * Encrypts a body chunk by chunk: `header` first, then chunk() for each 64 KiB of plaintext, the
 * last with `last` set (it may be shorter, or empty). Refuses a short chunk before the last, and
 * anything after it.
 */
export class FileEncryptor {
  readonly header: Uint8Array;
  readonly #state: SecretStreamState;
  #done = false;

  constructor(fileKey: Uint8Array) {
    const started = sodium().crypto_secretstream_xchacha20poly1305_init_push(fileKey);
    this.header = started.header;
    this.#state = started.state;
  }

  chunk(plaintext: Uint8Array, last: boolean): Uint8Array {
    if (this.#done) throw new ProtocolError('stream_after_final', 'the file was ended already');
    if (plaintext.length > FILE_CHUNK_BYTES || (!last && plaintext.length !== FILE_CHUNK_BYTES)) {
      throw new ProtocolError('bad_length', `every chunk but the last holds exactly ${FILE_CHUNK_BYTES} bytes`);
    }
    this.#done = last;
    return sodium().crypto_secretstream_xchacha20poly1305_push(this.#state, plaintext, null, last ? TAG_FINAL : TAG_MESSAGE);
  }
}

/**
 * Decrypts a body as it arrives, in pieces of any size (network reads): the stream header, then
 * whole chunks, whose lengths follow from the plaintext size the sealed file header gives. push()
 * returns the plaintext of every chunk completed; end() refuses a stream without its FINAL chunk.
 * Errors: ProtocolError 'stream_corrupt' (a chunk changed, moved, repeated or foreign),
 * 'stream_truncated' (it ends early), 'stream_after_final' (bytes after the last chunk).
 */
export class FileDecryptor {
  readonly #key: Uint8Array;
  readonly #size: number;
  #state: SecretStreamState | null = null;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  /** Plaintext bytes of the chunks opened so far. */
  #opened = 0;
  #final = false;
  #failed = false;

  constructor(fileKey: Uint8Array, size: number) {
    encryptedFileSize(size);
    this.#key = fileKey;
    this.#size = size;
  }

  push(piece: Uint8Array): Uint8Array[] {
    if (this.#failed) throw new ProtocolError('stream_corrupt', 'this stream was refused already');
    if (piece.length === 0) return [];
    if (this.#final) return this.#fail('stream_after_final', 'bytes follow the final chunk');
    this.#pending.push(piece);
    this.#pendingBytes += piece.length;
    const out: Uint8Array[] = [];
    if (this.#state === null) {
      if (this.#pendingBytes < STREAM_HEADER_BYTES) return out;
      this.#state = sodium().crypto_secretstream_xchacha20poly1305_init_pull(this.#take(STREAM_HEADER_BYTES), this.#key);
    }
    while (!this.#final && this.#pendingBytes >= this.#nextChunkBytes()) out.push(this.#open(this.#take(this.#nextChunkBytes())));
    if (this.#final && this.#pendingBytes > 0) return this.#fail('stream_after_final', 'bytes follow the final chunk');
    return out;
  }

  end(): void {
    if (this.#failed) throw new ProtocolError('stream_corrupt', 'this stream was refused already');
    if (!this.#final) this.#fail('stream_truncated', 'the file ends before its final chunk');
  }

  /** The ciphertext length of the next chunk: full ones until the last, which holds the rest. */
  #nextChunkBytes(): number {
    return Math.min(FILE_CHUNK_BYTES, this.#size - this.#opened) + STREAM_CHUNK_OVERHEAD;
  }

  #open(chunk: Uint8Array): Uint8Array {
    let opened: { message: Uint8Array; tag: number } | false;
    try {
      opened = sodium().crypto_secretstream_xchacha20poly1305_pull(this.#state, chunk, null);
    } catch {
      opened = false;
    }
    if (opened === false) return this.#fail('stream_corrupt', 'a chunk of the file does not verify');
    this.#opened += opened.message.length;
    const last = this.#opened === this.#size;
    // The last chunk, and only the last, carries FINAL: a FINAL earlier would end the file short.
    if (opened.tag !== (last ? TAG_FINAL : TAG_MESSAGE)) return this.#fail(last ? 'stream_truncated' : 'stream_corrupt', 'a chunk of the file is out of place');
    this.#final = last;
    return opened.message;
  }

  #take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const first = this.#pending[0]!;
      const used = Math.min(first.length, n - at);
      out.set(first.subarray(0, used), at);
      at += used;
      if (used === first.length) this.#pending.shift();
      else this.#pending[0] = first.subarray(used);
    }
    this.#pendingBytes -= n;
    return out;
  }

  #fail(code: 'stream_corrupt' | 'stream_truncated' | 'stream_after_final', message: string): never {
    this.#failed = true;
    throw new ProtocolError(code, message);
  }
}
