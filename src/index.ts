/** The plugin API for assessment authors: tasks, graders and their verdicts. */
export { defineAssessment, type AssessmentDefinition, type AssessmentInput } from './model/assessment';
export { defineTask, TRACKS, type TaskDefinition, type TaskInput, type Track, type Blueprint, type SeedResource } from './model/task';
export {
  defineGrader,
  pass,
  fail,
  error,
  type CheckContext,
  type CheckDefinition,
  type GraderDefinition,
  type Verdict,
  type Outcome,
  type Visibility,
} from './model/grader';
export type { Report, CheckResult, Status } from './model/report';
export type { HttpRequest, HttpResponse } from './aws/http';
export { isNotFound } from './aws/errors';
