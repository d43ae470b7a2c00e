import { loadCatalog } from '../../src/catalog/load';
import { ACCOUNT, buildSandbox, REGION } from '../cdk/build-sandbox';
import { SandboxIam } from '../cdk/sandbox-iam';

/**
 * The grader role of an agentic-rag-guardrail sandbox, evaluated offline: ApplyGuardrail must work on a
 * Classic-tier guardrail (authorised on the guardrail) and on a Standard-tier one, which uses cross-Region
 * inference and is authorised on its guardrail profile in the source and every destination Region too.
 */
describe('agentic-rag-guardrail sandbox: the grader role', () => {
  let iam: SandboxIam;
  beforeAll(() => {
    iam = new SandboxIam(buildSandbox([loadCatalog().get('agentic-rag-guardrail').task]).resolved);
  });

  const decide = (action: string, resource: string) => iam.decide(iam.grader, action, resource);

  it('may apply a guardrail of the sandbox account in its region', async () => {
    expect(await decide('bedrock:ApplyGuardrail', `arn:aws:bedrock:${REGION}:${ACCOUNT}:guardrail/gr4policy01x`)).toBe('Allowed');
  });

  it.each([REGION, 'eu-west-3', 'eu-central-1'])('may apply a guardrail through its cross-Region guardrail profile in %s', async (region) => {
    expect(await decide('bedrock:ApplyGuardrail', `arn:aws:bedrock:${region}:${ACCOUNT}:guardrail-profile/eu.guardrail.v1:0`)).toBe('Allowed');
  });

  it('may not apply another account\'s guardrail or profile, nor change a guardrail', async () => {
    expect(await decide('bedrock:ApplyGuardrail', `arn:aws:bedrock:${REGION}:999988887777:guardrail/gr4policy01x`)).toBe('ImplicitlyDenied');
    expect(await decide('bedrock:ApplyGuardrail', `arn:aws:bedrock:${REGION}:999988887777:guardrail-profile/eu.guardrail.v1:0`)).toBe('ImplicitlyDenied');
    expect(await decide('bedrock:UpdateGuardrail', `arn:aws:bedrock:${REGION}:${ACCOUNT}:guardrail/gr4policy01x`)).toBe('ImplicitlyDenied');
  });
});
