/**
 * Source of the seed custom resource's Lambda handler, deployed inline (CloudFormation `ZipFile`) so the
 * sandbox stays asset-free. It writes one S3 object or one DynamoDB item per resource and removes it on
 * delete. Properties arrive as strings (CloudFormation stringifies them), hence the JSON fields.
 * Inline code is limited to 4096 characters; a test checks the size and runs the code against fakes.
 */
export const SEED_HANDLER_SOURCE = `
const https = require('https');
const { S3Client, PutObjectCommand, DeleteObjectCommand } = require('@aws-sdk/client-s3');
const { DynamoDBClient, PutItemCommand, DeleteItemCommand } = require('@aws-sdk/client-dynamodb');
const s3 = new S3Client({});
const ddb = new DynamoDBClient({});

function physicalId(p) {
  return p.Kind === 's3-object' ? 's3://' + p.Bucket + '/' + p.Key : 'dynamodb://' + p.Table + '/' + p.Key;
}

async function apply(requestType, p) {
  const remove = requestType === 'Delete';
  if (p.Kind === 's3-object') {
    if (remove) return s3.send(new DeleteObjectCommand({ Bucket: p.Bucket, Key: p.Key }));
    return s3.send(new PutObjectCommand({ Bucket: p.Bucket, Key: p.Key, Body: p.Body, ContentType: p.ContentType || undefined, Tagging: p.Tagging }));
  }
  if (p.Kind === 'dynamodb-item') {
    if (remove) return ddb.send(new DeleteItemCommand({ TableName: p.Table, Key: JSON.parse(p.Key) }));
    return ddb.send(new PutItemCommand({ TableName: p.Table, Item: JSON.parse(p.Item) }));
  }
  throw new Error('unknown seed kind: ' + p.Kind);
}

function respond(event, status, reason, id) {
  const body = JSON.stringify({
    Status: status, Reason: reason, PhysicalResourceId: id,
    StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId,
  });
  return new Promise((resolve, reject) => {
    const req = https.request(event.ResponseURL, {
      method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) },
    }, (res) => { res.resume(); res.on('end', resolve); });
    req.on('error', reject);
    req.end(body);
  });
}

exports.handler = async (event) => {
  const p = event.ResourceProperties;
  const id = event.RequestType === 'Create' ? physicalId(p) : event.PhysicalResourceId;
  try {
    await apply(event.RequestType, p);
    await respond(event, 'SUCCESS', 'seeded', event.RequestType === 'Update' ? physicalId(p) : id);
  } catch (e) {
    console.error(e);
    // A failed clean-up must not wedge the stack: the bucket or table deletion that follows reports any real leftover.
    const status = event.RequestType === 'Delete' ? 'SUCCESS' : 'FAILED';
    await respond(event, status, String((e && e.message) || e).slice(0, 400), id);
  }
};
`;
