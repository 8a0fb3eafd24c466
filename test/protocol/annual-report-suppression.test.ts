/** Small-number suppression of the annual report's tables: examples, and that no hidden value can be worked out. */
import fc from 'fast-check';
import t from 'tap';
import {
  DEFAULT_THRESHOLD,
  type CountTable,
  type PublishedTable,
  formatShown,
  suppress,
} from '../../src/protocol/annual-report/suppression.js';

const additive = (counts: number[]): CountTable => ({
  rows: counts.map((count, i) => ({ key: `r${i}`, count })),
  total: counts.reduce((s, c) => s + c, 0),
  additive: true,
});
const nonAdditive = (counts: number[], total: number): CountTable => ({ ...additive(counts), total, additive: false });
/** The table as text, e.g. '12 | < 5 | 0 | • = 22'. */
const text = (p: PublishedTable): string => `${p.rows.map((r) => formatShown(r.shown)).join(' | ')} = ${formatShown(p.total)}`;

t.test('examples', async (t) => {
  t.equal(DEFAULT_THRESHOLD, 5);
  const cases: Array<[CountTable, number, string, string]> = [
    [additive([12, 3, 0, 7]), 5, '12 | < 5 | 0 | • = 22', '3 = 22 − 19, so the smallest other (7) goes too'],
    [additive([12, 7, 20]), 5, '12 | 7 | 20 = 39', 'nothing small: nothing hidden'],
    [additive([0, 0, 0]), 5, '0 | 0 | 0 = 0', 'all zeros'],
    [additive([]), 5, ' = 0', 'no rows'],
    [additive([3, 0, 0]), 5, '< 5 | 0 | 0 = < 5', 'a total below t is itself "< t"'],
    [additive([2, 1]), 5, '< 5 | < 5 = < 5', 'two small cells under a small total'],
    [additive([1, 5]), 5, '< 5 | • = •', '1 + (≥ 5) = 6 pins 1, so the total goes too'],
    [additive([4, 4]), 5, '< 5 | < 5 = •', '8 = x + y with x, y ≤ 4 pins both'],
    [additive([1, 1, 1, 1, 0]), 5, '< 5 | < 5 | < 5 | < 5 | 0 = •', 'four cells ≥ 1 under "< 5" would all be 1'],
    [additive([4, 5, 5]), 5, '< 5 | • | • = 14', 'a lone • would be ≤ the 5 still shown: 5, so 4'],
    [additive([2, 6, 9, 30]), 5, '< 5 | • | 9 | 30 = 47', 'one secondary cell is enough'],
    [additive([12, 3, 0, 7]), 3, '12 | 3 | 0 | 7 = 22', 'threshold 3: 3 is shown'],
    [additive([1, 2, 40]), 3, '< 3 | < 3 | 40 = 43', 'two small cells protect each other'],
    [nonAdditive([3, 8, 1], 10), 5, '< 5 | 8 | < 5 = 10', 'not additive: primary only'],
    [nonAdditive([4, 2, 0], 4), 5, '< 5 | < 5 | 0 = < 5', 'not additive, total below t'],
    [nonAdditive([9, 9], 12), 5, '9 | 9 = 12', 'not additive, nothing small'],
  ];
  for (const [table, threshold, expected, why] of cases) {
    const published = suppress(table, threshold);
    t.equal(text(published), expected, why);
    t.equal(published.suppressed, /<|•/.test(expected), `${why}: suppressed flag`);
    t.same(published.rows.map((r) => r.key), table.rows.map((r) => r.key), `${why}: keys kept`);
  }
  t.same(suppress(additive([12, 3])).rows[1]?.shown, { kind: 'below', threshold: 5 }, 'default threshold 5');
});

t.test('formatShown', async (t) => {
  t.equal(formatShown({ kind: 'count', value: 12 }), '12');
  t.equal(formatShown({ kind: 'count', value: 0 }), '0');
  t.equal(formatShown({ kind: 'below', threshold: 5 }), '< 5');
  t.equal(formatShown({ kind: 'hidden' }), '•');
});

t.test('invalid input is refused with a RangeError naming the problem', async (t) => {
  for (const threshold of [2, 1, 0, -5, 2.5, Number.NaN, Infinity]) {
    t.throws(() => suppress(additive([1, 2]), threshold), { name: 'RangeError', message: /threshold/ }, `threshold ${threshold}`);
  }
  t.throws(() => suppress(additive([1, -1])), { name: 'RangeError', message: /row "r1"/ }, 'negative count');
  t.throws(() => suppress(additive([1.5])), { name: 'RangeError', message: /row "r0"/ }, 'fractional count');
  t.throws(() => suppress({ ...additive([1, 2]), total: 4 }), { name: 'RangeError', message: /sum/ }, 'total ≠ sum');
  t.throws(() => suppress(nonAdditive([1, 2], -1)), { name: 'RangeError', message: /total/ }, 'negative total');
  t.throws(() => suppress(nonAdditive([1, 2], 1.5)), { name: 'RangeError', message: /total/ }, 'fractional total');
  t.throws(() => suppress(nonAdditive([6, 2], 5)), { name: 'RangeError', message: /row "r0".*exceeds/ }, 'row above the number of cases');
});

