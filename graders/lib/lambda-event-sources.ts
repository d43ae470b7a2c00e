import { ListEventSourceMappingsCommand, LambdaClient, type EventSourceMappingConfiguration } from '@aws-sdk/client-lambda';
import type { CheckContext } from '../../src/model/grader';
import { allPages } from './aws-calls';

/**
 * How Lambda reports an event source mapping's State, grouped for grading: `active` mappings poll
 * their source (Updating keeps polling while a change is applied), `settling` ones will shortly,
 * `inactive` ones do not (Disabled, Disabling, Deleting).
 */
export type MappingPhase = 'active' | 'settling' | 'inactive';

const PHASE: Record<string, MappingPhase> = { Enabled: 'active', Updating: 'active', Creating: 'settling', Enabling: 'settling' };

export function mappingPhase(mapping: EventSourceMappingConfiguration): MappingPhase {
  return PHASE[mapping.State ?? ''] ?? 'inactive';
}

function listMappings(ctx: CheckContext, EventSourceArn: string): Promise<EventSourceMappingConfiguration[]> {
  const lambda = ctx.client(LambdaClient);
  return allPages((Marker) => lambda.send(new ListEventSourceMappingsCommand({ EventSourceArn, MaxItems: 100, ...(Marker ? { Marker } : {}) })), (p) => p.EventSourceMappings, (p) => p.NextMarker);
}

export interface SourceMappings {
  mappings: EventSourceMappingConfiguration[];
  /** True when some mapping was still Creating or Enabling at the deadline: its outcome is unknown. */
  unsettled: boolean;
}

/**
 * Every event source mapping that reads from `eventSourceArn` (an SQS queue, a stream…), once none
 * is still being created or enabled: a mapping made a moment before grading is waited for (up to
 * `settleMs`) rather than judged half-made. Shared by all checks of a run.
 */
export function sourceMappings(ctx: CheckContext, eventSourceArn: string, settleMs = 60_000): Promise<SourceMappings> {
  return ctx.memo(`event-source-mappings:${eventSourceArn}`, async () => {
    const first = await listMappings(ctx, eventSourceArn);
    if (!first.some((m) => mappingPhase(m) === 'settling')) return { mappings: first, unsettled: false };
    let last = first;
    const settled = await ctx.waitFor(
      `event source mappings of ${eventSourceArn} to finish being created`,
      async () => {
        last = await listMappings(ctx, eventSourceArn);
        return last.some((m) => mappingPhase(m) === 'settling') ? undefined : last;
      },
      { timeoutMs: settleMs, intervalMs: 2_000 },
    );
    return settled ? { mappings: settled, unsettled: false } : { mappings: last, unsettled: true };
  });
}

/** True when the mapping lets the function report individual failed records (partial batch responses). */
export function reportsBatchItemFailures(mapping: EventSourceMappingConfiguration): boolean {
  return (mapping.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures');
}

/** The mapping's filter patterns: records that match none of them are dropped (for SQS: deleted) without invoking the function. */
export function filterPatterns(mapping: EventSourceMappingConfiguration): string[] {
  return (mapping.FilterCriteria?.Filters ?? []).map((f) => f.Pattern ?? '').filter((p) => p !== '');
}

/** A one-line summary of a mapping for assessors and candidates. */
export function describeMapping(mapping: EventSourceMappingConfiguration): { uuid: string; state: string; functionArn: string; batchSize?: number; batchingWindowSeconds?: number; responseTypes: string[] } {
  return {
    uuid: mapping.UUID ?? '?',
    state: mapping.State ?? 'unknown',
    functionArn: mapping.FunctionArn ?? '?',
    ...(mapping.BatchSize !== undefined ? { batchSize: mapping.BatchSize } : {}),
    ...(mapping.MaximumBatchingWindowInSeconds !== undefined ? { batchingWindowSeconds: mapping.MaximumBatchingWindowInSeconds } : {}),
    responseTypes: mapping.FunctionResponseTypes ?? [],
  };
}
