/**
 * Small-number suppression for the count tables of the anonymised annual report (jaarverslag).
 *
 * Why: in a small organisation a count of 1 or 2 can point at a reporter. A count from 1 to t − 1
 * (t = threshold, default 5) is therefore shown as "< t" (primary suppression). Zero names nobody
 * and is shown as 0.
 *
 * The reader is assumed to know this rule and t, so a "< t" cell is an integer in [1, t − 1]. In an
 * additive table (the total is the sum of the rows) the total could give a lone "< t" cell back, so
 * while any hidden cell, or a hidden total, can take only one value, the smallest non-zero cell still
 * shown (lowest row on a tie) is hidden as well ("•", secondary suppression), and once none is left
 * the total. The reader knows a "•" cell is ≥ t, and, from the choice of the smallest, at most each
 * cell still shown (less than it, for rows above). A hidden total is taken to be known only as ≥ 1.
 * With one sum these ranges are exact, and for t ≥ 3 hiding every non-zero cell and the total always
 * leaves each unknown at least two values, so the loop ends with nothing pinned. t = 2 is refused:
 * with zeros shown, "< 2" could only mean 1.
 *
 * Tables where one case can count in several rows are not additive: they get primary suppression
 * only. Not modelled: what a reader might infer from why a cell was hidden.
 */

export const DEFAULT_THRESHOLD = 5;

export type Shown = { kind: 'count'; value: number } | { kind: 'below'; threshold: number } | { kind: 'hidden' };

export interface CountTable {
  rows: Array<{ key: string; count: number }>;
  /** Additive: the sum of the rows. Otherwise: the number of cases, at least each row. */
  total: number;
  additive: boolean;
}

export interface PublishedTable {
  rows: Array<{ key: string; shown: Shown }>;
  total: Shown;
  /** Whether any cell or the total is not shown exactly. */
  suppressed: boolean;
}

/** An integer range; `hi` may be Infinity. */
interface Range {
  lo: number;
  hi: number;
}

export function suppress(table: CountTable, threshold: number = DEFAULT_THRESHOLD): PublishedTable {
  validate(table, threshold);
  const primary = (n: number): Shown => (n >= 1 && n < threshold ? { kind: 'below', threshold } : { kind: 'count', value: n });
  const counts = table.rows.map((row) => row.count);
  const cells = counts.map(primary);
  let total = primary(table.total);
  if (table.additive) {
    while (anyPinned(counts, cells, total, threshold)) {
      const next = smallestShown(counts, cells);
      if (next !== undefined) cells[next] = { kind: 'hidden' };
      else if (total.kind !== 'hidden') total = { kind: 'hidden' };
      else throw new Error('suppress: a hidden value stays pinned with everything hidden'); // unreachable for t ≥ 3
    }
  }
  const rows = table.rows.map((row, i) => ({ key: row.key, shown: cells[i] ?? primary(row.count) }));
  const suppressed = total.kind !== 'count' || cells.some((cell) => cell.kind !== 'count');
  return { rows, total, suppressed };
}

/** '12', '< 5', or '•' for a cell hidden to protect another. */
export function formatShown(shown: Shown): string {
  switch (shown.kind) {
    case 'count':
      return String(shown.value);
    case 'below':
      return `< ${shown.threshold}`;
    case 'hidden':
      return '•';
  }
}

function validate(table: CountTable, threshold: number): void {
  if (!Number.isSafeInteger(threshold) || threshold < 3) {
    throw new RangeError(`threshold must be an integer of at least 3, got ${threshold}`);
  }
  for (const { key, count } of table.rows) {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new RangeError(`count of row "${key}" must be a non-negative integer, got ${count}`);
    }
  }
  if (!Number.isSafeInteger(table.total) || table.total < 0) {
    throw new RangeError(`total must be a non-negative integer, got ${table.total}`);
  }
  if (table.additive) {
    const sum = table.rows.reduce((s, row) => s + row.count, 0);
    if (sum !== table.total) throw new RangeError(`total ${table.total} of an additive table must equal the sum of its rows, ${sum}`);
  } else {
    const over = table.rows.find((row) => row.count > table.total);
    if (over) throw new RangeError(`count ${over.count} of row "${over.key}" exceeds the total number of cases, ${table.total}`);
  }
}

/** The smallest non-zero cell still shown, lowest index on a tie. */
function smallestShown(counts: number[], cells: Shown[]): number | undefined {
  let best: number | undefined;
  counts.forEach((count, i) => {
    if (cells[i]?.kind === 'count' && count > 0 && (best === undefined || count < (counts[best] ?? 0))) best = i;
  });
  return best;
}

/** Whether, given what is published and sum(cells) = total, some hidden cell or the hidden total has one possible value. */
function anyPinned(counts: number[], cells: Shown[], total: Shown, t: number): boolean {
  const shown = counts.flatMap((count, i) => (cells[i]?.kind === 'count' ? [{ i, count }] : []));
  const visibleSum = shown.reduce((s, cell) => s + cell.count, 0);
  const hidden: Range[] = [];
  cells.forEach((cell, i) => {
    if (cell.kind === 'below') hidden.push({ lo: 1, hi: t - 1 });
    if (cell.kind === 'hidden') {
      const bounds = shown.filter((s) => s.count > 0).map((s) => (s.i < i ? s.count - 1 : s.count));
      hidden.push({ lo: t, hi: Math.min(Infinity, ...bounds) });
    }
  });
  const totalRange: Range =
    total.kind === 'count' ? { lo: total.value, hi: total.value } : total.kind === 'below' ? { lo: 1, hi: t - 1 } : { lo: 1, hi: Infinity };
  const sumOf = (ranges: Range[]): Range => ranges.reduce((s, r) => ({ lo: s.lo + r.lo, hi: s.hi + r.hi }), { lo: 0, hi: 0 });
  const cellPinned = hidden.some((range, k) => {
    const others = sumOf(hidden.filter((_, j) => j !== k));
    const lo = Math.max(range.lo, totalRange.lo - visibleSum - others.hi);
    const hi = Math.min(range.hi, totalRange.hi - visibleSum - others.lo);
    return lo === hi;
  });
  if (cellPinned || total.kind === 'count') return cellPinned;
  const all = sumOf(hidden);
  return Math.max(totalRange.lo, visibleSum + all.lo) === Math.min(totalRange.hi, visibleSum + all.hi);
}
