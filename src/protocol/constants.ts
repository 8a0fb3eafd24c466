/** Sizes and parameters of protocol-v1, as plain numbers (usable before libsodium loads). */

export const PROTOCOL_VERSION = 1;

// Byte lengths of libsodium primitives (§1).
export const KEY_BYTES = 32; // aead key, case key, relay key, file key, recovery key
export const NONCE_BYTES = 24; // crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
export const AEAD_TAG_BYTES = 16; // crypto_aead_xchacha20poly1305_ietf_ABYTES
export const SEAL_OVERHEAD_BYTES = 48; // crypto_box_SEALBYTES
export const SEALED_KEY_BYTES = KEY_BYTES + SEAL_OVERHEAD_BYTES; // a wrap of a 32-byte key
export const BOX_PUBLIC_KEY_BYTES = 32;
export const BOX_SECRET_KEY_BYTES = 32;
export const SIGN_PUBLIC_KEY_BYTES = 32;
export const SIGN_SECRET_KEY_BYTES = 64;
export const SIGNATURE_BYTES = 64;
export const SEED_BYTES = 32;
export const CASE_ID_BYTES = 16;
export const MAILBOX_ID_BYTES = 16;

// Padding blocks (§1, §4).
export const REPORT_BLOCK = 4096;
export const MESSAGE_BLOCK = 1024;
export const REGISTRATION_BLOCK = 1024;
export const FILE_HEADER_BLOCK = 1024;
export const RELAY_BLOCK = 1024;
/** Extension: a legal hold's reason is one block, a sentence or two. */
export const HOLD_BLOCK = 1024;

// The reporter code (§2).
export const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const CODE_BODY_SYMBOLS = 20;
export const CODE_CHECK_SYMBOLS = 4;
export const CODE_SYMBOLS = CODE_BODY_SYMBOLS + CODE_CHECK_SYMBOLS;
export const CODE_GROUP_SYMBOLS = 4;
export const CODE_CHECK_PREFIX = 'confidant-v1/code/';
export const CODE_SALT_INPUT = 'confidant-v1/code-salt';
export const CODE_SALT_BYTES = 16;
export const CODE_ARGON2_OPS = 2; // crypto_pwhash_OPSLIMIT_INTERACTIVE
export const CODE_ARGON2_MEM = 67108864; // crypto_pwhash_MEMLIMIT_INTERACTIVE
export const KDF_CONTEXT = 'cfdnt-v1';
export const KDF_ID_MAILBOX = 1;
export const KDF_ID_SIGN = 2;
export const KDF_ID_BOX = 3;

// Staff keys (§3).
export const STAFF_SALT_BYTES = 16;
export const STAFF_MASTER_BYTES = 64;
export const STAFF_ARGON2_OPS = 3;
export const STAFF_ARGON2_MEM = 134217728; // 128 MiB
export const STAFF_ARGON2_MIN_OPS = 3;
export const STAFF_ARGON2_MIN_MEM = 134217728;
export const RECOVERY_KEY_BYTES = 32;
export const RECOVERY_KEY_SYMBOLS = 52; // ceil(256 / 5)
export const RECOVERY_KEY_GROUP_SYMBOLS = 4;

// Mailbox login (§6).
export const MAILBOX_LOGIN_PREFIX = 'confidant-v1/mailbox-login/';
/** Domain separation of the proof that a code rotation comes from the holder of the current code. */
export const MAILBOX_ROTATE_PREFIX = 'confidant-v1/mailbox-rotate/';

// Proof of work (§6).
export const POW_HASH_BYTES = 32;
/** A client refuses harder challenges: 2^32 hashes would freeze a page for hours. */
export const POW_MAX_DIFFICULTY = 32;

/** The largest page of `GET /api/v1/registrations`: a year's registrations are fetched in a row, about 1.5 KiB each. */
export const REGISTRATION_PAGE_MAX = 1000;
