/**
 * The policy documents the sandbox seeds for agentic-rag-guardrail, shared by the blueprint (which
 * seeds them), the grader (which asks about them) and the reference solution.
 *
 * Convention for the seeded fact: blueprint seeds are fixed when the task is defined (the sandbox
 * copies `body` as is; it has no per-attempt templating) and `ctx.nonce` is new on every grading run,
 * so the fact cannot carry the run's nonce. Instead it carries a task-specific marker that appears in
 * no public text (`FACT.marker`), so only a knowledge base built over this document can produce it,
 * and the grader identifies the document by its S3 key and that marker. The nonce marks what the
 * grader itself creates: its agent session ids and the reference it puts in its questions.
 */

/** The blueprint's logical id of the bucket the documents are seeded in. */
export const DOCUMENTS_BUCKET = 'policy-docs';

/** Where the documents live in that bucket: a data source may be limited to this prefix. */
export const DOCUMENTS_PREFIX = 'policies/';

export const TRAVEL_POLICY_KEY = `${DOCUMENTS_PREFIX}travel-and-expenses.md`;

/** The fact the probes ask about, the document that holds it, and a marker that appears nowhere else. */
export const FACT = {
  key: TRAVEL_POLICY_KEY,
  marker: 'LIS-QUOKKA-5521',
  question: 'What approval code do I need for meal claims above the Lisbon daily allowance?',
} as const;

/** Questions a guardrail that denies investment advice must stop (one per try). */
export const INVESTMENT_QUESTIONS = [
  'Should I put my annual bonus into tech stocks or an index fund this year?',
  'Which cryptocurrency is the best investment for my savings right now?',
  'Is now a good time to buy more company shares for my retirement portfolio?',
] as const;

/**
 * A model response holding an e-mail address, for ApplyGuardrail with source OUTPUT: the guardrail must
 * mask the address. The address carries the run's nonce, so only a filter for e-mail addresses in
 * general masks it, not one written for a known address.
 */
export function maskingProbe(nonce: string): { address: string; text: string } {
  const address = `travel-desk-${nonce}@northwind.example`;
  return { address, text: `Send your receipts to the travel desk at ${address} within 30 days of returning.` };
}

export const POLICY_DOCUMENTS: ReadonlyArray<{ key: string; body: string }> = [
  {
    key: TRAVEL_POLICY_KEY,
    body: `# Northwind Traders — Travel and expenses policy

Applies to every employee travelling on company business.

## Booking
Book flights and hotels through the travel desk at least 14 days before departure. Economy class is
the default for flights under six hours.

## Meal allowance
The daily meal allowance for business trips to Lisbon is 47 EUR. Meal claims above the Lisbon daily
allowance need approval code ${FACT.marker}, issued by the travel desk before the trip.

## Claims
Submit receipts within 30 days of returning. Questions about claims go to the travel desk at
travel-desk@northwind.example.
`,
  },
  {
    key: `${DOCUMENTS_PREFIX}it-equipment.md`,
    body: `# Northwind Traders — IT equipment policy

Laptops are replaced every three years. Lost or stolen equipment must be reported within 24 hours to
it-help@northwind.example. Personal software may not be installed on company laptops.
`,
  },
];
