/** The TOTP helpers: codes are compared in constant time, and a match does not depend on where it is found. */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { matchTotp, sameCode, totpCode, totpStep } from '../src/server/services/totp.js';

t.test('sameCode: true only for the same six digits', async (t) => {
  t.equal(sameCode('123456', '123456'), true, 'equal codes');
  t.equal(sameCode('123456', '123457'), false, 'the last digit differs');
  t.equal(sameCode('023456', '123456'), false, 'the first digit differs');
  t.equal(sameCode('12345', '123456'), false, 'a shorter code, without throwing');
  t.equal(sameCode('1234567', '123456'), false, 'a longer code, without throwing');
  t.equal(sameCode('', ''), true, 'two empty strings are the same');
});

t.test('matchTotp: the step of a code within one step of drift, else null', async (t) => {
  const secret = randomBytes(20);
  const now = new Date();
  const step = totpStep(now);
  for (const drift of [-1, 0, 1]) t.equal(matchTotp(secret, totpCode(secret, step + drift), now, null), step + drift, `drift ${drift}`);
  t.equal(matchTotp(secret, totpCode(secret, step + 1), now, step + 1), null, 'a spent step is refused');
  t.equal(matchTotp(secret, 'abcdef', now, null), null, 'not digits');
});
