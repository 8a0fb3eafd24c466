/**
 * libsodium's crypto_secretstream_xchacha20poly1305 in pure JavaScript, for the engine of
 * browsers without WebAssembly (sodium-noble.ts): composed from @noble's ChaCha20, HChaCha20 and
 * Poly1305 exactly as libsodium composes them (crypto_secretstream_xchacha20poly1305.c), so that
 * a stream pushed by one engine is pulled by the other byte for byte
 * (test/protocol/secretstream.test.ts checks both ways, and the vectors).
 *
 * State: the key (32 bytes) and a 12-byte nonce, a 4-byte little-endian counter followed by an
 * 8-byte "inonce" that every message's MAC is folded into. Each message: a Poly1305 key from
 * ChaCha20 block 0, the tag byte encrypted as the first byte of block 1, the message from block 2.
 */
import { chacha20, hchacha } from '@noble/ciphers/chacha.js';
import { Poly1305 } from '@noble/ciphers/_poly1305.js';

export const TAG_MESSAGE = 0;
export const TAG_PUSH = 1;
export const TAG_REKEY = 2;
export const TAG_FINAL = TAG_PUSH | TAG_REKEY;
export const HEADER_BYTES = 24;
/** The tag byte and the 16-byte MAC each message adds. */
export const A_BYTES = 17;

/** "expand 32-byte k", as 32-bit words. */
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);
const PAD0 = new Uint8Array(16);

export interface NobleStreamState {
  key: Uint8Array;
  /** counter (4 bytes, little-endian) ‖ inonce (8 bytes). */
  nonce: Uint8Array;
}

const words = (bytes: Uint8Array): Uint32Array => {
  const out = new Uint32Array(bytes.length / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getUint32(4 * i, true);
  return out;
};

const littleEndianBytes = (value: Uint32Array): Uint8Array => {
  const out = new Uint8Array(value.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < value.length; i++) view.setUint32(4 * i, value[i]!, true);
  return out;
};

const u64 = (n: number): Uint8Array => {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  return out;
};

function counterReset(state: NobleStreamState): void {
  state.nonce.fill(0, 0, 4);
  state.nonce[0] = 1;
}

/** New key and inonce: the current ones encrypted with the stream itself; the counter back to 1. */
export function rekey(state: NobleStreamState): void {
  const fresh = new Uint8Array(40);
  fresh.set(state.key);
  fresh.set(state.nonce.subarray(4), 32);
  const next = chacha20(state.key, state.nonce, fresh);
  state.key = next.slice(0, 32);
  state.nonce.set(next.subarray(32), 4);
  fresh.fill(0);
  next.fill(0);
  counterReset(state);
}

/** The state a header and key start: key' = HChaCha20(key, header[0..16]), inonce = header[16..24]. */
export function initState(header: Uint8Array, key: Uint8Array): NobleStreamState {
  if (header.length !== HEADER_BYTES || key.length !== 32) throw new Error('invalid header or key length');
  const derived = new Uint32Array(8);
  hchacha(SIGMA, words(key), words(header.subarray(0, 16)), derived);
  const state: NobleStreamState = { key: littleEndianBytes(derived), nonce: new Uint8Array(12) };
  derived.fill(0);
  counterReset(state);
  state.nonce.set(header.subarray(16, 24), 4);
  return state;
}

/** The MAC over ad, the 64-byte block holding the encrypted tag, and the ciphertext, as libsodium lays them out. */
function mac(state: NobleStreamState, ad: Uint8Array, block: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const polyKey = chacha20(state.key, state.nonce, new Uint8Array(64)).subarray(0, 32);
  const poly = new Poly1305(polyKey);
  poly.update(ad).update(PAD0.subarray(0, (16 - (ad.length % 16)) % 16));
  poly.update(block);
  // libsodium pads the ciphertext with (16 − 64 + length) mod 16 = length mod 16 zero bytes, not
  // up to a multiple of 16: a quirk of its code that is now the format.
  poly.update(ciphertext).update(PAD0.subarray(0, ciphertext.length % 16));
  poly.update(u64(ad.length)).update(u64(64 + ciphertext.length));
  polyKey.fill(0);
  return poly.digest();
}

/** After each message: the MAC folded into the inonce, the counter up; a rekey on REKEY or a wrapped counter. */
function advance(state: NobleStreamState, tag: number, digest: Uint8Array): void {
  for (let i = 0; i < 8; i++) state.nonce[4 + i]! ^= digest[i]!;
  for (let i = 0, carry = 1; i < 4 && carry; i++) {
    const sum = state.nonce[i]! + carry;
    state.nonce[i] = sum & 0xff;
    carry = sum >> 8;
  }
  const wrapped = state.nonce[0] === 0 && state.nonce[1] === 0 && state.nonce[2] === 0 && state.nonce[3] === 0;
  if ((tag & TAG_REKEY) !== 0 || wrapped) rekey(state);
}

export function push(state: NobleStreamState, message: Uint8Array, ad: Uint8Array, tag: number): Uint8Array {
  const tagBlock = new Uint8Array(64);
  tagBlock[0] = tag;
  const block = chacha20(state.key, state.nonce, tagBlock, undefined, 1);
  const out = new Uint8Array(A_BYTES + message.length);
  out[0] = block[0]!;
  const ciphertext = chacha20(state.key, state.nonce, message, undefined, 2);
  out.set(ciphertext, 1);
  const digest = mac(state, ad, block, ciphertext);
  out.set(digest, 1 + message.length);
  advance(state, tag, digest);
  return out;
}

/** The message and its tag, or null when the MAC does not verify (the state is then unchanged). */
export function pull(state: NobleStreamState, input: Uint8Array, ad: Uint8Array): { message: Uint8Array; tag: number } | null {
  if (input.length < A_BYTES) return null;
  const tagBlock = new Uint8Array(64);
  tagBlock[0] = input[0]!;
  const block = chacha20(state.key, state.nonce, tagBlock, undefined, 1);
  const tag = block[0]!;
  block[0] = input[0]!;
  const ciphertext = input.subarray(1, input.length - 16);
  const digest = mac(state, ad, block, ciphertext);
  const stored = input.subarray(input.length - 16);
  let differs = 0;
  for (let i = 0; i < 16; i++) differs |= digest[i]! ^ stored[i]!;
  if (differs !== 0) return null;
  const message = chacha20(state.key, state.nonce, ciphertext, undefined, 2);
  advance(state, tag, digest);
  return { message, tag };
}
