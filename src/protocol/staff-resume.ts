/**
 * A signed-in staff tab that survives a reload or opens in a new tab (docs/protocol.md §3,
 * extension; SECURITY.md): the session token and the unlocked keys, sealed so that nothing on
 * disk opens them alone.
 *
 * - The session state is sealed twice: inside, AES-GCM under a non-extractable device key the
 *   browser keeps for this origin (WebCrypto: no script can read its bytes); outside, the
 *   protocol's aead under the session's resume key, which the server derives from the session
 *   and hands only to a request with its token. Sign-out or expiry ends the session, and with
 *   it the resume key: what is left on disk opens for nobody.
 * - The token itself is sealed under the device key alone, since it is what asks for the
 *   resume key.
 */
import { fromBase64url, toBase64url } from './base64url.js';
import { decodeJson, decryptBytes, encodeJson, encryptBytes } from './envelope.js';
import { ProtocolError } from './errors.js';
import type { StaffKeys } from './staff-keys.js';
import type { Envelope, StaffAccount } from './wire.js';

const TOKEN_AD = 'confidant-v1/staff-resume/token';
const STATE_AD = 'confidant-v1/staff-resume/state';
const IV_BYTES = 12;

/** What a tab needs to carry on as the same signed-in account. */
export interface ResumeState {
  token: string;
  account: StaffAccount;
  keys: StaffKeys;
}

/** What is stored: nothing in it opens without the device key, and the state not without the server either. */
export interface ResumeRecord {
  v: 1;
  token: { iv: string; ciphertext: string };
  state: Envelope;
}

/** A fresh AES-GCM key the browser can use but never give out. */
export function newDeviceKey(): Promise<CryptoKey> {
  return crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

/** WebCrypto's types want bytes over a plain ArrayBuffer. */
const plain = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes);

async function deviceSeal(deviceKey: CryptoKey, bytes: Uint8Array, ad: string): Promise<{ iv: string; ciphertext: string }> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(ad) }, deviceKey, plain(bytes));
  return { iv: toBase64url(iv), ciphertext: toBase64url(new Uint8Array(sealed)) };
}

async function deviceOpen(deviceKey: CryptoKey, sealed: { iv: string; ciphertext: string }, ad: string): Promise<Uint8Array> {
  try {
    const opened = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: plain(fromBase64url(sealed.iv, IV_BYTES)), additionalData: new TextEncoder().encode(ad) },
      deviceKey,
      plain(fromBase64url(sealed.ciphertext)),
    );
    return new Uint8Array(opened);
  } catch {
    throw new ProtocolError('decrypt_failed', 'the stored session does not open with this browser’s key');
  }
}

function keysOut(keys: StaffKeys) {
  return {
    boxPublicKey: toBase64url(keys.boxPublicKey),
    boxSecretKey: toBase64url(keys.boxSecretKey),
    signPublicKey: toBase64url(keys.signPublicKey),
    signSecretKey: toBase64url(keys.signSecretKey),
  };
}

export async function sealResume(state: ResumeState, deviceKey: CryptoKey, resumeKey: Uint8Array): Promise<ResumeRecord> {
  const inner = await deviceSeal(deviceKey, encodeJson({ token: state.token, account: state.account, keys: keysOut(state.keys) }), STATE_AD);
  return {
    v: 1,
    token: await deviceSeal(deviceKey, new TextEncoder().encode(state.token), TOKEN_AD),
    state: encryptBytes(resumeKey, encodeJson(inner), STATE_AD),
  };
}

/** The session token, which asks the server for the resume key. */
export async function openResumeToken(record: ResumeRecord, deviceKey: CryptoKey): Promise<string> {
  return new TextDecoder('utf-8', { fatal: true }).decode(await deviceOpen(deviceKey, record.token, TOKEN_AD));
}

export async function openResume(record: ResumeRecord, deviceKey: CryptoKey, resumeKey: Uint8Array): Promise<ResumeState> {
  const inner = decodeJson(decryptBytes(resumeKey, record.state, STATE_AD)) as { iv: string; ciphertext: string };
  const state = decodeJson(await deviceOpen(deviceKey, inner, STATE_AD)) as { token: string; account: StaffAccount; keys: Record<keyof StaffKeys, string> };
  return {
    token: state.token,
    account: state.account,
    keys: {
      boxPublicKey: fromBase64url(state.keys.boxPublicKey),
      boxSecretKey: fromBase64url(state.keys.boxSecretKey),
      signPublicKey: fromBase64url(state.keys.signPublicKey),
      signSecretKey: fromBase64url(state.keys.signSecretKey),
    },
  };
}
