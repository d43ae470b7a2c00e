import { Aws, CustomResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3vectors from 'aws-cdk-lib/aws-s3vectors';
import { Construct } from 'constructs';
import { DOCUMENTS_PREFIX, POLICY_DOCUMENTS } from '../seed-documents';

export interface RagGuardrailSolutionProps {
  /**
   * The sandbox's seeded bucket (its outputs: Seeds → buckets → policy-docs). Without it, e.g. in an
   * author's own account, the construct creates a bucket and writes the same documents itself.
   */
  readonly documentsBucketName?: string;
  /** On-demand models: the agent's foundation model and the knowledge base's embedding model. */
  readonly foundationModel?: string;
  readonly embeddingModel?: string;
}

/**
 * Writes the policy documents (when the construct owns the bucket) and runs the first sync of the data
 * source, waiting for it to finish: CloudFormation has no resource for either. Inline, so the stack
 * stays asset-free; the Lambda runtime's bundled AWS SDK v3 provides the clients.
 */
const HELPER_SOURCE = `
const https = require('https');
const { S3Client, PutObjectCommand, DeleteObjectCommand } = require('@aws-sdk/client-s3');
const { BedrockAgentClient, StartIngestionJobCommand, GetIngestionJobCommand } = require('@aws-sdk/client-bedrock-agent');
const s3 = new S3Client({});
const kb = new BedrockAgentClient({});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function apply(type, p) {
  if (p.Kind === 'document') {
    if (type === 'Delete') return s3.send(new DeleteObjectCommand({ Bucket: p.Bucket, Key: p.Key }));
    return s3.send(new PutObjectCommand({ Bucket: p.Bucket, Key: p.Key, Body: p.Body, ContentType: 'text/markdown' }));
  }
  if (p.Kind === 'ingestion' && type !== 'Delete') {
    const ids = { knowledgeBaseId: p.KnowledgeBaseId, dataSourceId: p.DataSourceId };
    let job = (await kb.send(new StartIngestionJobCommand(ids))).ingestionJob;
    while (['STARTING', 'IN_PROGRESS'].includes(job.status)) {
      await sleep(10000);
      job = (await kb.send(new GetIngestionJobCommand({ ...ids, ingestionJobId: job.ingestionJobId }))).ingestionJob;
    }
    const failed = (job.statistics && job.statistics.numberOfDocumentsFailed) || 0;
    if (job.status !== 'COMPLETE' || failed > 0) throw new Error('sync ' + job.status + ', ' + failed + ' failed: ' + (job.failureReasons || []).join('; '));
  }
}

function respond(event, status, reason) {
  const body = JSON.stringify({ Status: status, Reason: reason, PhysicalResourceId: event.PhysicalResourceId || event.LogicalResourceId,
    StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId });
  return new Promise((resolve, reject) => {
    const req = https.request(event.ResponseURL, { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) } },
      (res) => { res.resume(); res.on('end', resolve); });
    req.on('error', reject);
    req.end(body);
  });
}

exports.handler = async (event) => {
  try {
    await apply(event.RequestType, event.ResourceProperties);
    await respond(event, 'SUCCESS', 'done');
  } catch (e) {
    console.error(e);
    await respond(event, event.RequestType === 'Delete' ? 'SUCCESS' : 'FAILED', String((e && e.message) || e).slice(0, 400));
  }
};
`;

/**
 * The reference solution of agentic-rag-guardrail: an S3 Vectors knowledge base over the policy
 * documents, synced; a guardrail denying investment advice and anonymising e-mail addresses, published
 * as a version; and agent policy-assistant using both, published under alias live.
 */
export class RagGuardrailSolution extends Construct {
  readonly knowledgeBase: bedrock.CfnKnowledgeBase;
  readonly dataSource: bedrock.CfnDataSource;
  readonly guardrail: bedrock.CfnGuardrail;
  readonly guardrailVersion: bedrock.CfnGuardrailVersion;
  readonly agent: bedrock.CfnAgent;
  readonly alias: bedrock.CfnAgentAlias;

  constructor(scope: Construct, id: string, props: RagGuardrailSolutionProps = {}) {
    super(scope, id);
    const foundationModel = props.foundationModel ?? 'amazon.nova-lite-v1:0';
    const embeddingModelArn = `arn:${Aws.PARTITION}:bedrock:${Aws.REGION}::foundation-model/${props.embeddingModel ?? 'amazon.titan-embed-text-v2:0'}`;

    const helper = new lambda.Function(this, 'Helper', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      timeout: Duration.minutes(15),
      code: lambda.Code.fromInline(HELPER_SOURCE),
    });

    let bucket: s3.IBucket;
    const documents: CustomResource[] = [];
    if (props.documentsBucketName) {
      bucket = s3.Bucket.fromBucketName(this, 'Documents', props.documentsBucketName);
    } else {
      bucket = new s3.Bucket(this, 'Documents', { blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL, enforceSSL: true, removalPolicy: RemovalPolicy.DESTROY });
      bucket.grantWrite(helper, `${DOCUMENTS_PREFIX}*`);
      bucket.grantDelete(helper, `${DOCUMENTS_PREFIX}*`);
      POLICY_DOCUMENTS.forEach((doc, i) => {
        documents.push(new CustomResource(this, `Document${i}`, { serviceToken: helper.functionArn, properties: { Kind: 'document', Bucket: bucket.bucketName, Key: doc.key, Body: doc.body } }));
      });
    }

    const vectors = new s3vectors.CfnVectorBucket(this, 'Vectors', {});
    const index = new s3vectors.CfnIndex(this, 'Index', {
      vectorBucketArn: vectors.attrVectorBucketArn,
      dataType: 'float32',
      dimension: 1024,
      distanceMetric: 'cosine',
      // Bedrock stores each chunk's text as metadata; it exceeds the filterable-metadata size limit.
      metadataConfiguration: { nonFilterableMetadataKeys: ['AMAZON_BEDROCK_TEXT', 'AMAZON_BEDROCK_METADATA'] },
    });

    const kbRole = new iam.Role(this, 'KnowledgeBaseRole', { assumedBy: new iam.ServicePrincipal('bedrock.amazonaws.com') });
    kbRole.addToPolicy(new iam.PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: [embeddingModelArn] }));
    kbRole.addToPolicy(new iam.PolicyStatement({ actions: ['s3vectors:PutVectors', 's3vectors:GetVectors', 's3vectors:DeleteVectors', 's3vectors:QueryVectors', 's3vectors:GetIndex'], resources: [index.attrIndexArn] }));
    bucket.grantRead(kbRole, `${DOCUMENTS_PREFIX}*`);

    this.knowledgeBase = new bedrock.CfnKnowledgeBase(this, 'KnowledgeBase', {
      name: 'policy-kb',
      description: 'Northwind policy documents: travel and expenses, IT equipment.',
      roleArn: kbRole.roleArn,
      knowledgeBaseConfiguration: { type: 'VECTOR', vectorKnowledgeBaseConfiguration: { embeddingModelArn } },
      storageConfiguration: { type: 'S3_VECTORS', s3VectorsConfiguration: { indexArn: index.attrIndexArn } },
    });
    this.knowledgeBase.node.addDependency(kbRole);

    this.dataSource = new bedrock.CfnDataSource(this, 'DataSource', {
      knowledgeBaseId: this.knowledgeBase.attrKnowledgeBaseId,
      name: 'policy-documents',
      dataSourceConfiguration: { type: 'S3', s3Configuration: { bucketArn: bucket.bucketArn, inclusionPrefixes: [DOCUMENTS_PREFIX] } },
    });

    helper.addToRolePolicy(new iam.PolicyStatement({ actions: ['bedrock:StartIngestionJob', 'bedrock:GetIngestionJob'], resources: [this.knowledgeBase.attrKnowledgeBaseArn] }));
    const sync = new CustomResource(this, 'FirstSync', {
      serviceToken: helper.functionArn,
      properties: { Kind: 'ingestion', KnowledgeBaseId: this.knowledgeBase.attrKnowledgeBaseId, DataSourceId: this.dataSource.attrDataSourceId },
    });
    sync.node.addDependency(...documents, helper.role!);

    this.guardrail = new bedrock.CfnGuardrail(this, 'Guardrail', {
      name: 'policy-guardrail',
      description: 'Keeps the policy assistant to policy questions and masks e-mail addresses.',
      blockedInputMessaging: 'Sorry, I can only help with Northwind policy questions, and I cannot give investment advice.',
      blockedOutputsMessaging: 'Sorry, I cannot share that.',
      topicPolicyConfig: {
        topicsConfig: [
          {
            name: 'Investment advice',
            type: 'DENY',
            definition: 'Guidance or recommendations about investing money, such as which stocks, funds, bonds or cryptocurrencies to buy, hold or sell.',
            examples: ['Should I put my bonus into tech stocks?', 'Which cryptocurrency is the best investment right now?', 'Is it a good time to buy company shares?'],
          },
        ],
      },
      sensitiveInformationPolicyConfig: { piiEntitiesConfig: [{ type: 'EMAIL', action: 'ANONYMIZE' }] },
    });
    this.guardrailVersion = new bedrock.CfnGuardrailVersion(this, 'GuardrailVersion', { guardrailIdentifier: this.guardrail.attrGuardrailId, description: 'Published for the policy assistant' });

    const agentRole = new iam.Role(this, 'AgentRole', { assumedBy: new iam.ServicePrincipal('bedrock.amazonaws.com') });
    agentRole.addToPolicy(new iam.PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: [`arn:${Aws.PARTITION}:bedrock:${Aws.REGION}::foundation-model/${foundationModel}`] }));
    agentRole.addToPolicy(new iam.PolicyStatement({ actions: ['bedrock:Retrieve'], resources: [this.knowledgeBase.attrKnowledgeBaseArn] }));
    agentRole.addToPolicy(new iam.PolicyStatement({ actions: ['bedrock:ApplyGuardrail'], resources: [this.guardrail.attrGuardrailArn] }));

    this.agent = new bedrock.CfnAgent(this, 'Agent', {
      agentName: 'policy-assistant',
      foundationModel,
      agentResourceRoleArn: agentRole.roleArn,
      autoPrepare: true,
      idleSessionTtlInSeconds: 600,
      instruction:
        'You are the Northwind Traders policy assistant. Answer employees\' questions about company policies (travel, expenses, IT equipment) using only the policy knowledge base, and say so when the policies do not cover a question.',
      knowledgeBases: [{ knowledgeBaseId: this.knowledgeBase.attrKnowledgeBaseId, description: 'Northwind company policies: travel and expenses, meal allowances, approval codes, IT equipment.', knowledgeBaseState: 'ENABLED' }],
      guardrailConfiguration: { guardrailIdentifier: this.guardrail.attrGuardrailId, guardrailVersion: this.guardrailVersion.attrVersion },
    });
    this.agent.node.addDependency(agentRole, sync);

    // An alias without a routing configuration publishes a new numbered version of the prepared agent.
    this.alias = new bedrock.CfnAgentAlias(this, 'LiveAlias', { agentId: this.agent.attrAgentId, agentAliasName: 'live', description: 'Published policy assistant' });
  }
}
