import t from 'tap';
import {
  CODE_ALPHABET, checkSymbols, deriveMailboxKeys, formatCode, generateCode, isCodeBody, readBack, ready
} from '../../src/protocol/index.js';

t.before(async () => { await ready(); });

t.test('generated codes read back, in any typing', async (t) => {
  const seen = new Set<string>();
  const failures: string[] = [];
  const shape = /^([0-9A-HJKMNP-TV-Z]{4}-){5}[0-9A-HJKMNP-TV-Z]{4}$/;
  for (let i = 0; i < 2000; i++) {
    const code = generateCode();
    const ok = isCodeBody(code.body) && code.check === checkSymbols(code.body) && shape.test(code.display) &&
      code.display === formatCode(code.body) && code.display === `${code.body.match(/.{4}/g)?.join('-') ?? ''}-${code.check}`;
    if (!ok) failures.push(`bad code ${JSON.stringify(code)}`);
    const typed = code.display.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'o').replace(/1/g, i % 2 === 0 ? 'l' : 'I');
    const read = readBack(typed);
    if (!read.ok || read.body !== code.body) failures.push(`${code.display} typed as ${typed} did not read back`);
    for (const c of code.body) seen.add(c);
  }
  t.same(failures, []);
  t.equal(seen.size, 32, 'every symbol of the alphabet occurs');
});

t.test('every single-symbol typo in a code is caught', async (t) => {
  const display = 'K7Q4M2XD9PTRH6WA3FZN1KYX';
  let caught = 0;
  for (let i = 0; i < display.length; i++) {
    for (const c of CODE_ALPHABET) {
      if (c === display[i]) continue;
      const read = readBack(display.slice(0, i) + c + display.slice(i + 1));
      if (!read.ok && read.error === 'wrong_check') caught++;
    }
  }
  t.equal(caught, 24 * 31);
});

t.test('swapping two neighbouring symbols is caught', async (t) => {
  const display = 'K7Q4M2XD9PTRH6WA3FZN1KYX';
  for (let i = 0; i + 1 < display.length; i++) {
    const swapped = display.slice(0, i) + display.charAt(i + 1) + display.charAt(i) + display.slice(i + 2);
    if (swapped === display) continue;
    t.same(readBack(swapped), { ok: false, error: 'wrong_check' }, `swap at ${i}`);
  }
});

t.test('readBack refuses', async (t) => {
  t.same(readBack(''), { ok: false, error: 'wrong_length' });
  t.same(readBack('K7Q4-M2XD-9PTR-H6WA-3FZN-1KYX-0'), { ok: false, error: 'wrong_length' });
  t.same(readBack('K7Q4-M2XD-9PTR-H6WA-3FZN-1KY'), { ok: false, error: 'wrong_length' });
  t.same(readBack('K7Q4_M2XD-9PTR-H6WA-3FZN-1KYX'), { ok: false, error: 'invalid_symbol' });
  t.same(readBack('K7Q4-M2XD-9PTR-H6WA-3FZN-1KYU'), { ok: false, error: 'invalid_symbol' }, 'U is not Crockford');
  t.same(readBack('K7Q4-M2XD-9PTR-H6WA-3FZN-ıKYX'), { ok: false, error: 'invalid_symbol' }, 'dotless i is not upper-cased to I');
  t.same(readBack('K7Q4-M2XD-9PTR-H6WA-3FZN-１KYX'), { ok: false, error: 'invalid_symbol' }, 'fullwidth digit');
  t.same(readBack('K7Q4\tM2XD\n9PTR H6WA 3FZN 1KYX'), { ok: true, body: 'K7Q4M2XD9PTRH6WA3FZN' }, 'pasted whitespace');
  t.same(readBack('U7Q4'), { ok: false, error: 'invalid_symbol' }, 'a bad symbol is reported before the length');
});

t.test('derivation refuses anything but a body', async (t) => {
  await t.rejects(deriveMailboxKeys('K7Q4M2XD9PTRH6WA3FZN1KYX'), { name: 'ProtocolError', code: 'invalid_code' });
  await t.rejects(deriveMailboxKeys('k7q4m2xd9ptrh6wa3fzn'), { name: 'ProtocolError', code: 'invalid_code' });
  t.throws(() => checkSymbols('K7Q4'), { name: 'ProtocolError', code: 'invalid_code' });
});
