/**
 * Associated data, §4: the ASCII string that binds each ciphertext to its place. A
 * ciphertext moved to another case, author or record fails to decrypt.
 *
 * Ids are opaque, but an id followed by another part must not contain `/`, or two places
 * could share one string; such ids are refused with ProtocolError('bad_id').
 */
import { ProtocolError } from './errors.js';

export type MessageAuthor = 'reporter' | 'adviser';
export type RelayMessageAuthor = 'adviser' | 'organisation';

const PREFIX = 'confidant-v1/';

function part(id: string): string {
  if (typeof id !== 'string' || id.length === 0 || id.includes('/')) {
    throw new ProtocolError('bad_id', 'an id in associated data must be non-empty and contain no "/"');
  }
  return id;
}

function author<A extends string>(value: A, allowed: readonly A[]): A {
  if (!allowed.includes(value)) throw new ProtocolError('bad_id', 'unknown author');
  return value;
}

export function reportAd(caseId: string): string {
  return `${PREFIX}report/${part(caseId)}`;
}

export function messageAd(caseId: string, by: MessageAuthor): string {
  return `${PREFIX}message/${part(caseId)}/${author(by, ['reporter', 'adviser'])}`;
}

export function registrationAd(caseId: string): string {
  return `${PREFIX}registration/${part(caseId)}`;
}

/** Extension: the reason of a case's legal hold (docs/protocol.md "Legal hold"). */
export function holdAd(caseId: string): string {
  return `${PREFIX}hold/${part(caseId)}`;
}

/** Extension: an adviser's own copy of a case key (docs/protocol.md "Case key copies"). */
export function caseKeyCopyAd(caseId: string): string {
  return `${PREFIX}case-key-copy/${part(caseId)}`;
}

export function fileAd(caseId: string, fileId: string): string {
  return `${PREFIX}file/${part(caseId)}/${part(fileId)}`;
}

export function relayAd(relayId: string): string {
  return `${PREFIX}relay/${part(relayId)}`;
}

export function relayCopyAd(caseId: string, relayId: string): string {
  return `${PREFIX}relay-copy/${part(caseId)}/${part(relayId)}`;
}

export function relayMessageAd(relayId: string, by: RelayMessageAuthor): string {
  return `${PREFIX}relay-message/${part(relayId)}/${author(by, ['adviser', 'organisation'])}`;
}

export function keysAd(username: string): string {
  return `${PREFIX}keys/${username}`;
}

export function recoveryAd(username: string): string {
  return `${PREFIX}recovery/${username}`;
}
