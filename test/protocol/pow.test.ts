import t from 'tap';
import { POW_MAX_DIFFICULTY, leadingZeroBits, powHash, ready, solvePow, sodium } from '../../src/protocol/index.js';
import { verifyPow } from '../../src/protocol/checks.js';

t.before(async () => { await ready(); });

/** The reference definition, with BigInt (tests only). */
function referenceHash(challenge: string, nonce: number): Uint8Array {
  const bytes = new Uint8Array(challenge.length + 8);
  bytes.set(new TextEncoder().encode(challenge));
  new DataView(bytes.buffer).setBigUint64(challenge.length, BigInt(nonce), true);
  return sodium().crypto_generichash(32, bytes, null);
}

t.test('uint64le of the nonce, across the 32-bit boundary', async (t) => {
  for (const nonce of [0, 1, 255, 256, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 40 + 12345, Number.MAX_SAFE_INTEGER]) {
    t.same(powHash('c', nonce), referenceHash('c', nonce), String(nonce));
  }
});

t.test('leadingZeroBits', async (t) => {
  t.equal(leadingZeroBits(new Uint8Array([0x80])), 0);
  t.equal(leadingZeroBits(new Uint8Array([0x7f])), 1);
  t.equal(leadingZeroBits(new Uint8Array([0x01, 0xff])), 7);
  t.equal(leadingZeroBits(new Uint8Array([0x00, 0x10])), 11);
  t.equal(leadingZeroBits(new Uint8Array([0, 0, 0])), 24);
  t.equal(leadingZeroBits(new Uint8Array(0)), 0);
});

t.test('solve and verify', async (t) => {
  t.equal(solvePow('anything', 0), 0, 'difficulty 0: nonce 0');
  for (let i = 0; i < 20; i++) {
    const challenge = `challenge-${i}`;
    const nonce = solvePow(challenge, 6);
    t.ok(verifyPow(challenge, 6, nonce));
    for (let n = 0; n < nonce; n++) if (verifyPow(challenge, 6, n)) t.fail(`${n} < ${nonce} also works`);
  }
  const nonce = solvePow('x', 10);
  t.equal(verifyPow('y', 10, nonce), leadingZeroBits(powHash('y', nonce)) >= 10, 'a nonce is checked against its own challenge');
});

t.test('verifyPow never throws on bad input', async (t) => {
  for (const [challenge, difficulty, nonce] of [
    ['c', 4, -1], ['c', 4, 1.5], ['c', 4, '1'], ['c', 4, 2 ** 53], ['c', -1, 0], ['c', 257, 0], ['c', 1.5, 0],
    [1, 4, 0], ['é', 4, 0], [null, null, null]
  ] as Array<[unknown, unknown, unknown]>) {
    t.equal(verifyPow(challenge, difficulty, nonce), false, JSON.stringify([challenge, difficulty, nonce]));
  }
});

t.test('solvePow refuses what it cannot do', async (t) => {
  t.throws(() => solvePow('c', POW_MAX_DIFFICULTY + 1), { name: 'ProtocolError', code: 'bad_difficulty' });
  t.throws(() => solvePow('c', -1), { name: 'ProtocolError', code: 'bad_difficulty' });
  t.throws(() => solvePow('ç', 1), { name: 'ProtocolError', code: 'bad_challenge' });
  t.throws(() => powHash('c', -1), { name: 'ProtocolError', code: 'bad_nonce' });
});
