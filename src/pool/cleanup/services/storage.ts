import {
  DeletePullThroughCacheRuleCommand,
  DeleteRepositoryCommand,
  DescribePullThroughCacheRulesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
} from '@aws-sdk/client-ecr';
import {
  BatchGetCollectionCommand,
  DeleteAccessPolicyCommand,
  DeleteCollectionCommand,
  DeleteLifecyclePolicyCommand,
  DeleteSecurityConfigCommand,
  DeleteSecurityPolicyCommand,
  ListAccessPoliciesCommand,
  ListCollectionsCommand,
  ListLifecyclePoliciesCommand,
  ListSecurityConfigsCommand,
  ListSecurityPoliciesCommand,
  OpenSearchServerlessClient,
  UpdateCollectionCommand,
  type SecurityConfigType,
  type SecurityPolicyType,
} from '@aws-sdk/client-opensearchserverless';
import {
  AbortMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteBucketPolicyCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  S3Client,
  type ObjectIdentifier,
} from '@aws-sdk/client-s3';
import { DeleteIndexCommand, DeleteVectorBucketCommand, ListIndexesCommand, ListVectorBucketsCommand, S3VectorsClient } from '@aws-sdk/client-s3vectors';
import { allPages } from '../aws-call';
import type { PhaseContext } from '../context';

/** DeleteObjects takes at most 1,000 keys. */
const DELETE_BATCH = 1000;

/**
 * S3 general-purpose buckets (listed once, account-wide, each cleaned in its own region): the bucket policy
 * first (a candidate's policy may deny deletion), every object version and delete marker (governance-mode
 * retention bypassed), unfinished multipart uploads, then the bucket. Versions under compliance-mode
 * retention or a legal hold cannot be deleted: the bucket stays, recorded with the reason.
 */
export async function cleanBuckets(ctx: PhaseContext): Promise<void> {
  const s3 = ctx.client(S3Client);
  const buckets = await allPages(async (token) => {
    const out = await ctx.call(() => s3.send(new ListBucketsCommand({ ContinuationToken: token, MaxBuckets: 1000 })));
    return { items: out.Buckets, next: out.ContinuationToken };
  });
  for (const bucket of buckets) {
    const name = bucket.Name;
    if (!name || ctx.isSkillProofs('AWS::S3::Bucket', name)) continue;
    const arn = ctx.globalArn('s3', name, '');
    let region = bucket.BucketRegion;
    if (!region) {
      const location = await ctx.call(() => s3.send(new GetBucketLocationCommand({ Bucket: name })));
      // GetBucketLocation reports us-east-1 as no constraint, and eu-west-1 once as "EU".
      region = !location.LocationConstraint ? 'us-east-1' : location.LocationConstraint === 'EU' ? 'eu-west-1' : location.LocationConstraint;
    }
    const regional = ctx.clientIn(S3Client, region);
    if (!(await ctx.prepare(arn, 'DeleteBucketPolicy', () => regional.send(new DeleteBucketPolicyCommand({ Bucket: name }))))) continue;
    if (!(await emptyBucket(ctx, regional, name, arn))) continue;
    await ctx.remove(arn, () => regional.send(new DeleteBucketCommand({ Bucket: name })), { retryCodes: ['BucketNotEmpty'] });
  }
}

async function emptyBucket(ctx: PhaseContext, s3: S3Client, bucket: string, arn: string): Promise<boolean> {
  const uploads = await allPages(async (token) => {
    const [keyMarker, uploadIdMarker] = token ? (JSON.parse(token) as [string, string]) : [];
    const out = await ctx.call(() => s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker })));
    return { items: out.Uploads, next: out.IsTruncated ? JSON.stringify([out.NextKeyMarker, out.NextUploadIdMarker]) : undefined };
  });
  for (const upload of uploads) {
    if (!upload.Key || !upload.UploadId) continue;
    if (!(await ctx.prepare(arn, `AbortMultipartUpload ${upload.Key}`, () => s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }))))) return false;
  }
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  for (;;) {
    const out = await ctx.call(() => s3.send(new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker, MaxKeys: DELETE_BATCH })));
    const objects: ObjectIdentifier[] = [...(out.Versions ?? []), ...(out.DeleteMarkers ?? [])]
      .filter((v) => v.Key !== undefined)
      .map((v) => ({ Key: v.Key, ...(v.VersionId ? { VersionId: v.VersionId } : {}) }));
    for (let i = 0; i < objects.length; i += DELETE_BATCH) {
      const batch = objects.slice(i, i + DELETE_BATCH);
      const result = await ctx.call(() => s3.send(new DeleteObjectsCommand({ Bucket: bucket, BypassGovernanceRetention: true, Delete: { Objects: batch, Quiet: true } })));
      const errors = result.Errors ?? [];
      if (errors.length > 0) {
        const sample = errors.slice(0, 3).map((e) => `${e.Key}${e.VersionId ? ` (version ${e.VersionId})` : ''}: ${e.Code} ${e.Message ?? ''}`.trim());
        const locked = errors.some((e) => e.Code === 'AccessDenied');
        ctx.fail(arn, `${errors.length} object versions could not be deleted${locked ? ' (Object Lock compliance-mode retention or a legal hold keeps them)' : ''}: ${sample.join('; ')}`);
        return false;
      }
    }
    if (!out.IsTruncated) return true;
    keyMarker = out.NextKeyMarker;
    versionIdMarker = out.NextVersionIdMarker;
  }
}

