/** One column of a CLI table: its header and how to read a row's cell. Numbers align right. */
export interface Column<T> {
  header: string;
  cell: (row: T) => string | number;
}

/**
 * A plain-text table: a header, a rule under it and one line per row, every column as wide as its
 * widest cell. The last column is not padded, so lines carry no trailing spaces.
 */
export function formatColumns<T>(rows: readonly T[], columns: ReadonlyArray<Column<T>>, indent = ''): string {
  const cells = rows.map((row) => columns.map((c) => c.cell(row)));
  const right = columns.map((_, i) => cells.length > 0 && cells.every((r) => typeof r[i] === 'number'));
  const text = cells.map((r) => r.map(String));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...text.map((r) => (r[i] ?? '').length)));
  const line = (values: string[]) =>
    indent +
    values
      .map((v, i) => (right[i] ? v.padStart(widths[i] ?? 0) : i === values.length - 1 ? v : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), line(widths.map((w) => '-'.repeat(w))), ...text.map(line)].join('\n');
}
