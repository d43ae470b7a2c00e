/** A cohort command's input is wrong (a bad option, an unknown target, a bad schedule); nothing was changed. */
export class CohortInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CohortInputError';
  }
}

export interface RowProblem {
  /** 1-based spreadsheet row (the header is row 1). */
  row: number;
  problems: string[];
}

/** Rows of an import that cannot be used: every bad row is listed, and nothing was imported. */
export class CohortImportError extends CohortInputError {
  constructor(
    readonly source: string,
    readonly rows: RowProblem[],
  ) {
    super(
      [
        `${source}: ${rows.length === 1 ? '1 row' : `${rows.length} rows`} cannot be imported, so nothing was imported:`,
        ...rows.map((r) => `  row ${r.row}: ${r.problems.join('; ')}`),
        'Fix these rows (row 1 is the header) and import the file again.',
      ].join('\n'),
    );
    this.name = 'CohortImportError';
  }
}
