/** What a service keeps of an encrypted record: the client's nonce and ciphertext, never opened on the server. */
export interface Sealed {
  nonce: Uint8Array;
  ciphertext: Uint8Array;
}

/** A case relay's reporter copy, never null for a relay of kind 'case' (the check constraint relays_kind_shape). */
export function reporterCopy(nonce: Uint8Array | null, ciphertext: Uint8Array | null): Sealed {
  if (!nonce || !ciphertext) throw new Error('a case relay without its reporter copy');
  return { nonce, ciphertext };
}

/** A case file's header, never null for a file of the case (the check constraint files_kind_shape); relay attachments have none. */
export function caseFileHeader(nonce: Uint8Array | null, ciphertext: Uint8Array | null): Sealed {
  if (!nonce || !ciphertext) throw new Error('a case file without its header');
  return { nonce, ciphertext };
}
