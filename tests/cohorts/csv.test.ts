import { neutraliseFormula, parseCsv, toCsv } from '../../src/cohorts/csv';

const fields = (text: string) => parseCsv(text).records.map((r) => r.fields);

describe('cohort CSV (RFC 4180)', () => {
  it('reads CRLF, LF and a UTF-8 byte-order mark alike', () => {
    const expected = [
      ['name', 'level'],
      ['Ana', 'foundation'],
    ];
    expect(fields('name,level\r\nAna,foundation\r\n')).toEqual(expected);
    expect(fields('name,level\nAna,foundation')).toEqual(expected);
    expect(fields('\uFEFFname,level\r\nAna,foundation')).toEqual(expected);
  });

  it('keeps commas, line breaks and doubled quotes inside quoted fields', () => {
    const parsed = parseCsv('name,note\r\n"Lima, Ana","says ""hi""\r\nthen leaves"\r\nBo,""\r\n');
    expect(parsed.problems).toEqual([]);
    expect(parsed.records).toEqual([
      { row: 1, fields: ['name', 'note'] },
      { row: 2, fields: ['Lima, Ana', 'says "hi"\r\nthen leaves'] },
      { row: 3, fields: ['Bo', ''] },
    ]);
  });

  it('skips blank lines but keeps the spreadsheet row numbers of the rows after them', () => {
    expect(parseCsv('name\r\n\r\nAna\r\n,\r\nBo\r\n').records.map((r) => [r.row, r.fields[0]])).toEqual([
      [1, 'name'],
      [3, 'Ana'],
      [5, 'Bo'],
    ]);
  });

  it('reads the semicolons Excel writes in comma-decimal locales', () => {
    expect(fields('name;level\r\n"Ana; Jr";foundation')).toEqual([
      ['name', 'level'],
      ['Ana; Jr', 'foundation'],
    ]);
  });

  it('reports an unclosed quote, a stray quote and text after a closing quote with their rows', () => {
    expect(parseCsv('a,b\r\nx,"never closed\r\n').problems).toEqual([{ row: 2, message: expect.stringContaining('never closed') }]);
    expect(parseCsv('a\r\nok\r\nbad"quote\r\n').problems).toEqual([{ row: 3, message: expect.stringContaining('quote inside an unquoted field') }]);
    expect(parseCsv('a\r\n"x"y\r\n').problems).toEqual([{ row: 2, message: expect.stringContaining('after a closing quote') }]);
  });

  it('writes CRLF records, quotes what needs it, and round-trips through the parser', () => {
    const rows = [
      ['name', 'reason'],
      ['Lima, Ana', 'said "yes"\nlater'],
      [' padded', 'plain'],
    ];
    const text = toCsv(rows);
    expect(text).toBe('name,reason\r\n"Lima, Ana","said ""yes""\nlater"\r\n" padded",plain\r\n');
    expect(fields(text)).toEqual(rows);
  });

  it.each(['=HYPERLINK("http://x","y")', '+1', '-2+3', '@SUM(A1)', '\tTAB', '\rCR'])('makes %j inert for spreadsheets with a leading quote', (cell) => {
    expect(neutraliseFormula(cell)).toBe(`'${cell}`);
    expect(fields(toCsv([[cell]]))[0]![0]).toBe(`'${cell}`);
  });

  it('leaves ordinary text alone', () => {
    for (const cell of ['Ana', 'a=b', 'x-y', 'me@example.org', '']) expect(neutraliseFormula(cell)).toBe(cell);
  });
});
