import t from 'tap';
import { parseJson } from '../src/server/plugins/json-body.js';
import { DomainError } from '../src/server/errors.js';

const refused = (text: string) => {
  try {
    parseJson(text);
  } catch (error) {
    return error instanceof DomainError && error.code === 'invalid_json';
  }
  return false;
};

t.test('well-formed JSON without duplicate keys parses as JSON.parse does', async (t) => {
  const samples = [
    '{}',
    '[]',
    '"text"',
    '42',
    'null',
    '{"a":1,"b":{"a":2,"b":[{"a":3},{"a":4}]},"c":[1,"a",{"c":5}]}',
    '{"a":"with \\"quotes\\" and \\\\ backslashes","b":"\\\\"}',
    '{"a\\\\":1,"a":2}',
    '{"x":"}{][,:"}',
    '[{"a":1},{"a":1}]',
    '{"constructor":{"name":"x"},"prototype":1}',
    ' { "a" : 1 , "b" : [ 1 , 2 ] } ',
    '{"":1,"\\u0000":2}',
  ];
  // Compared as text: tap would read a "constructor" key as the object's class.
  for (const text of samples) t.equal(JSON.stringify(parseJson(text)), JSON.stringify(JSON.parse(text)), text);
});

t.test('duplicate keys are refused at any depth, however they are spelt', async (t) => {
  const duplicates = [
    '{"a":1,"a":2}',
    '{"a":1,"\\u0061":2}',
    '{"\\u0061":1,"a":2}',
    '{"a\\"b":1,"a\\u0022b":2}',
    '{"x":{"a":1,"b":2,"a":3}}',
    '{"x":[{"a":1},{"b":1,"b":2}]}',
    '{"a":{"b":1},"a":[]}',
    '[[{"k":[],"k":{}}]]',
    '{"\\ud83d\\ude00":1,"😀":2}',
  ];
  for (const text of duplicates) t.ok(refused(text), text);
});

t.test('malformed JSON and prototype poisoning are refused', async (t) => {
  for (const text of ['', '{', '{"a":}', "{'a':1}", '{"a":1,}', '[1,]', 'undefined']) t.ok(refused(text), `malformed: ${JSON.stringify(text)}`);
  t.ok(refused('{"__proto__":{"admin":true}}'), '__proto__');
  t.ok(refused('{"a":{"\\u005f_proto__":1}}'), '__proto__ spelt with an escape, nested');
  t.ok(refused('{"constructor":{"prototype":{"admin":true}}}'), 'constructor.prototype');
});

t.test('a large body is scanned in linear time', async (t) => {
  const big = JSON.stringify({ report: { nonce: 'n'.repeat(32), ciphertext: 'A'.repeat(4_000_000) }, wraps: Array.from({ length: 64 }, (_, i) => ({ keyId: `k${i}`, wrap: 'w'.repeat(107) })) });
  const started = process.hrtime.bigint();
  parseJson(big);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  t.ok(ms < 500, `4 MB in ${ms.toFixed(1)} ms`);
});
