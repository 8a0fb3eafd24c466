/**
 * Sending and reading evidence files (docs/protocol.md §4 "Files", §6 "Files") without holding a
 * whole file: the sender's body is encrypted as the upload asks for its bytes, and a reader opens
 * the header for the body's key and decrypts the body as it arrives (FileDecryptor). Transport
 * stays outside: a tus client asks EncryptedBody for ranges, a fetch feeds FileDecryptor.
 */
import { fromBase64url, toBase64url } from './base64url.js';
import { ProtocolError, type ProtocolErrorCode } from './errors.js';
import {
  encryptedFileSize, FILE_CHUNK_BYTES, FileDecryptor, FileEncryptor, newFileKey, openFileHeader, sealFileHeader, type FileHeaderPlaintext,
} from './file-stream.js';
import { sodium } from './sodium.js';
import type { MailboxFile, NewFileRequest } from './wire.js';

/** A file the sender chose: what the header names, and a way to read any range of its bytes. */
export interface PlainFile {
  name: string;
  type: string;
  size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** A listed file as a reader sees it: the header opened, its key left out. */
export type FileEntry =
  | { ok: true; fileId: string; author: 'reporter' | 'adviser'; name: string; type: string; size: number }
  | { ok: false; fileId: string; author: 'reporter' | 'adviser'; error: ProtocolErrorCode };

/** Plaintext read at once: 16 chunks, so a slow disk read is not paid per chunk. */
const READ_CHUNKS = 16;

/**
 * The encrypted body of a file, produced as an upload asks for ranges. Ranges come in order; a
 * retry may ask again from any point after the start of the last range asked (the server may have
 * kept part of a failed request), so the bytes from there on are kept until a later range starts.
 * A range before that cannot be made again (the stream's state has moved on): the upload starts
 * over as a new file.
 */
export class EncryptedBody {
  readonly size: number;
  readonly #file: PlainFile;
  readonly #encryptor: FileEncryptor;
  /** Plaintext bytes encrypted so far. */
  #read = 0;
  /** Encrypted bytes from #keptFrom to #made. */
  #kept: Uint8Array[];
  #keptFrom = 0;
  #made: number;

  constructor(file: PlainFile, fileKey: Uint8Array) {
    this.size = encryptedFileSize(file.size);
    this.#file = file;
    this.#encryptor = new FileEncryptor(fileKey);
    this.#kept = [this.#encryptor.header];
    this.#made = this.#encryptor.header.length;
  }

