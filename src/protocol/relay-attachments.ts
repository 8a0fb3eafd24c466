/**
 * Relay attachments (an extension, docs/protocol.md §5 "Relay attachments"): documents the
 * adviser attaches to a relay for the organisation, such as an anonymised statement. One has no
 * header of its own: the relay plaintext names it in `attachments` as
 * `{ fileId, v: 1, name, type, size, key }`, so the organisation opens it with the relay key and
 * the reporter with the copy, and the reporter's approval (relay-approval.ts) covers the
 * attachments with the text. Its body is a file body like any other (§4 "Files").
 */
import { ProtocolError, type ProtocolErrorCode } from './errors.js';
import { checkFileHeader, FileDecryptor, type FileHeaderPlaintext } from './file-stream.js';
import { checkListedLength, encryptFile, type EncryptedBody, type PlainFile } from './file-transfer.js';
import { fromBase64url } from './base64url.js';
import type { NewRelayAttachmentRequest, RelayAttachment } from './wire.js';

/** How a relay plaintext names an attachment: its id and what a file header holds. */
export interface RelayAttachmentRef extends FileHeaderPlaintext {
  fileId: string;
}

/** An attachment as a reader sees it listed: named by the relay, the key left out. */
export type AttachmentEntry =
  | { ok: true; fileId: string; name: string; type: string; size: number }
  | { ok: false; fileId: string; error: ProtocolErrorCode };

/** A new attachment: how the relay will name it, what its making route takes, and its body to upload. */
export function prepareRelayAttachment(file: PlainFile): { ref: RelayAttachmentRef; request: NewRelayAttachmentRequest; body: EncryptedBody } {
  const { fileId, header, body } = encryptFile(file);
  return { ref: { fileId, ...header }, request: { fileId, bytes: body.size }, body };
}

/** The attachments a relay plaintext names, each checked against what the server lists for it. */
export function relayAttachments(plaintext: unknown, listed: RelayAttachment[]): AttachmentEntry[] {
  return namedIn(plaintext).map((named) => {
    const fileId = typeof (named as { fileId?: unknown } | null)?.fileId === 'string' ? (named as { fileId: string }).fileId : '';
    try {
      const { header } = check(named, listed);
      return { ok: true, fileId, name: header.name, type: header.type, size: header.size };
    } catch (error) {
      return { ok: false, fileId, error: error instanceof ProtocolError ? error.code : 'bad_file_header' };
    }
  });
}

/** A reader of attachment `fileId`: the header the relay gives it and the decryptor of its body. */
export function readRelayAttachment(plaintext: unknown, listed: RelayAttachment[], fileId: string): { header: FileHeaderPlaintext; decryptor: FileDecryptor } {
  const named = namedIn(plaintext).find((a) => (a as { fileId?: unknown } | null)?.fileId === fileId);
  if (named === undefined) throw new ProtocolError('unknown_file', 'the relay names no such attachment');
  const { header } = check(named, listed);
  return { header, decryptor: new FileDecryptor(fromBase64url(header.key), header.size) };
}

function namedIn(plaintext: unknown): unknown[] {
  const attachments = (plaintext as { attachments?: unknown } | null)?.attachments;
  return Array.isArray(attachments) ? attachments : [];
}

/** A named attachment of the right shape, which the server lists with the length its size gives. */
function check(named: unknown, listed: RelayAttachment[]): { header: FileHeaderPlaintext } {
  const { fileId, ...rest } = (named ?? {}) as { fileId?: unknown };
  if (typeof fileId !== 'string') throw new ProtocolError('bad_file_header', 'a relay attachment is named by its fileId');
  const header = checkFileHeader(rest);
  const stored = listed.find((l) => l.fileId === fileId);
  // Named by the relay but not listed: the server holds no such attachment (or withholds it).
  if (stored === undefined) throw new ProtocolError('unknown_file', 'the server lists no such attachment of this relay');
  checkListedLength(header, stored.bytes);
  return { header };
}
