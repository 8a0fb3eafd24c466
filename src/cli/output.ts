/** Plain-text output for the `confidant` command: aligned tables and readable dates. */

/** Lines of a table with a header row; columns are padded to their widest cell. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    widths
      .map((width, i) => (cells[i] ?? '').padEnd(width))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** `2025-03-01 14:05 UTC`: to the minute, unambiguous on any server's time zone. */
export function formatDate(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * Text that others chose (a display name), safe to print on the operator's terminal: control
 * characters, which could move the cursor or recolour what follows, show as U+FFFD.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/gu, '\ufffd');
}
