import { DeleteBackupCommand, DeleteTableCommand, DescribeTableCommand, DynamoDBClient, ListBackupsCommand, ListTablesCommand, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { allPages } from '../aws-call';
import type { PhaseContext } from '../context';

/** DynamoDB tables (deletion protection turned off first) and the candidate's on-demand backups. */
export async function cleanTables(ctx: PhaseContext): Promise<void> {
  const ddb = ctx.client(DynamoDBClient);
  const names = await allPages(async (token) => {
    const out = await ctx.call(() => ddb.send(new ListTablesCommand({ ExclusiveStartTableName: token })));
    return { items: out.TableNames, next: out.LastEvaluatedTableName };
  });
  const candidateTables = names.filter((name) => !ctx.isSkillProofs('AWS::DynamoDB::Table', name));
  const backups = await allPages(async (token) => {
    const out = await ctx.call(() => ddb.send(new ListBackupsCommand({ BackupType: 'USER', ExclusiveStartBackupArn: token })));
    return { items: out.BackupSummaries, next: out.LastEvaluatedBackupArn };
  });
  for (const backup of backups) {
    if (!backup.BackupArn || (backup.TableName && ctx.isSkillProofs('AWS::DynamoDB::Table', backup.TableName))) continue;
    await ctx.remove(backup.BackupArn, () => ddb.send(new DeleteBackupCommand({ BackupArn: backup.BackupArn })), { retryCodes: ['BackupInUseException'] });
  }
  for (const name of candidateTables) {
    const arn = ctx.arn('dynamodb', `table/${name}`);
    await ctx.remove(
      arn,
      async () => {
        const { Table } = await ctx.call(() => ddb.send(new DescribeTableCommand({ TableName: name })));
        if (Table?.DeletionProtectionEnabled) await ctx.call(() => ddb.send(new UpdateTableCommand({ TableName: name, DeletionProtectionEnabled: false })));
        await ctx.waitUntil(async () => (await ddb.send(new DescribeTableCommand({ TableName: name }))).Table?.TableStatus !== 'UPDATING');
        return ddb.send(new DeleteTableCommand({ TableName: name }));
      },
      { retryCodes: ['ResourceInUseException'], gone: () => ctx.notFound(() => ddb.send(new DescribeTableCommand({ TableName: name }))) },
    );
  }
}
