/**
 * The protocol vectors (docs/vectors/code-v1.json, pinning-v1.json, file-v1.json) in the browser,
 * bundled like the web app by vectors.test.ts. Runs the checks of test/protocol/vectors.test.ts
 * and test/protocol/pinning-vectors.test.ts, one result per vector, and writes the results as
 * JSON into #results (the DOM, because waiting on it needs no script evaluation under the CSP).
 */
import code from '../../docs/vectors/code-v1.json' with { type: 'json' };
import pinning from '../../docs/vectors/pinning-v1.json' with { type: 'json' };
import file from '../../docs/vectors/file-v1.json' with { type: 'json' };
import { initState, push } from '../../src/protocol/secretstream-noble.js';
import {
  CODE_ALPHABET, caseKeyCopyKey, openCaseKeyCopy, sealCaseKeyCopy, encryptedFileSize, FILE_CHUNK_BYTES, FileDecryptor, openFileHeader, sealFileHeader, type FileHeaderPlaintext, caseKeyCommitment, checkCaseKey, checkSymbols, codeSalt, decryptRecord, deriveMailboxKeys, encryptRecord, formatCode, fromBase64url, keyFingerprint, leadingZeroBits, normaliseFingerprint, powHash, readBack, ready, reportAd, signCaseCommitment, signCasePin, signMailboxLogin, solvePow, sodium, toBase64url, verifyCasePin, verifyCasePins, REPORT_BLOCK
} from '../../src/protocol/index.js';
import { verifyCaseCommitmentSignature, verifyMailboxLogin, verifyPow } from '../../src/protocol/checks.js';

export interface VectorResult { name: string; ok: boolean; detail: string }

/** The checks of one vector; a vector passes when every check does. */
class Checks {
  readonly failures: string[] = [];
  count = 0;

  same(actual: unknown, expected: unknown, what: string): void {
    this.count++;
    const a = canonical(actual);
    const e = canonical(expected);
    if (a !== e) this.failures.push(`${what}: got ${a}, expected ${e}`);
  }

  ok(value: boolean, what: string): void {
    this.same(value, true, what);
  }

  doesNotThrow(fn: () => unknown, what: string): void {
    this.count++;
    try {
      fn();
    } catch (error) {
      this.failures.push(`${what}: threw ${String(error)}`);
    }
  }

  throws(fn: () => unknown, expected: { name?: string; code: string }, what: string): void {
    this.count++;
    try {
      fn();
      this.failures.push(`${what}: did not throw`);
    } catch (error) {
      const e = error as { name?: string; code?: string };
      if (e.code !== expected.code || (expected.name !== undefined && e.name !== expected.name)) {
        this.failures.push(`${what}: threw ${e.name} ${e.code}, expected ${expected.name ?? ''} ${expected.code}`);
      }
    }
  }
}

