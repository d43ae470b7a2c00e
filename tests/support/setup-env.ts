// Node 20 is this project's platform and the SDK version is locked; silence the SDK's notice.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
// CDK runs its built-in CloudFormation validation on every synthesis: loading its rules costs
// seconds per test file and tenths of a second per stack, and without the
// @aws-cdk/core:validateAgainstDefaultRules flag its findings are warnings no test reads.
// tests/cdk/cfn-validation.test.ts runs it once, strictly, on the stacks SkillProof deploys.
process.env.CDK_VALIDATION = 'false';
