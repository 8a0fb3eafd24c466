import t from 'tap';
import { MESSAGE_BLOCK, REPORT_BLOCK, pad, paddedLength, ready, sodium, unpad } from '../../src/protocol/index.js';

t.before(async () => { await ready(); });

t.test('pad and unpad at block boundaries', async (t) => {
  for (const block of [MESSAGE_BLOCK, REPORT_BLOCK]) {
    for (const n of [0, 1, block - 2, block - 1, block, block + 1, 2 * block - 1, 2 * block, 3 * block + 7]) {
      const bytes = sodium().randombytes_buf(n);
      const padded = pad(bytes, block);
      t.equal(padded.length % block, 0);
      t.ok(padded.length > n, 'at least one byte of padding');
      t.equal(padded.length, paddedLength(n, block), `${n} → ${padded.length}`);
      t.same(unpad(padded, block), bytes);
    }
  }
  t.equal(paddedLength(0, 1024), 1024);
  t.equal(paddedLength(1023, 1024), 1024);
  t.equal(paddedLength(1024, 1024), 2048);
});

t.test('unpad refuses bad padding', async (t) => {
  const zeros = new Uint8Array(1024);
  t.throws(() => unpad(zeros, 1024), { name: 'ProtocolError', code: 'bad_padding' }, 'no 0x80 marker');
  const padded = pad(new Uint8Array([1, 2, 3]), 1024);
  t.throws(() => unpad(padded.slice(0, 1000), 1024), { name: 'ProtocolError', code: 'bad_padding' }, 'not a multiple of the block');
  t.throws(() => unpad(new Uint8Array(0), 1024), { name: 'ProtocolError', code: 'bad_padding' });
  const trailing = padded.slice();
  trailing[1023] = 1;
  t.throws(() => unpad(trailing, 1024), { name: 'ProtocolError', code: 'bad_padding' }, 'non-zero after the marker');
  t.throws(() => pad(new Uint8Array(1), 0), { name: 'ProtocolError', code: 'bad_length' });
});
