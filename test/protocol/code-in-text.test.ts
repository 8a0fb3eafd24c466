/** A reporter code pasted into a report or message is found and refused before anything is sent (docs/protocol.md §10, `code_in_text`). */
import fc from 'fast-check';
import t from 'tap';
import { ConfidantClient, findCode, ready, submitNewReport } from '../../src/protocol/index.js';

/** The second code of docs/vectors/code-v1.json: its check symbols hold. */
const CODE = 'K7Q4-M2XD-9PTR-H6WA-3FZN-1KYX';

t.before(async () => {
  await ready();
});

t.test('a code is found however it was written into the text', async (t) => {
  for (const [what, text] of [
    ['as shown', `Mijn code is ${CODE}, voor de zekerheid.`],
    ['with spaces', `code: ${CODE.replace(/-/g, ' ')}`],
    ['in lower case', CODE.toLowerCase()],
    ['without separators', `(${CODE.replace(/-/g, '')})`],
    ['with O for 0 and L for 1', CODE.replace('1', 'L')],
    ['on a line of its own', `Groet,\n${CODE}\nAnna`],
  ] as const) {
    t.ok(findCode(text), what);
  }
});

t.test('nothing else is taken for a code', async (t) => {
  t.equal(findCode(CODE.replace('1KYX', '0KYX')), null, 'a wrong check symbol: not a code');
  t.equal(findCode('K7Q4-M2XD-9PTR-H6WA-3FZN'), null, 'five groups: not a code');
  t.equal(findCode(`X${CODE.replace(/-/g, '')}`), null, 'part of a longer run of letters and digits');
  t.equal(findCode('Rekening NL91 ABNA 0417 1643 00 en factuur 2024-0001-0002-0003-0004-0005'), null, 'bank and invoice numbers');
  fc.assert(
    fc.property(fc.array(fc.constantFrom('de', 'factuur', 'inkoop', 'twee', 'gesplitst', '2024', 'ABCD', 'NL91', '1234'), { maxLength: 60 }), (words) => findCode(words.join(' ')) === null),
  );
  t.pass('prose of words and numbers is never a code');
});

t.test('a report or message with a code is refused before the client sends anything', async (t) => {
  let requests = 0;
  const client = new ConfidantClient({
    baseUrl: 'http://unused.invalid',
    fetch: async () => {
      requests++;
      return { ok: false, status: 500, statusText: 'unexpected', text: async () => '' };
    },
  });
  await t.rejects(
    submitNewReport(client, { slug: 'acme', report: { v: 1, lang: 'nl', answers: { what: `Zie mijn vorige melding, code ${CODE}` }, anonymity: 'anonymous' } }),
    { name: 'ProtocolError', code: 'code_in_text' },
    'a code in an answer',
  );
  await t.rejects(
    submitNewReport(client, { slug: 'acme', report: { v: 1, lang: 'nl', answers: { what: 'Iets' }, anonymity: 'confidential', identity: { contact: CODE } } }),
    { name: 'ProtocolError', code: 'code_in_text' },
    'a code in the identity',
  );
  t.equal(requests, 0, 'no request left the client');
});
