/**
 * Bedrock actions no agentic task needs and a candidate must not reach: model access is on-demand
 * inference of the sandbox's enabled models; nothing that reserves capacity, trains, imports, copies
 * or batches models, deploys custom or marketplace models, runs evaluations, enforces guardrails
 * account-wide, or accepts model terms for the account.
 */
export const BEDROCK_COST_CONTROLS = [
  'bedrock:CreateProvisionedModelThroughput',
  'bedrock:UpdateProvisionedModelThroughput',
  'bedrock:CreateModelCustomizationJob',
  'bedrock:CreateModelImportJob',
  'bedrock:CreateModelCopyJob',
  'bedrock:CreateModelInvocationJob',
  'bedrock:CreateMarketplaceModelEndpoint',
  'bedrock:CreateCustomModel',
  'bedrock:CreateCustomModelDeployment',
  'bedrock:CreateEvaluationJob',
  'bedrock:PutEnforcedGuardrailConfiguration',
  'bedrock:CreateFoundationModelAgreement',
  'bedrock:PutUseCaseForModelAccess',
];
