import {
  DeleteAliasCommand,
  DeleteCodeSigningConfigCommand,
  DeleteEventSourceMappingCommand,
  DeleteFunctionCommand,
  DeleteFunctionUrlConfigCommand,
  DeleteLayerVersionCommand,
  DeleteProvisionedConcurrencyConfigCommand,
  GetEventSourceMappingCommand,
  LambdaClient,
  ListAliasesCommand,
  ListCodeSigningConfigsCommand,
  ListEventSourceMappingsCommand,
  ListFunctionsCommand,
  ListFunctionUrlConfigsCommand,
  ListLayersCommand,
  ListLayerVersionsCommand,
  ListProvisionedConcurrencyConfigsCommand,
} from '@aws-sdk/client-lambda';
import { allPages } from '../aws-call';
import type { PhaseContext } from '../context';

const functionName = (arn: string) => arn.split(':')[6] ?? arn;

/** Event source mappings first: they feed functions from queues and streams, and hold both. */
export async function cleanEventSourceMappings(ctx: PhaseContext): Promise<void> {
  const lambda = ctx.client(LambdaClient);
  const mappings = await allPages(async (token) => {
    const out = await ctx.call(() => lambda.send(new ListEventSourceMappingsCommand({ Marker: token })));
    return { items: out.EventSourceMappings, next: out.NextMarker };
  });
  for (const mapping of mappings) {
    const uuid = mapping.UUID;
    if (!uuid) continue;
    if (mapping.FunctionArn && ctx.isSkillProofs('AWS::Lambda::Function', functionName(mapping.FunctionArn))) continue;
    const arn = mapping.EventSourceMappingArn ?? ctx.arn('lambda', `event-source-mapping:${uuid}`);
    // Deletion is asynchronous (State "Deleting"); the mapping is gone when GetEventSourceMapping says so.
    await ctx.remove(arn, () => lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid })), {
      retryCodes: ['ResourceInUseException'],
      gone: () => ctx.notFound(() => lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))),
    });
  }
}

/**
 * Functions with what hangs off them: URL configs, provisioned concurrency and aliases explicitly, then
 * DeleteFunction, which removes every version, permission and invoke configuration with the function.
 * Then layers, and code-signing configurations once no function uses them.
 */
export async function cleanFunctions(ctx: PhaseContext): Promise<void> {
  const lambda = ctx.client(LambdaClient);
  const functions = await allPages(async (token) => {
    const out = await ctx.call(() => lambda.send(new ListFunctionsCommand({ Marker: token })));
    return { items: out.Functions, next: out.NextMarker };
  });
  for (const fn of functions) {
    const name = fn.FunctionName;
    if (!name || ctx.isSkillProofs('AWS::Lambda::Function', name)) continue;
    const fnArn = fn.FunctionArn ?? ctx.arn('lambda', `function:${name}`);
    const urls = await allPages(async (token) => {
      const out = await ctx.call(() => lambda.send(new ListFunctionUrlConfigsCommand({ FunctionName: name, Marker: token })));
      return { items: out.FunctionUrlConfigs, next: out.NextMarker };
    });
    for (const url of urls) {
      const qualifier = url.FunctionArn?.split(':')[7];
      await ctx.prepare(fnArn, 'DeleteFunctionUrlConfig', () => lambda.send(new DeleteFunctionUrlConfigCommand({ FunctionName: name, ...(qualifier ? { Qualifier: qualifier } : {}) })));
    }
    const provisioned = await allPages(async (token) => {
      const out = await ctx.call(() => lambda.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: name, Marker: token })));
      return { items: out.ProvisionedConcurrencyConfigs, next: out.NextMarker };
    });
    for (const config of provisioned) {
      const qualifier = config.FunctionArn?.split(':')[7];
      if (!qualifier) continue;
      await ctx.prepare(fnArn, 'DeleteProvisionedConcurrencyConfig', () => lambda.send(new DeleteProvisionedConcurrencyConfigCommand({ FunctionName: name, Qualifier: qualifier })));
    }
    const aliases = await allPages(async (token) => {
      const out = await ctx.call(() => lambda.send(new ListAliasesCommand({ FunctionName: name, Marker: token })));
      return { items: out.Aliases, next: out.NextMarker };
    });
    for (const alias of aliases) {
      if (!alias.Name) continue;
      await ctx.remove(alias.AliasArn ?? `${fnArn}:${alias.Name}`, () => lambda.send(new DeleteAliasCommand({ FunctionName: name, Name: alias.Name })));
    }
    await ctx.remove(fnArn, () => lambda.send(new DeleteFunctionCommand({ FunctionName: name })), { retryCodes: ['ResourceConflictException'] });
  }

  const layers = await allPages(async (token) => {
    const out = await ctx.call(() => lambda.send(new ListLayersCommand({ Marker: token })));
    return { items: out.Layers, next: out.NextMarker };
  });
  for (const layer of layers) {
    if (!layer.LayerName) continue;
    const versions = await allPages(async (token) => {
      const out = await ctx.call(() => lambda.send(new ListLayerVersionsCommand({ LayerName: layer.LayerName, Marker: token })));
      return { items: out.LayerVersions, next: out.NextMarker };
    });
    for (const version of versions) {
      if (version.Version === undefined) continue;
      const arn = version.LayerVersionArn ?? ctx.arn('lambda', `layer:${layer.LayerName}:${version.Version}`);
      if (ctx.isSkillProofs('AWS::Lambda::LayerVersion', arn)) continue;
      await ctx.remove(arn, () => lambda.send(new DeleteLayerVersionCommand({ LayerName: layer.LayerName, VersionNumber: version.Version })));
    }
  }

  const signing = await allPages(async (token) => {
    const out = await ctx.call(() => lambda.send(new ListCodeSigningConfigsCommand({ Marker: token })));
    return { items: out.CodeSigningConfigs, next: out.NextMarker };
  });
  for (const config of signing) {
    if (!config.CodeSigningConfigArn || ctx.isSkillProofs('AWS::Lambda::CodeSigningConfig', config.CodeSigningConfigArn)) continue;
    await ctx.remove(config.CodeSigningConfigArn, () => lambda.send(new DeleteCodeSigningConfigCommand({ CodeSigningConfigArn: config.CodeSigningConfigArn })));
  }
}