// ---- an independent checker: what can a reader who knows the rule work out? ----

type Values = Set<number>;

/**
 * For each hidden cell and a hidden total, every value it takes in some assignment consistent with the
 * published table; by exhaustive enumeration (reachable sums for additive tables), not interval arithmetic.
 */
function readerOptions(
  published: PublishedTable,
  threshold: number,
  isAdditive: boolean,
  cap: number,
): { cells: Array<Values | undefined>; total: Values | undefined } {
  const range = (lo: number, hi: number): number[] => Array.from({ length: Math.max(0, Math.min(hi, cap) - lo + 1) }, (_, k) => lo + k);
  const shownNonZero = published.rows.flatMap((r, i) => (r.shown.kind === 'count' && r.shown.value > 0 ? [{ i, value: r.shown.value }] : []));
  const cellValues = published.rows.map((r, i): number[] => {
    if (r.shown.kind === 'count') return [r.shown.value];
    if (r.shown.kind === 'below') return range(1, r.shown.threshold - 1);
    // A cell hidden to protect another: ≥ t, and it was the smallest shown when chosen (lowest row on a tie).
    return range(threshold, Math.min(cap, ...shownNonZero.map((s) => (s.i < i ? s.value - 1 : s.value))));
  });
  const belowCount = published.rows.filter((r) => r.shown.kind === 'below').length;
  const anySecondary = published.rows.some((r) => r.shown.kind === 'hidden');
  const totalValues =
    published.total.kind === 'count'
      ? [published.total.value]
      : published.total.kind === 'below'
        ? range(1, published.total.threshold - 1)
        : // Hidden: the total was ≥ t, except when t − 1 cells under "< t" were all 1 (total t − 1).
          range(!anySecondary && belowCount === threshold - 1 ? threshold - 1 : threshold, cap);
  const hiddenCell = published.rows.map((r) => r.shown.kind !== 'count');
  const hiddenTotal = published.total.kind !== 'count';
  const cells: Array<Values | undefined> = hiddenCell.map((h) => (h ? new Set() : undefined));
  const total: Values | undefined = hiddenTotal ? new Set() : undefined;

  if (!isAdditive) {
    // Each row counts at most every case: row ≤ total. Enumerate every assignment.
    const assign = (i: number, chosen: number[]): void => {
      if (i === cellValues.length) {
        for (const T of totalValues) {
          if (chosen.every((c) => c <= T)) {
            chosen.forEach((c, k) => cells[k]?.add(c));
            total?.add(T);
          }
        }
        return;
      }
      for (const v of cellValues[i] ?? []) assign(i + 1, [...chosen, v]);
    };
    assign(0, []);
    return { cells, total };
  }

  // Additive: sums reachable by the cells other than `skip`, as a table of booleans 0..cap.
  const reachable = (skip: number): boolean[] => {
    let sums = Array.from({ length: cap + 1 }, (_, s) => s === 0);
    cellValues.forEach((values, i) => {
      if (i === skip) return;
      const next = new Array<boolean>(cap + 1).fill(false);
      sums.forEach((ok, s) => {
        if (ok) for (const v of values) if (s + v <= cap) next[s + v] = true;
      });
      sums = next;
    });
    return sums;
  };
  const totals = new Set(totalValues);
  cellValues.forEach((values, i) => {
    const set = cells[i];
    if (!set) return;
    const others = reachable(i);
    for (const v of values) if (others.some((ok, s) => ok && totals.has(s + v))) set.add(v);
  });
  if (total) {
    const all = reachable(-1);
    for (const T of totalValues) if (all[T]) total.add(T);
  }
  return { cells, total };
}

interface Drawn {
  counts: number[];
  threshold: number;
  isAdditive: boolean;
  extra: number;
}
const tableOf = ({ counts, isAdditive, extra }: Drawn): CountTable =>
  isAdditive ? additive(counts) : nonAdditive(counts, Math.max(0, ...counts) + extra);

