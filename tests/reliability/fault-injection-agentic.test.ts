import { describeFaultInjection } from './support/fault-injection';

// Invariant 1 (no false FAIL) over the Agentic AI track's passing fixtures; see support/fault-injection.ts.
describeFaultInjection('fault injection over every passing Agentic AI fixture', (fx) => fx.entry.task.track === 'aws-agentic-ai');
