/**
 * Cohorts: learning groups with visible progress, a fixed cadence, badges, and no leaderboard.
 * The store (src/store/cohort-types.ts) keeps the records; this folder decides placement, reads
 * member lists, keeps the schedule, computes the views the portal renders, and starts attempts in bulk.
 */
export * from './views';
export * from './errors';
export { cohortCatalog, type CohortCatalog } from './catalog';
export { parseCsv, toCsv, neutraliseFormula, type CsvRecord, type ParsedCsv } from './csv';
export { readRoster, nameKey, type RosterRow, type RosterRules } from './roster';
export { planPlacement, balancedSizes, type Arrival, type Placement, type PlacementInput } from './placement';
export { importMembers, nameCandidateId, groupName, type ImportDeps, type ImportOptions, type ImportOutcome } from './import';
export { addMonths, defaultMilestones, milestoneApplies, milestoneProblems, parseCadence, parseInstant } from './schedule';
export { createCohort, changeSchedule, describeVoucherRule, parseGroupSize, parseVoucherRule, slugify, type CreateCohortInput, type ScheduleChange } from './setup';
export { createCohortViews, portalCohorts, StoreCohortViews, voucherDecision, byShownAs, shownAs, type CohortViewDeps } from './progress';
export { ceremonyCsv, CEREMONY_COLUMNS } from './ceremony';
export { bulkStart, bulkRunId, type BulkStartDeps, type BulkStartSummary, type BulkProgress, type BulkOutcome } from './bulk-start';