/** The three properties for one table; returns what went wrong, or undefined. */
function problem(drawn: Drawn): string | undefined {
  const { counts, threshold } = drawn;
  const table = tableOf(drawn);
  const published = suppress(table, threshold);
  const small = (n: number): boolean => n >= 1 && n < threshold;

  // 1. What is shown is true and never small; every small count shows as "< t"; only counts ≥ t are hidden.
  for (const [i, count] of counts.entries()) {
    const shown = published.rows[i]?.shown;
    if (!shown) return `row ${i} missing`;
    if (small(count) !== (shown.kind === 'below')) return `row ${i} (${count}) shown as ${formatShown(shown)}`;
    if (shown.kind === 'below' && shown.threshold !== threshold) return `row ${i}: wrong threshold`;
    if (shown.kind === 'count' && shown.value !== count) return `row ${i} (${count}) shown as ${shown.value}`;
    if (shown.kind === 'hidden' && (!drawn.isAdditive || count < threshold)) return `row ${i} (${count}) hidden`;
  }
  const total = published.total;
  if (published.rows.length !== counts.length) return 'extra rows';
  if (total.kind === 'count' && (total.value !== table.total || small(total.value))) return `total ${table.total} shown as ${total.value}`;
  if (total.kind === 'below' && (!small(table.total) || total.threshold !== threshold)) return `total ${table.total} shown as below`;
  if (total.kind === 'hidden' && !drawn.isAdditive) return 'total of a non-additive table hidden';
  if (published.suppressed !== (total.kind !== 'count' || published.rows.some((r) => r.shown.kind !== 'count'))) return 'suppressed flag';

  // 3. Nothing small: nothing hidden.
  if (!counts.some(small) && !small(table.total) && published.suppressed) return 'hid something with nothing small';

  // 2. No hidden cell or hidden total can be worked out, and the truth is among the possibilities.
  const cap = Math.max(table.total, counts.reduce((s, c) => s + c, 0)) + 2 * threshold;
  const options = readerOptions(published, threshold, drawn.isAdditive, cap);
  for (const [i, values] of options.cells.entries()) {
    if (!values) continue;
    if (!values.has(counts[i] ?? -1)) return `row ${i}: the true ${counts[i]} is not consistent with what is published`;
    if (values.size < 2) return `row ${i} (${counts[i]}) can be worked out: ${[...values].join(', ')}`;
  }
  if (options.total) {
    if (!options.total.has(table.total)) return `the true total ${table.total} is not consistent with what is published`;
    if (options.total.size < 2) return `the total ${table.total} can be worked out`;
  }
  return undefined;
}

const count = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 15 }));
const drawn: fc.Arbitrary<Drawn> = fc.record({
  counts: fc.array(count, { minLength: 1, maxLength: 6 }),
  threshold: fc.integer({ min: 3, max: 6 }),
  isAdditive: fc.boolean(),
  extra: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 10 })),
});

t.test('random tables: shown values are true and never small, nothing can be worked out, nothing hidden needlessly', async (t) => {
  fc.assert(
    fc.property(drawn, (d) => {
      const found = problem(d);
      if (found) throw new Error(found);
    }),
    { numRuns: 2000 },
  );
  t.pass('2000 tables of 1–6 rows, thresholds 3–6, additive or not');
});

t.test('every additive table of up to three rows with counts 0–7, thresholds 3–5', async (t) => {
  const failures: string[] = [];
  let checked = 0;
  for (let threshold = 3; threshold <= 5; threshold++) {
    for (let n = 1; n <= 3; n++) {
      for (let code = 0; code < 8 ** n; code++) {
        const counts = Array.from({ length: n }, (_, k) => Math.floor(code / 8 ** k) % 8);
        const found = problem({ counts, threshold, isAdditive: true, extra: 0 });
        checked++;
        if (found) failures.push(`[${counts.join(', ')}] t=${threshold}: ${found}`);
      }
    }
  }
  t.same(failures.slice(0, 5), [], `${checked} tables`);
});

t.test('the checker itself notices a giveaway', async (t) => {
  // 3 = 22 − 19 with only primary suppression: the checker must see it.
  const published: PublishedTable = {
    rows: [
      { key: 'a', shown: { kind: 'count', value: 12 } },
      { key: 'b', shown: { kind: 'below', threshold: 5 } },
      { key: 'c', shown: { kind: 'count', value: 7 } },
    ],
    total: { kind: 'count', value: 22 },
    suppressed: true,
  };
  const options = readerOptions(published, 5, true, 40);
  t.same([...(options.cells[1] ?? [])], [3]);
  const lonely = readerOptions({ ...published, rows: [published.rows[1]!], total: { kind: 'below', threshold: 5 } }, 5, true, 40);
  t.same([...(lonely.cells[0] ?? [])], [1, 2, 3, 4], 'one small cell under a small total: four values');
});
