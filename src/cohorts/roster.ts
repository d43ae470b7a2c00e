/**
 * The member list an organiser uploads: one row per person with `name` and/or `email`, `level`
 * and `target` (an assessment id). Every row is checked before anything is stored; a file with a
 * bad row is refused whole, with every bad row listed.
 */
import { looksLikeEmail, normaliseEmail } from '../attempts/candidate';
import type { CohortCatalog } from './catalog';
import { parseCsv } from './csv';
import { CohortImportError, type RowProblem } from './errors';

export interface RosterRow {
  /** Spreadsheet row (the header is row 1). */
  row: number;
  /** As written, trimmed; shown as the member's display name. */
  name: string | null;
  /** Normalised (trimmed, lower case); only ever stored as its salted hash. */
  email: string | null;
  /** Lower case, inner spaces collapsed: "Foundation " and "foundation" are one level. */
  level: string;
  targetAssessmentId: string;
}

export interface RosterRules {
  /** The cohort's target assessments. */
  targets: readonly string[];
  catalog: Pick<CohortCatalog, 'assessment'>;
}

type Column = 'name' | 'email' | 'level' | 'target';

const HEADER_ALIASES: Record<string, Column> = {
  name: 'name',
  'full name': 'name',
  'display name': 'name',
  email: 'email',
  'e-mail': 'email',
  'email address': 'email',
  'e-mail address': 'email',
  level: 'level',
  target: 'target',
  assessment: 'target',
  'target assessment': 'target',
};

const LEVEL = /^[\p{L}\p{N}][\p{L}\p{N} _.-]{0,39}$/u;
const MAX_NAME = 100;

/** Name as a key: Unicode-normalised, trimmed, inner spaces collapsed, case-folded. */
export function nameKey(name: string): string {
  return name.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

/** Reads and checks a roster CSV; throws CohortImportError listing every bad row. */
export function readRoster(text: string, rules: RosterRules, source = 'the member list'): RosterRow[] {
  const { records, problems: syntax } = parseCsv(text);
  const byRow = new Map<number, string[]>();
  const add = (row: number, problem: string) => byRow.set(row, [...(byRow.get(row) ?? []), problem]);
  for (const p of syntax) add(p.row, p.message);

  const header = records[0];
  if (!header) throw new CohortImportError(source, [{ row: 1, problems: ['the file is empty; the first row must be a header such as "name,email,level,target"'] }]);
  const columns = new Map<Column, number>();
  header.fields.forEach((raw, index) => {
    const column = HEADER_ALIASES[raw.trim().toLowerCase()];
    if (!column) return; // other columns (department, notes) are allowed and ignored
    if (columns.has(column)) add(header.row, `column "${column}" appears twice`);
    else columns.set(column, index);
  });
  if (!columns.has('name') && !columns.has('email')) add(header.row, 'the header needs a "name" or an "email" column (or both)');
  if (!columns.has('level')) add(header.row, 'the header needs a "level" column');
  const defaultTarget = rules.targets.length === 1 ? rules.targets[0] : undefined;
  if (!columns.has('target') && !defaultTarget) add(header.row, `the header needs a "target" column: this cohort has several target assessments (${rules.targets.join(', ')})`);
  if (byRow.has(header.row)) throw new CohortImportError(source, toProblems(byRow));

  const cell = (fields: string[], column: Column) => {
    const index = columns.get(column);
    return index === undefined ? '' : (fields[index] ?? '').trim();
  };
  const rows: RosterRow[] = [];
  const firstByKey = new Map<string, number>();
  for (const record of records.slice(1)) {
    const { row, fields } = record;
    if (fields.length > header.fields.length && fields.slice(header.fields.length).some((f) => f.trim() !== '')) {
      add(row, `has ${fields.length} fields but the header has ${header.fields.length} (a comma inside a value needs quotes)`);
    }
    const name = cell(fields, 'name') || null;
    const emailCell = cell(fields, 'email');
    const levelCell = cell(fields, 'level');
    const target = cell(fields, 'target') || defaultTarget || '';

    if (!name && !emailCell) add(row, 'needs a name or an e-mail address');
    if (name && (name.length > MAX_NAME || /\p{Cc}/u.test(name))) add(row, `name must be at most ${MAX_NAME} characters without control characters`);
    if (emailCell && !looksLikeEmail(emailCell)) add(row, `e-mail "${emailCell}" is not an e-mail address`);
    const level = levelCell.replace(/\s+/g, ' ').toLowerCase();
    if (!level) add(row, 'level is empty');
    else if (!LEVEL.test(level)) add(row, `level "${levelCell}" must be 1-40 letters, digits, spaces, ".", "_" or "-"`);
    if (!target) add(row, 'target is empty');
    else if (!rules.targets.includes(target)) {
      add(
        row,
        rules.catalog.assessment(target)
          ? `target "${target}" is not one of this cohort's target assessments (${rules.targets.join(', ')})`
          : `target "${target}" is not an assessment in the catalog (this cohort's targets: ${rules.targets.join(', ')})`,
      );
    }
    const email = emailCell && looksLikeEmail(emailCell) ? normaliseEmail(emailCell) : null;
    const key = email ? `email:${email}` : name ? `name:${nameKey(name)}` : undefined;
    if (key) {
      const first = firstByKey.get(key);
      if (first !== undefined) add(row, `is the same person as row ${first} (${email ? 'same e-mail address' : 'same name and no e-mail address'})`);
      else firstByKey.set(key, row);
    }
    rows.push({ row, name, email, level, targetAssessmentId: target });
  }
  if (rows.length === 0 && byRow.size === 0) add(header.row, 'the file has a header but no members');
  if (byRow.size > 0) throw new CohortImportError(source, toProblems(byRow));
  return rows;
}

function toProblems(byRow: Map<number, string[]>): RowProblem[] {
  return [...byRow.entries()].sort(([a], [b]) => a - b).map(([row, problems]) => ({ row, problems }));
}