/** S3 Vectors: each vector bucket's indexes, then the bucket (its policy goes with it). */
export async function cleanVectorBuckets(ctx: PhaseContext): Promise<void> {
  const vectors = ctx.client(S3VectorsClient);
  const buckets = await allPages(async (token) => {
    const out = await ctx.call(() => vectors.send(new ListVectorBucketsCommand({ nextToken: token, maxResults: 500 })));
    return { items: out.vectorBuckets, next: out.nextToken };
  });
  for (const bucket of buckets) {
    const vectorBucketName = bucket.vectorBucketName;
    if (!vectorBucketName || ctx.isSkillProofs('AWS::S3Vectors::VectorBucket', bucket.vectorBucketArn ?? vectorBucketName)) continue;
    const indexes = await allPages(async (token) => {
      const out = await ctx.call(() => vectors.send(new ListIndexesCommand({ vectorBucketName, nextToken: token, maxResults: 500 })));
      return { items: out.indexes, next: out.nextToken };
    });
    for (const index of indexes) {
      if (!index.indexName) continue;
      await ctx.remove(index.indexArn ?? ctx.arn('s3vectors', `bucket/${vectorBucketName}/index/${index.indexName}`), () => vectors.send(new DeleteIndexCommand({ vectorBucketName, indexName: index.indexName })));
    }
    await ctx.remove(bucket.vectorBucketArn ?? ctx.arn('s3vectors', `bucket/${vectorBucketName}`), () => vectors.send(new DeleteVectorBucketCommand({ vectorBucketName })), { retryCodes: ['ConflictException'] });
  }
}

const SECURITY_POLICY_TYPES: SecurityPolicyType[] = ['encryption', 'network'];
const SECURITY_CONFIG_TYPES: SecurityConfigType[] = ['saml', 'iamidentitycenter', 'iamfederation'];

/**
 * OpenSearch Serverless: collections (deletion protection off first; deletion is asynchronous and waited
 * for, since an encryption policy in use cannot be deleted), then data access, lifecycle, encryption and
 * network policies, and security configurations.
 */
