/**
 * Placeholder for the grading worker's Lambda entry (helper "worker" writes the real one on its
 * branch). The service stack bundles this path; until the worker is integrated, a delivery fails
 * and the job is retried, then lands in the dead-letter queue, where the alarm reports it.
 */
export async function handler(): Promise<never> {
  throw new Error('worker not integrated: src/service/worker/lambda.ts is a placeholder');
}
