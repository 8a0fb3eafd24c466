// docs/vectors/code-v1.json, byte for byte (§2 code and derivation with the real Argon2
// parameters, the report record, the mailbox login signature, the proof of work).
import { readFileSync } from 'node:fs';
import t from 'tap';
import {
  checkSymbols, codeSalt, decryptRecord, deriveMailboxKeys, encryptRecord, formatCode, fromBase64url, leadingZeroBits, powHash, readBack, ready, reportAd, signMailboxLogin, solvePow, toBase64url, REPORT_BLOCK
} from '../../src/protocol/index.js';
import { verifyMailboxLogin, verifyPow } from '../../src/protocol/checks.js';

interface Vectors {
  codeSalt: string;
  codes: Array<{ body: string; check: string; display: string; seed: string; mailboxId: string; signPublicKey: string; boxPublicKey: string }>;
  readBack: { expectedBody: string; inputs: string[] };
  refused: string[];
  report: { caseId: string; caseKey: string; nonce: string; ad: string; plaintext: string; paddedLength: number; ciphertext: string };
  mailboxLogin: { code: string; challenge: string; signature: string };
  pow: { challenge: string; difficulty: number; nonce: number };
}

const vectors = JSON.parse(readFileSync(new URL('../../docs/vectors/code-v1.json', import.meta.url), 'utf8')) as Vectors;

t.before(async () => { await ready(); });

t.test('code salt', async (t) => {
  t.equal(toBase64url(codeSalt()), vectors.codeSalt);
});

t.test('codes: check, display and derived keys (real Argon2id parameters)', async (t) => {
  for (const code of vectors.codes) {
    t.test(code.body, async (t) => {
      t.equal(checkSymbols(code.body), code.check, 'check');
      t.equal(formatCode(code.body), code.display, 'display');
      t.same(readBack(code.display), { ok: true, body: code.body }, 'display reads back');
      const keys = await deriveMailboxKeys(code.body);
      t.equal(toBase64url(keys.seed), code.seed, 'seed');
      t.equal(keys.mailboxId, code.mailboxId, 'mailboxId');
      t.equal(toBase64url(keys.signPublicKey), code.signPublicKey, 'signPublicKey');
      t.equal(toBase64url(keys.boxPublicKey), code.boxPublicKey, 'boxPublicKey');
      t.equal(keys.signSecretKey.length, 64);
      t.equal(keys.boxSecretKey.length, 32);
    });
  }
});

t.test('readBack inputs', async (t) => {
  for (const input of vectors.readBack.inputs) {
    t.same(readBack(input), { ok: true, body: vectors.readBack.expectedBody }, JSON.stringify(input));
  }
});

t.test('refused inputs', async (t) => {
  const [wrongCheck, short, badSymbol] = vectors.refused;
  t.equal(vectors.refused.length, 3);
  t.same(readBack(wrongCheck ?? ''), { ok: false, error: 'wrong_check' });
  t.same(readBack(short ?? ''), { ok: false, error: 'wrong_length' });
  t.same(readBack(badSymbol ?? ''), { ok: false, error: 'invalid_symbol' });
});

t.test('report record', async (t) => {
  const r = vectors.report;
  t.equal(reportAd(r.caseId), r.ad);
  const caseKey = fromBase64url(r.caseKey);
  const plaintext: unknown = JSON.parse(r.plaintext);
  t.equal(JSON.stringify(plaintext), r.plaintext, 'JSON.stringify reproduces the vector plaintext');
  const envelope = encryptRecord(caseKey, plaintext, reportAd(r.caseId), REPORT_BLOCK, fromBase64url(r.nonce));
  t.equal(envelope.nonce, r.nonce);
  t.equal(envelope.ciphertext, r.ciphertext, 'ciphertext byte for byte');
  t.equal(fromBase64url(r.ciphertext).length, r.paddedLength + 16);
  t.same(decryptRecord(caseKey, { nonce: r.nonce, ciphertext: r.ciphertext }, r.ad, REPORT_BLOCK), plaintext);
  t.throws(() => decryptRecord(caseKey, { nonce: r.nonce, ciphertext: r.ciphertext }, reportAd('AAAAAAAAAAAAAAAAAAAAAA'), REPORT_BLOCK),
    { name: 'ProtocolError', code: 'decrypt_failed' });
});

t.test('mailbox login signature', async (t) => {
  const read = readBack(vectors.mailboxLogin.code);
  if (!read.ok) throw new Error('vector code does not read back');
  const keys = await deriveMailboxKeys(read.body);
  const challengeBytes = fromBase64url(vectors.mailboxLogin.challenge);
  const signature = signMailboxLogin(challengeBytes, keys.signSecretKey);
  t.equal(toBase64url(signature), vectors.mailboxLogin.signature, 'signature byte for byte (over the decoded challenge)');
  t.ok(verifyMailboxLogin(challengeBytes, signature, keys.signPublicKey));
  t.notOk(verifyMailboxLogin(new TextEncoder().encode(vectors.mailboxLogin.challenge), signature, keys.signPublicKey),
    'a signature over the challenge string does not verify');
});

t.test('proof of work', async (t) => {
  const { challenge, difficulty, nonce } = vectors.pow;
  t.equal(solvePow(challenge, difficulty), nonce);
  t.ok(verifyPow(challenge, difficulty, nonce));
  t.ok(leadingZeroBits(powHash(challenge, nonce)) >= difficulty);
  let smaller = 0;
  for (let n = 0; n < nonce; n++) if (verifyPow(challenge, difficulty, n)) smaller++;
  t.equal(smaller, 0, 'no smaller nonce works');
});
