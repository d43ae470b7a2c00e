/**
 * CSV for spreadsheets (RFC 4180: every field quoted, quotes doubled, CRLF between records), safe to
 * open in Excel, LibreOffice or Google Sheets: a field that a spreadsheet would read as a formula
 * (it starts with =, +, -, @, a tab or a carriage return, as OWASP's "CSV Injection" lists) is
 * prefixed with a single quote, so a member's chosen name can never run as a formula.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvField(value: string | number | boolean | null | undefined): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

/** The header and rows as one CSV document, with a UTF-8 byte-order mark so Excel reads names with accents right. */
export function toCsv(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | boolean | null | undefined>>): string {
  return `\ufeff${[header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}