export async function cleanOpenSearchServerless(ctx: PhaseContext): Promise<void> {
  const aoss = ctx.client(OpenSearchServerlessClient);
  const collections = await allPages(async (token) => {
    const out = await ctx.call(() => aoss.send(new ListCollectionsCommand({ nextToken: token, maxResults: 100 })));
    return { items: out.collectionSummaries, next: out.nextToken };
  });
  for (const collection of collections) {
    const id = collection.id;
    if (!id || ctx.isSkillProofs('AWS::OpenSearchServerless::Collection', id)) continue;
    const arn = collection.arn ?? ctx.arn('aoss', `collection/${id}`);
    await ctx.remove(
      arn,
      async () => {
        const details = await ctx.call(() => aoss.send(new BatchGetCollectionCommand({ ids: [id] })));
        if (details.collectionDetails?.[0]?.deletionProtection === 'ENABLED') {
          await ctx.call(() => aoss.send(new UpdateCollectionCommand({ id, deletionProtection: 'DISABLED' })));
        }
        return aoss.send(new DeleteCollectionCommand({ id }));
      },
      {
        retryCodes: ['ConflictException'],
        gone: async () => {
          const out = await ctx.call(() => aoss.send(new BatchGetCollectionCommand({ ids: [id] })));
          return (out.collectionDetails ?? []).length === 0;
        },
      },
    );
  }
  const policyArn = (kind: string, name: string) => ctx.arn('aoss', `${kind}/${name}`);
  const access = await allPages(async (token) => {
    const out = await ctx.call(() => aoss.send(new ListAccessPoliciesCommand({ type: 'data', nextToken: token, maxResults: 100 })));
    return { items: out.accessPolicySummaries, next: out.nextToken };
  });
  for (const policy of access) {
    if (!policy.name || ctx.isSkillProofs('AWS::OpenSearchServerless::AccessPolicy', `${policy.name}|data`)) continue;
    await ctx.remove(policyArn('access-policy/data', policy.name), () => aoss.send(new DeleteAccessPolicyCommand({ type: 'data', name: policy.name })));
  }
  const lifecycle = await allPages(async (token) => {
    const out = await ctx.call(() => aoss.send(new ListLifecyclePoliciesCommand({ type: 'retention', nextToken: token, maxResults: 100 })));
    return { items: out.lifecyclePolicySummaries, next: out.nextToken };
  });
  for (const policy of lifecycle) {
    if (!policy.name || ctx.isSkillProofs('AWS::OpenSearchServerless::LifecyclePolicy', `${policy.name}|retention`)) continue;
    await ctx.remove(policyArn('lifecycle-policy/retention', policy.name), () => aoss.send(new DeleteLifecyclePolicyCommand({ type: 'retention', name: policy.name })));
  }
  for (const type of SECURITY_POLICY_TYPES) {
    const policies = await allPages(async (token) => {
      const out = await ctx.call(() => aoss.send(new ListSecurityPoliciesCommand({ type, nextToken: token, maxResults: 100 })));
      return { items: out.securityPolicySummaries, next: out.nextToken };
    });
    for (const policy of policies) {
      if (!policy.name || ctx.isSkillProofs('AWS::OpenSearchServerless::SecurityPolicy', `${type}|${policy.name}`)) continue;
      await ctx.remove(policyArn(`security-policy/${type}`, policy.name), () => aoss.send(new DeleteSecurityPolicyCommand({ type, name: policy.name })), { retryCodes: ['ConflictException'] });
    }
  }
  for (const type of SECURITY_CONFIG_TYPES) {
    const configs = await allPages(async (token) => {
      const out = await ctx.call(() => aoss.send(new ListSecurityConfigsCommand({ type, nextToken: token, maxResults: 100 })));
      return { items: out.securityConfigSummaries, next: out.nextToken };
    });
    for (const config of configs) {
      if (!config.id || ctx.isSkillProofs('AWS::OpenSearchServerless::SecurityConfig', config.id)) continue;
      await ctx.remove(policyArn('security-config', config.id), () => aoss.send(new DeleteSecurityConfigCommand({ id: config.id })));
    }
  }
}

/** ECR: repositories with their images (force), and pull-through cache rules. */
export async function cleanRepositories(ctx: PhaseContext): Promise<void> {
  const ecr = ctx.client(ECRClient);
  const repositories = await allPages(async (token) => {
    const out = await ctx.call(() => ecr.send(new DescribeRepositoriesCommand({ nextToken: token, maxResults: 1000 })));
    return { items: out.repositories, next: out.nextToken };
  });
  for (const repository of repositories) {
    const name = repository.repositoryName;
    if (!name || ctx.isSkillProofs('AWS::ECR::Repository', name)) continue;
    await ctx.remove(repository.repositoryArn ?? ctx.arn('ecr', `repository/${name}`), () => ecr.send(new DeleteRepositoryCommand({ repositoryName: name, force: true })));
  }
  const rules = await allPages(async (token) => {
    const out = await ctx.call(() => ecr.send(new DescribePullThroughCacheRulesCommand({ nextToken: token, maxResults: 1000 })));
    return { items: out.pullThroughCacheRules, next: out.nextToken };
  });
  for (const rule of rules) {
    const prefix = rule.ecrRepositoryPrefix;
    if (!prefix || ctx.isSkillProofs('AWS::ECR::PullThroughCacheRule', prefix)) continue;
    await ctx.remove(ctx.arn('ecr', `pull-through-cache-rule/${prefix}`), () => ecr.send(new DeletePullThroughCacheRuleCommand({ ecrRepositoryPrefix: prefix })));
  }
}
