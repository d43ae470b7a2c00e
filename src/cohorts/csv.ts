/**
 * CSV as spreadsheets write it (RFC 4180): quoted fields with `""` escapes, commas and line breaks
 * inside quotes, CRLF or LF line ends, an optional UTF-8 byte-order mark. Excel in locales whose
 * decimal separator is a comma writes `;` between fields; a header without a comma but with a
 * semicolon is read that way.
 */

export interface CsvRecord {
  /** 1-based record number as a spreadsheet shows it: the header is row 1. */
  row: number;
  fields: string[];
}

export interface CsvSyntaxProblem {
  row: number;
  message: string;
}

export interface ParsedCsv {
  records: CsvRecord[];
  problems: CsvSyntaxProblem[];
}

/** Parses CSV text; a record whose fields are all empty (a blank line) is left out but keeps its row number. */
export function parseCsv(text: string): ParsedCsv {
  const input = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const firstLine = input.slice(0, input.search(/\r|\n|$/));
  const delimiter = !firstLine.includes(',') && firstLine.includes(';') ? ';' : ',';
  const delimiterCode = delimiter.charCodeAt(0);
  const records: CsvRecord[] = [];
  const problems: CsvSyntaxProblem[] = [];
  let row = 1;
  let fields: string[] = [];
  let field = '';
  let i = 0;
  const n = input.length;

  const endRecord = () => {
    fields.push(field);
    if (fields.some((f) => f !== '')) records.push({ row, fields });
    fields = [];
    field = '';
    row += 1;
  };

  while (i < n) {
    const ch = input[i]!;
    if (ch === '"' && field === '') {
      // A quoted field: runs to the next quote that is not doubled.
      const start = row;
      i += 1;
      let closed = false;
      while (i < n) {
        const c = input[i]!;
        if (c === '"') {
          if (input[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          closed = true;
          i += 1;
          break;
        }
        field += c;
        i += 1;
      }
      if (!closed) {
        problems.push({ row: start, message: 'a quoted field is never closed (a " is missing)' });
        endRecord();
        break;
      }
      const next = input[i];
      if (next !== undefined && next !== delimiter && next !== '\r' && next !== '\n') {
        problems.push({ row, message: `text after a closing quote (write a quote inside a quoted field as "")` });
        while (i < n && input[i] !== delimiter && input[i] !== '\r' && input[i] !== '\n') field += input[i++];
      }
      continue;
    }
    if (ch === delimiter) {
      fields.push(field);
      field = '';
      i += 1;
      continue;
    }
    if (ch === '\r' || ch === '\n') {
      endRecord();
      i += ch === '\r' && input[i + 1] === '\n' ? 2 : 1;
      continue;
    }
    if (ch === '"') {
      problems.push({ row, message: 'a quote inside an unquoted field (quote the whole field and double the quote: "a ""b"" c")' });
      field += ch;
      i += 1;
      continue;
    }
    // Plain text up to the next delimiter, line end or quote, taken in one slice.
    let j = i + 1;
    while (j < n) {
      const c = input.charCodeAt(j);
      if (c === delimiterCode || c === 13 || c === 10 || c === 34) break;
      j += 1;
    }
    field += input.slice(i, j);
    i = j;
  }
  if (field !== '' || fields.length > 0) endRecord();
  return { records, problems };
}

/**
 * A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, or a leading tab or carriage
 * return, per OWASP's CSV injection guidance) gets a leading `'`, so it is shown as text.
 */
export function neutraliseFormula(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

function quote(cell: string): string {
  return /[",\r\n;]|^\s|\s$/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

/** RFC 4180 text (CRLF line ends, quoted where needed) with every cell made formula-safe. */
export function toCsv(rows: ReadonlyArray<ReadonlyArray<string | number | boolean>>): string {
  return rows.map((r) => r.map((c) => quote(neutraliseFormula(String(c)))).join(',')).join('\r\n') + '\r\n';
}
