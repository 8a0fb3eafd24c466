import fc from 'fast-check';
import t from 'tap';
import { base64urlByteLength, fromBase64url, isBase64url, ready, sodium, toBase64url } from '../../src/protocol/index.js';

t.before(async () => { await ready(); });

t.test('round trip for every length up to 100', async (t) => {
  for (let n = 0; n <= 100; n++) {
    const bytes = sodium().randombytes_buf(n);
    const text = toBase64url(bytes);
    t.notMatch(text, /[=+/]/);
    t.ok(isBase64url(text, n));
    t.equal(base64urlByteLength(text), n);
    t.same(fromBase64url(text, n), bytes);
  }
});

t.test('matches libsodium and the URL-safe alphabet', async (t) => {
  const bytes = new Uint8Array([0xfb, 0xff, 0xbf, 0x00]);
  t.equal(toBase64url(bytes), '-_-_AA');
});

t.test('refuses what is not canonical unpadded base64url', async (t) => {
  const refused: unknown[] = [
    'AA==', 'AAA=', 'AA=', // padding
    'ab+/', 'a b', 'ab\n', 'é', // outside the alphabet
    'A', 'AAAAA', // a lone symbol
    'AB', 'AAB', 'AAC', // unused bits set (canonical: AA, AAA, AAE)
    undefined, null, 12, ['AA'], { toString: () => 'AA' }
  ];
  for (const value of refused) {
    t.notOk(isBase64url(value), JSON.stringify(value) ?? String(value));
  }
  t.ok(isBase64url('AA'));
  t.ok(isBase64url('AAE'));
  t.ok(isBase64url(''));
  t.ok(isBase64url('AAAA', 3));
  t.notOk(isBase64url('AAAA', 4));
  t.notOk(isBase64url('AAAA', 2));
  for (const text of ['AA==', 'AB', 'ab+/', 'A']) {
    t.throws(() => fromBase64url(text), { name: 'ProtocolError', code: 'bad_base64url' });
  }
  t.throws(() => fromBase64url('AAAA', 4), { name: 'ProtocolError', code: 'bad_length' });
});

t.test('every string libsodium itself decodes strictly is accepted, and only those', async (t) => {
  const s = sodium();
  const symbols = 'AB_-z9=';
  let agreed = 0;
  const walk = (prefix: string, depth: number): void => {
    if (depth === 0) return;
    for (const c of symbols) {
      const text = prefix + c;
      let sodiumOk: boolean;
      try {
        const bytes = s.from_base64(text, s.base64_variants.URLSAFE_NO_PADDING);
        sodiumOk = s.to_base64(bytes, s.base64_variants.URLSAFE_NO_PADDING) === text;
      } catch {
        sodiumOk = false;
      }
      if (sodiumOk !== isBase64url(text)) t.fail(`disagree on ${text}`);
      else agreed++;
      walk(text, depth - 1);
    }
  };
  walk('', 4);
  t.ok(agreed > 2000);
});

t.test('the table codec agrees with libsodium on random bytes, and with isBase64url on random text', async (t) => {
  const s = sodium();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
      const text = toBase64url(bytes);
      return text === s.to_base64(bytes, s.base64_variants.URLSAFE_NO_PADDING) && text === Buffer.from(bytes).toString('base64url') && Buffer.from(fromBase64url(text)).equals(Buffer.from(bytes));
    }),
    { numRuns: 500 },
  );
  // Text near the alphabet, with padding, whitespace, non-ASCII and lone surrogates mixed in.
  const symbol = fc.oneof(fc.constantFrom(...'AQgw_-z9'), fc.constantFrom('=', '+', '/', ' ', '\n', 'é', '\u0100', '\ud800', '\u{1F600}', '\u0041\u0301'));
  fc.assert(
    fc.property(fc.array(symbol, { maxLength: 12 }).map((parts) => parts.join('')), (text) => {
      let decoded: Uint8Array | null;
      try {
        decoded = fromBase64url(text);
      } catch {
        decoded = null;
      }
      if (!isBase64url(text)) return decoded === null;
      return decoded !== null && toBase64url(decoded) === text;
    }),
    { numRuns: 3000 },
  );
  t.pass('5000 inputs');
});

t.test('fromBase64url refuses what is not text, without throwing anything but a ProtocolError', async (t) => {
  for (const value of [undefined, null, 12, ['AA'], { toString: () => 'AA' }]) {
    t.throws(() => fromBase64url(value as unknown as string), { name: 'ProtocolError', code: 'bad_base64url' }, String(value));
  }
});