  /** The bytes [start, end) (end capped at the size), and whether they reach the end. */
  async slice(start: number, end: number): Promise<{ value: Uint8Array; done: boolean }> {
    end = Math.min(end, this.size);
    if (start < this.#keptFrom || start > end) {
      throw new ProtocolError('upload_restart', 'the upload asked for bytes encrypted and let go already: send the file again');
    }
    while (this.#made < end) await this.#encryptMore();
    this.#drop(start);
    const value = new Uint8Array(end - start);
    let at = 0;
    let offset = this.#keptFrom;
    for (const piece of this.#kept) {
      const from = Math.max(0, start - offset);
      const to = Math.min(piece.length, end - offset);
      if (to > from) {
        value.set(piece.subarray(from, to), at);
        at += to - from;
      }
      offset += piece.length;
      if (offset >= end) break;
    }
    return { value, done: end === this.size };
  }

  /** Forgets what was kept for retries. */
  close(): void {
    this.#kept = [];
  }

  async #encryptMore(): Promise<void> {
    const length = Math.min(READ_CHUNKS * FILE_CHUNK_BYTES, this.#file.size - this.#read);
    const plain = await this.#file.read(this.#read, length);
    if (plain.length !== length) throw new ProtocolError('bad_length', 'the file changed while it was being sent');
    for (let at = 0; at < length || (at === 0 && length === 0); at += FILE_CHUNK_BYTES) {
      const piece = plain.subarray(at, Math.min(length, at + FILE_CHUNK_BYTES));
      const last = this.#read + at + piece.length === this.#file.size;
      const chunk = this.#encryptor.chunk(piece, last);
      this.#kept.push(chunk);
      this.#made += chunk.length;
      if (last) break;
    }
    this.#read += length;
  }

  /** Drops kept pieces that end at or before `start`. */
  #drop(start: number): void {
    while (this.#kept.length > 0 && this.#keptFrom + this.#kept[0]!.length <= start) {
      this.#keptFrom += this.#kept.shift()!.length;
    }
  }
}

/** A file made on the server, whose body goes over tus to `uploadUrl` (a path of the API) with `headers`. */
export interface FileUpload {
  fileId: string;
  uploadUrl: string;
  headers: Record<string, string>;
  body: EncryptedBody;
}

/** How to read a stored file: fetch `path` with `headers`, and feed the body to `decryptor`. */
export interface FileDownload {
  path: string;
  headers: Record<string, string>;
  header: FileHeaderPlaintext;
  decryptor: FileDecryptor;
}

/** A fresh id, key and header for `file`, and its body, encrypted under that key as an upload asks for it. */
export function encryptFile(file: PlainFile): { fileId: string; header: FileHeaderPlaintext; body: EncryptedBody } {
  const fileId = toBase64url(sodium().randombytes_buf(16));
  const header: FileHeaderPlaintext = { v: 1, name: safeName(file.name), type: safeType(file.type), size: file.size, key: newFileKey() };
  return { fileId, header, body: new EncryptedBody(file, fromBase64url(header.key)) };
}

/** A new file of the case: what its making route takes, and its body to upload. */
export function prepareFile(caseKey: Uint8Array, caseId: string, file: PlainFile): { request: NewFileRequest; body: EncryptedBody } {
  const { fileId, header, body } = encryptFile(file);
  return { request: { fileId, header: sealFileHeader(caseKey, caseId, fileId, header), bytes: body.size }, body };
}

/** A reader of a stored file: its opened header and the decryptor of its body. */
export function readFile(caseKey: Uint8Array, caseId: string, stored: MailboxFile): { header: FileHeaderPlaintext; decryptor: FileDecryptor } {
  const header = openStoredHeader(caseKey, caseId, stored);
  return { header, decryptor: new FileDecryptor(fromBase64url(header.key), header.size) };
}

/**
 * The listed length must be the one the header's size gives: a body of another length is
 * refused before it is read.
 */
export function checkListedLength(header: FileHeaderPlaintext, bytes: number): void {
  if (bytes !== encryptedFileSize(header.size)) throw new ProtocolError('stream_corrupt', 'the stored body does not have the length the file header gives');
}

function openStoredHeader(caseKey: Uint8Array, caseId: string, stored: MailboxFile): FileHeaderPlaintext {
  const header = openFileHeader(caseKey, caseId, stored.fileId, stored.header);
  checkListedLength(header, stored.bytes);
  return header;
}

/** The case's files as a list to show: each header opened, or its error when it does not open. */
export function listFiles(caseKey: Uint8Array, caseId: string, files: MailboxFile[]): FileEntry[] {
  return files.map((f) => {
    try {
      const { name, type, size } = openStoredHeader(caseKey, caseId, f);
      return { ok: true, fileId: f.fileId, author: f.author, name, type, size };
    } catch (error) {
      return { ok: false, fileId: f.fileId, author: f.author, error: error instanceof ProtocolError ? error.code : 'decrypt_failed' as const };
    }
  });
}

/** A name the header accepts: the last path segment, without control characters, at most 255 characters. */
function safeName(name: string): string {
  const base = name.split(/[/\\]/).pop()!.replace(/[\u0000-\u001f]/gu, '').slice(0, 255);
  return base === '' ? 'file' : base;
}

function safeType(type: string): string {
  return /^[\w.+-]+\/[\w.+-]+$/.test(type) ? type : 'application/octet-stream';
}
