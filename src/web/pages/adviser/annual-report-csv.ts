/**
 * The annual report's tables as CSV (RFC 4180 quoting, CRLF lines), the suppressed values exactly
 * as the page shows them ("< 5", "•"): the export can never hold more than the report. A byte
 * order mark lets spreadsheet programs read the accents; Dutch spreadsheets expect ";" between
 * fields (the decimal comma), English ones ",".
 */
import type { PublishedReport } from '../../../protocol/annual-report/aggregate.js';
import { formatShown } from '../../../protocol/annual-report/suppression.js';

type Translate = (key: string, params?: Record<string, string | number>) => string;

const quote = (field: string) => (/[",;\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field);

export function reportCsv(report: PublishedReport, rowLabel: (table: string, key: string) => string, t: Translate, separator = t('adviser.annual.csvSeparator')): string {
  const lines = [[t('adviser.annual.csvTable'), t('adviser.annual.csvRow'), t('adviser.annual.thisPeriod'), t('adviser.annual.previousPeriod')]];
  for (const table of report.current.tables) {
    const previous = report.previous.tables.find((p) => p.id === table.id);
    // Quarters of two periods are different rows: the previous period's are not set beside them.
    const comparable = table.id !== 'quarter';
    const title = t(`adviser.annual.table.${table.id}`);
    table.rows.forEach((row, i) => {
      const before = comparable ? previous?.rows[i] : undefined;
      lines.push([title, rowLabel(table.id, row.key), formatShown(row.shown), before ? formatShown(before.shown) : '']);
    });
    if (table.additive) lines.push([title, t('adviser.annual.total'), formatShown(table.total), comparable && previous ? formatShown(previous.total) : '']);
  }
  return `\ufeff${lines.map((fields) => fields.map(quote).join(separator)).join('\r\n')}\r\n`;
}
