/**
 * The grading worker's environment (names in SERVICE_ENV, set by the service stack). One schema,
 * so the stack and the handler agree on what each variable holds.
 */
import { z } from 'zod';
import { SERVICE_ENV } from '../jobs';

const positive = (name: string) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, `${name} must be a number above 0`)
    .transform(Number)
    .refine((n) => n > 0, `${name} must be a number above 0`);

export const workerEnvSchema = z.object({
  [SERVICE_ENV.store]: z.string().regex(/^(dynamodb|sqlite):/, `${SERVICE_ENV.store} must be dynamodb:<table> or sqlite:<dir>`),
  [SERVICE_ENV.accountCallsPerSecond]: positive(SERVICE_ENV.accountCallsPerSecond).optional(),
  [SERVICE_ENV.gradingMaxReceives]: z
    .string()
    .regex(/^[1-9]\d*$/, `${SERVICE_ENV.gradingMaxReceives} must be a whole number above 0`)
    .transform(Number)
    .optional(),
});

export interface WorkerConfig {
  /** As `--store` takes it. */
  store: string;
  /** The single table the per-account token bucket lives in (a dynamodb: store's table). */
  rateTable?: string;
  accountCallsPerSecond?: number;
  maxReceiveCount?: number;
}

/** Reads the worker's configuration, naming the variable that is wrong. */
export function workerConfigFromEnv(env: NodeJS.ProcessEnv): WorkerConfig {
  const parsed = workerEnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`grading worker configuration: ${issue.path.join('.') ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
  }
  const store = parsed.data[SERVICE_ENV.store];
  const rate = parsed.data[SERVICE_ENV.accountCallsPerSecond];
  const table = store.startsWith('dynamodb:') ? store.slice('dynamodb:'.length) : undefined;
  if (rate !== undefined && !table) {
    throw new Error(
      `grading worker configuration: ${SERVICE_ENV.accountCallsPerSecond} needs a dynamodb: store (the per-account token bucket lives in its table); ${SERVICE_ENV.store} is ${store}`,
    );
  }
  const maxReceives = parsed.data[SERVICE_ENV.gradingMaxReceives];
  return { store, ...(table ? { rateTable: table } : {}), ...(rate !== undefined ? { accountCallsPerSecond: rate } : {}), ...(maxReceives !== undefined ? { maxReceiveCount: maxReceives } : {}) };
}
