/** The closing ceremony's list as CSV, for the organiser's spreadsheet (vouchers, certificates). */
import { toCsv } from './csv';
import type { CeremonyEntry } from './views';

export const CEREMONY_COLUMNS = ['name', 'candidate_id', 'group', 'target', 'completed', 'credential_ids', 'voucher', 'voucher_reason'] as const;

/**
 * One row per member, in the order given (by the name shown, never by result). RFC 4180 with CRLF;
 * any cell a spreadsheet would run as a formula (a display name such as `=HYPERLINK(…)`) is
 * prefixed with `'`. `bom` starts the file with a UTF-8 byte-order mark, without which Excel reads
 * accented names (Zoë) wrong: the portal's download has it, the CLI's output does not.
 */
export function ceremonyCsv(entries: readonly CeremonyEntry[], options: { bom?: boolean } = {}): string {
  return (options.bom ? '\ufeff' : '') + toCsv([
    [...CEREMONY_COLUMNS],
    ...entries.map((e) => [e.shownAs, e.candidateId, e.groupName, e.targetAssessmentId, e.completed ? 'yes' : 'no', e.credentialIds.join(' '), e.voucherEligible ? 'yes' : 'no', e.voucherReason]),
  ]);
}