/** JSON with sorted keys, so objects compare by content like tap's t.same. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v) ?? String(value);
}

const vectors: Array<[name: string, run: (c: Checks) => void | Promise<void>]> = [];
const vector = (name: string, run: (c: Checks) => void | Promise<void>) => { vectors.push([name, run]); };

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};

// code-v1.json

vector('code salt', (c) => {
  c.same(toBase64url(codeSalt()), code.codeSalt, 'codeSalt');
});

for (const v of code.codes) {
  vector(`code ${v.body}: check, display and derived keys (real Argon2id parameters)`, async (c) => {
    c.same(checkSymbols(v.body), v.check, 'check');
    c.same(formatCode(v.body), v.display, 'display');
    c.same(readBack(v.display), { ok: true, body: v.body }, 'display reads back');
    const keys = await deriveMailboxKeys(v.body);
    c.same(toBase64url(keys.seed), v.seed, 'seed');
    c.same(keys.mailboxId, v.mailboxId, 'mailboxId');
    c.same(toBase64url(keys.signPublicKey), v.signPublicKey, 'signPublicKey');
    c.same(toBase64url(keys.boxPublicKey), v.boxPublicKey, 'boxPublicKey');
    c.same(keys.signSecretKey.length, 64, 'signSecretKey length');
    c.same(keys.boxSecretKey.length, 32, 'boxSecretKey length');
  });
}

for (const input of code.readBack.inputs) {
  vector(`readBack ${JSON.stringify(input)}`, (c) => {
    c.same(readBack(input), { ok: true, body: code.readBack.expectedBody }, 'reads back');
  });
}

const refusals = ['wrong_check', 'wrong_length', 'invalid_symbol'];
code.refused.forEach((input, i) => {
  vector(`refused ${JSON.stringify(input)}`, (c) => {
    c.same(readBack(input), { ok: false, error: refusals[i] }, 'refused');
  });
});

vector('report record', (c) => {
  const r = code.report;
  c.same(reportAd(r.caseId), r.ad, 'ad');
  const caseKey = fromBase64url(r.caseKey);
  const plaintext: unknown = JSON.parse(r.plaintext);
  c.same(JSON.stringify(plaintext), r.plaintext, 'JSON.stringify reproduces the vector plaintext');
  const envelope = encryptRecord(caseKey, plaintext, reportAd(r.caseId), REPORT_BLOCK, fromBase64url(r.nonce));
  c.same(envelope.nonce, r.nonce, 'nonce');
  c.same(envelope.ciphertext, r.ciphertext, 'ciphertext byte for byte');
  c.same(fromBase64url(r.ciphertext).length, r.paddedLength + 16, 'padded length');
  c.same(decryptRecord(caseKey, { nonce: r.nonce, ciphertext: r.ciphertext }, r.ad, REPORT_BLOCK), plaintext, 'decrypts');
  c.throws(() => decryptRecord(caseKey, { nonce: r.nonce, ciphertext: r.ciphertext }, reportAd('AAAAAAAAAAAAAAAAAAAAAA'), REPORT_BLOCK),
    { name: 'ProtocolError', code: 'decrypt_failed' }, 'another case id does not decrypt');
});

vector('mailbox login signature', async (c) => {
  const read = readBack(code.mailboxLogin.code);
  if (!read.ok) throw new Error('vector code does not read back');
  const keys = await deriveMailboxKeys(read.body);
  const challengeBytes = fromBase64url(code.mailboxLogin.challenge);
  const signature = signMailboxLogin(challengeBytes, keys.signSecretKey);
  c.same(toBase64url(signature), code.mailboxLogin.signature, 'signature byte for byte (over the decoded challenge)');
  c.ok(verifyMailboxLogin(challengeBytes, signature, keys.signPublicKey), 'verifies');
  c.ok(!verifyMailboxLogin(new TextEncoder().encode(code.mailboxLogin.challenge), signature, keys.signPublicKey),
    'a signature over the challenge string does not verify');
});

vector('proof of work', (c) => {
  const { challenge, difficulty, nonce } = code.pow;
  c.same(solvePow(challenge, difficulty), nonce, 'solves to the vector nonce');
  c.ok(verifyPow(challenge, difficulty, nonce), 'verifies');
  c.ok(leadingZeroBits(powHash(challenge, nonce)) >= difficulty, 'enough leading zero bits');
  let smaller = 0;
  for (let n = 0; n < nonce; n++) if (verifyPow(challenge, difficulty, n)) smaller++;
  c.same(smaller, 0, 'no smaller nonce works');
});

// pinning-v1.json

vector('case commitment, from the formulas', (c) => {
  const s = sodium();
  const v = pinning;
  const key = s.crypto_generichash(32, concat(s.from_string('confidant-v1/case-key/'), fromBase64url(v.caseKey)), null);
  c.same(toBase64url(key), v.keyCommitment, 'keyCommitment');
  const statement = `confidant-v1/case-commitment\n${v.caseId}\n${v.keyCommitment}\n${[...v.chosen].sort().join(',')}\n${[...v.excluded].sort().join(',')}\n`;
  c.same(statement, v.commitmentStatement, 'statement');
  const reporter = s.crypto_sign_seed_keypair(fromBase64url(v.reporterSignSeed));
  c.same(toBase64url(reporter.publicKey), v.reporterSignPublicKey, 'reporterSignPublicKey');
  c.same(toBase64url(s.crypto_sign_detached(s.from_string(statement), reporter.privateKey)), v.commitment.signature,
    'signature (Ed25519 is deterministic)');
});

vector('case commitment, through the protocol module', (c) => {
  const s = sodium();
  const v = pinning;
  const caseKey = fromBase64url(v.caseKey);
  const reporter = s.crypto_sign_seed_keypair(fromBase64url(v.reporterSignSeed));
  c.same(toBase64url(caseKeyCommitment(caseKey)), v.keyCommitment, 'keyCommitment');
  c.same(signCaseCommitment({ caseId: v.caseId, caseKey, chosen: v.chosen, excluded: v.excluded }, reporter.privateKey), v.commitment,
    'commitment');
  c.ok(verifyCaseCommitmentSignature(v.caseId, v.commitment, reporter.publicKey), 'verifies');
  c.doesNotThrow(() => checkCaseKey(v.caseId, caseKey, v.commitment, reporter.publicKey), 'the case key checks out');
  // Each part is bound: another case, key, adviser list or signer fails.
  c.ok(!verifyCaseCommitmentSignature('AAAAAAAAAAAAAAAAAAAAAA', v.commitment, reporter.publicKey), 'another case id');
  c.ok(!verifyCaseCommitmentSignature(v.caseId, { ...v.commitment, chosen: ['adviser-a'] }, reporter.publicKey), 'another chosen list');
  c.ok(!verifyCaseCommitmentSignature(v.caseId, { ...v.commitment, excluded: [] }, reporter.publicKey), 'another excluded list');
  c.ok(!verifyCaseCommitmentSignature(v.caseId, v.commitment, s.crypto_sign_keypair().publicKey), 'another signer');
  c.throws(() => checkCaseKey(v.caseId, s.randombytes_buf(32), v.commitment, reporter.publicKey), { code: 'case_key_unverified' }, 'another key');
  c.ok(!verifyCaseCommitmentSignature(v.caseId, { ...v.commitment, signature: 'not base64url!' }, reporter.publicKey), 'garbage never throws');
  c.throws(() => signCaseCommitment({ caseId: v.caseId, caseKey, chosen: ['a,b'], excluded: [] }, reporter.privateKey), { code: 'bad_id' },
    'a key id with "," is refused');
});

vector('case pin', async (c) => {
  const s = sodium();
  const v = pinning;
  const adviser = s.crypto_sign_seed_keypair(fromBase64url(v.adviserSignSeed));
  c.same(toBase64url(adviser.publicKey), v.adviserSignPublicKey, 'adviserSignPublicKey');
  const statement = `confidant-v1/case-pin\n${v.caseId}\n${v.keyCommitment}\n`;
  c.same(statement, v.pinStatement, 'statement');
  c.same(toBase64url(s.crypto_sign_detached(s.from_string(statement), adviser.privateKey)), v.pin, 'from the formula');
  c.same(signCasePin(v.caseId, fromBase64url(v.keyCommitment), adviser.privateKey), v.pin, 'through the module');
  c.ok(verifyCasePin(v.caseId, fromBase64url(v.keyCommitment), v.pin, adviser.publicKey), 'verifies');
  c.ok(!verifyCasePin(v.caseId, s.randombytes_buf(32), v.pin, adviser.publicKey), 'another key commitment');
  c.ok(!verifyCasePin(v.caseId, fromBase64url(v.keyCommitment), 'short', adviser.publicKey), 'garbage never throws');
  // The batch check goes through Chromium's own Ed25519 (WebCrypto) and must give the same verdicts.
  const commitment = fromBase64url(v.keyCommitment);
  const checks = [
    { caseId: v.caseId, keyCommitment: commitment, pin: v.pin },
    { caseId: v.caseId, keyCommitment: s.randombytes_buf(32), pin: v.pin },
    { caseId: `${v.caseId}x`, keyCommitment: commitment, pin: v.pin },
    { caseId: v.caseId, keyCommitment: commitment, pin: 'short' },
    { caseId: v.caseId, keyCommitment: commitment, pin: toBase64url(new Uint8Array(64)) },
  ];
  c.same(await verifyCasePins(checks, adviser.publicKey), [true, false, false, false, false], 'in a batch, natively');
  c.same(await verifyCasePins(checks, adviser.publicKey, 'libsodium'), [true, false, false, false, false], 'in a batch, with libsodium');
});

vector('case key copy', (c) => {
  const s = sodium();
  const v = pinning;
  const box = s.crypto_box_seed_keypair(fromBase64url(v.adviserBoxSeed));
  const copyKey = s.crypto_generichash(32, s.from_string('confidant-v1/case-key-copy-key'), box.privateKey);
  c.same(toBase64url(copyKey), v.keyCopyKey, 'copyKey from the formula');
  c.same(toBase64url(caseKeyCopyKey(box.privateKey)), v.keyCopyKey, 'copyKey through the module');
  const sealed = s.crypto_aead_xchacha20poly1305_ietf_encrypt(fromBase64url(v.caseKey), v.keyCopyAd, null, fromBase64url(v.keyCopy.nonce), copyKey);
  c.same(toBase64url(sealed), v.keyCopy.ciphertext, 'sealed from the formula');
  c.same(sealCaseKeyCopy(copyKey, v.caseId, fromBase64url(v.caseKey), fromBase64url(v.keyCopy.nonce)), v.keyCopy, 'sealed through the module');
  c.same(toBase64url(openCaseKeyCopy(copyKey, v.caseId, v.keyCopy)), v.caseKey, 'opens to the case key');
  c.throws(() => openCaseKeyCopy(copyKey, 'AAAAAAAAAAAAAAAAAAAAAA', v.keyCopy), { code: 'decrypt_failed' }, 'not for another case');
});

vector('key fingerprint', (c) => {
  const s = sodium();
  const v = pinning;
  const box = s.crypto_box_seed_keypair(fromBase64url(v.adviserBoxSeed));
  c.same(toBase64url(box.publicKey), v.adviserBoxPublicKey, 'adviserBoxPublicKey');
  const digest = s.crypto_generichash(32, concat(s.from_string('confidant-v1/fingerprint/'), box.publicKey, fromBase64url(v.adviserSignPublicKey)), null);
  // The first 80 bits as one big number, read 5 bits at a time from the top.
  let n = 0n;
  for (const byte of digest.subarray(0, 10)) n = (n << 8n) | BigInt(byte);
  let symbols = '';
  for (let i = 15; i >= 0; i--) symbols += CODE_ALPHABET[Number((n >> BigInt(i * 5)) & 31n)];
  c.same(symbols.match(/.{4}/g)?.join('-'), v.fingerprint, 'from the formula');
  c.same(keyFingerprint(box.publicKey, fromBase64url(v.adviserSignPublicKey)), v.fingerprint, 'through the module');
  c.same(normaliseFingerprint(` ${v.fingerprint.toLowerCase().replace(/-/g, ' ')} `), v.fingerprint, 'case and spaces do not matter');
  c.same(normaliseFingerprint('ABCD-EFGH'), null, 'too short');
  c.same(normaliseFingerprint('ABCD-EFGH-IJKL-MNOU'), null, 'I, L, O, U are not symbols');
});

// file-v1.json

/** The vector's body, pushed again with its fixed stream header (libsodium would choose a random one). */
function fileVectorChunks(): Uint8Array[] {
  const v = file;
  const state = initState(fromBase64url(v.streamHeader), fromBase64url(v.fileKey));
  const plaintext = Uint8Array.from({ length: v.plaintext.size }, (_, i) => i % 251);
  return v.chunks.map((chunk, i) => push(state, plaintext.subarray(i * FILE_CHUNK_BYTES, i * FILE_CHUNK_BYTES + chunk.plaintextBytes), new Uint8Array(0), chunk.tag));
}

