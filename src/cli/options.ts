import { Option } from 'commander';
import type { ReportFormat } from '../report/format';
import type { Report } from '../model/report';
import { EXIT } from './io';

export const formatOption = () => new Option('--format <format>', 'report format').choices(['table', 'json', 'junit']).default('table');

export function exitCodeFor(report: Pick<Report, 'status'>): number {
  return report.status === 'passed' ? EXIT.passed : report.status === 'failed' ? EXIT.failed : EXIT.incomplete;
}

export type { ReportFormat };
