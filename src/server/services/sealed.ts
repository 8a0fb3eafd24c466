/** What a service keeps of an encrypted record: the client's nonce and ciphertext, never opened on the server. */
export interface Sealed {
  nonce: Uint8Array;
  ciphertext: Uint8Array;
}
