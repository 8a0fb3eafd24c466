/** Case references (docs/protocol.md §4): the documented examples, their shape, and how rarely two cases share one. */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import t from 'tap';
import { REFERENCE_SYMBOLS, caseReference } from '../../src/protocol/index.js';

const vectors = JSON.parse(readFileSync(new URL('../../docs/vectors/case-reference-v1.json', import.meta.url), 'utf8')) as {
  alphabet: string;
  references: Array<{ caseId: string; reference: string }>;
};

t.test('the vectors of docs/vectors/case-reference-v1.json', async (t) => {
  t.equal(REFERENCE_SYMBOLS, vectors.alphabet, 'the alphabet');
  t.ok(vectors.references.length >= 4, `${vectors.references.length} references`);
  for (const { caseId, reference } of vectors.references) t.equal(caseReference(caseId), reference, `${caseId} → ${reference}`);
});

t.test('the alphabet has no look-alikes', async (t) => {
  t.equal(REFERENCE_SYMBOLS.length, 30);
  t.equal(new Set(REFERENCE_SYMBOLS).size, 30, 'no symbol twice');
  for (const c of '01ILOU') t.notOk(REFERENCE_SYMBOLS.includes(c), `no ${c}`);
});

t.test('every case id gives six symbols of the alphabet, grouped by three, the same each time', async (t) => {
  const shape = new RegExp(`^[${REFERENCE_SYMBOLS}]{3}-[${REFERENCE_SYMBOLS}]{3}$`);
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
      const id = Buffer.from(bytes).toString('base64url');
      const reference = caseReference(id);
      return shape.test(reference) && caseReference(id) === reference;
    }),
  );
  t.pass('checked on random 16-byte ids');
});

t.test('ids that differ in their first 48 bits rarely share a reference', async (t) => {
  const seen = new Set<string>();
  const n = 20_000;
  for (let i = 0; i < n; i++) seen.add(caseReference(randomBytes(16).toString('base64url')));
  // 30^6 = 729 million values: 20,000 ids expect about 0.3 shared pairs.
  t.ok(n - seen.size <= 3, `${n - seen.size} shared among ${n}`);
});