/** Reads a body through the module in pieces of `piece` bytes: the plaintext's hash, or the error code. */
function readFileBody(bytes: Uint8Array, piece: number): string {
  const s = sodium();
  const reader = new FileDecryptor(fromBase64url(file.fileKey), file.plaintext.size);
  const out: Uint8Array[] = [];
  try {
    for (let at = 0; at < bytes.length; at += piece) out.push(...reader.push(bytes.subarray(at, at + piece)));
    reader.end();
    return toBase64url(s.crypto_generichash(32, concat(...out), null));
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

vector('file header and three-chunk body', (c) => {
  const s = sodium();
  const v = file;
  const caseKey = fromBase64url(v.caseKey);
  c.same(sealFileHeader(caseKey, v.caseId, v.fileId, v.header.plaintext as FileHeaderPlaintext, fromBase64url(v.header.nonce)).ciphertext, v.header.ciphertext, 'header byte for byte');
  c.same(openFileHeader(caseKey, v.caseId, v.fileId, v.header), v.header.plaintext, 'header opens');
  const chunks = fileVectorChunks();
  chunks.forEach((chunk, i) => c.same(toBase64url(s.crypto_generichash(32, chunk, null)), v.chunks[i]!.blake2b256, `chunk ${i + 1} hash`));
  const body = concat(fromBase64url(v.streamHeader), ...chunks);
  c.same(body.length, encryptedFileSize(v.plaintext.size), 'encryptedFileSize');
  c.same(toBase64url(s.crypto_generichash(32, body, null)), v.body.blake2b256, 'body hash');
  c.same(readFileBody(body, 10_007), v.plaintext.blake2b256, 'read in pieces of 10,007 bytes');
});

vector('file body refusals', (c) => {
  const chunks = fileVectorChunks();
  const header = fromBase64url(file.streamHeader);
  const whole = concat(header, ...chunks);
  const flipped = whole.slice();
  flipped[24 + chunks[0]!.length + 100]! ^= 1;
  const bodies: Record<string, Uint8Array> = {
    'the body without its last chunk': concat(header, chunks[0]!, chunks[1]!),
    'the body cut one byte short': whole.subarray(0, whole.length - 1),
    'chunks 1 and 2 swapped': concat(header, chunks[1]!, chunks[0]!, chunks[2]!),
    'one bit flipped in chunk 2': flipped,
    'one byte after the last chunk': concat(whole, new Uint8Array([0])),
  };
  for (const { what, error } of file.refused) c.same(readFileBody(bodies[what]!, 65_553), error, what);
});

/** Every vector, in order; a vector that throws fails with the error. */
async function runAll(): Promise<VectorResult[]> {
  await ready();
  const results: VectorResult[] = [];
  for (const [name, run] of vectors) {
    const checks = new Checks();
    const started = performance.now();
    try {
      await run(checks);
      const ms = Math.round(performance.now() - started);
      results.push(checks.failures.length === 0
        ? { name, ok: true, detail: `${checks.count} checks, ${ms} ms` }
        : { name, ok: false, detail: checks.failures.join('; ') });
    } catch (error) {
      results.push({ name, ok: false, detail: `threw ${String(error)}${checks.failures.length ? `; ${checks.failures.join('; ')}` : ''}` });
    }
  }
  return results;
}

const output = document.getElementById('results');
if (!output) throw new Error('the page has no #results');
// A failure outside the vectors (libsodium not loading) still ends the wait, as one failed result.
const results = await runAll().catch((error: unknown): VectorResult[] => [{ name: 'run the vectors', ok: false, detail: String(error) }]);
output.textContent = JSON.stringify(results);
output.dataset.done = 'true';
