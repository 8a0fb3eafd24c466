/**
 * The one error type of the protocol code: something local went wrong (bad input, a
 * ciphertext that does not open, a typing error in a code). `code` is stable and meant for
 * programs; `message` is for people and never contains key material.
 */
export type ProtocolErrorCode =
  | 'sodium_not_ready'
  | 'bad_base64url'
  | 'bad_length'
  | 'bad_id'
  | 'invalid_symbol'
  | 'wrong_length'
  | 'wrong_check'
  | 'invalid_code'
  | 'decrypt_failed'
  | 'unseal_failed'
  | 'bad_padding'
  | 'bad_plaintext'
  | 'bad_report'
  | 'bad_registration'
  | 'bad_hold_reason'
  | 'bad_file_header'
  | 'stream_corrupt'
  | 'stream_truncated'
  | 'stream_after_final'
  | 'unknown_file'
  | 'upload_restart'
  | 'bad_challenge'
  | 'bad_difficulty'
  | 'bad_nonce'
  | 'weak_kdf_params'
  | 'kdf_failed'
  | 'bad_key_bundle'
  | 'bad_recovery_key'
  | 'unknown_adviser'
  | 'no_advisers'
  | 'session_closed'
  | 'case_key_unverified'
  | 'key_mismatch'
  | 'adviser_excluded'
  | 'unpinned_advisers'
  | 'code_in_text';

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string = code) {
    super(message);
    this.code = code;
  }
}

/**
 * The server answered with a non-2xx status. `code` and `message` come from the
 * `{ error, message }` body of protocol-v1 §6 (or a fallback when the body is not one).
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}
