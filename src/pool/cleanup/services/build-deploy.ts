import {
  CodeBuildClient,
  DeleteFleetCommand,
  DeleteProjectCommand,
  DeleteReportGroupCommand,
  DeleteSourceCredentialsCommand,
  ListFleetsCommand,
  ListProjectsCommand,
  ListReportGroupsCommand,
  ListSourceCredentialsCommand,
} from '@aws-sdk/client-codebuild';
import {
  CodeDeployClient,
  DeleteApplicationCommand,
  DeleteDeploymentConfigCommand,
  DeleteDeploymentGroupCommand,
  ListApplicationsCommand,
  ListDeploymentConfigsCommand,
  ListDeploymentGroupsCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import { allPages } from '../aws-call';
import type { PhaseContext } from '../context';
import { isAwsDefault } from '../ownership';

/**
 * CodeDeploy, before Lambda (its deployment groups shift the functions' aliases): deployments still running
 * are stopped, then each deployment group, the application, and custom deployment configurations
 * (CodeDeployDefault.* are AWS's).
 */
export async function cleanCodeDeploy(ctx: PhaseContext): Promise<void> {
  const cd = ctx.client(CodeDeployClient);
  const applications = await allPages(async (token) => {
    const out = await ctx.call(() => cd.send(new ListApplicationsCommand({ nextToken: token })));
    return { items: out.applications, next: out.nextToken };
  });
  for (const applicationName of applications) {
    if (ctx.isSkillProofs('AWS::CodeDeploy::Application', applicationName)) continue;
    const appArn = ctx.arn('codedeploy', `application:${applicationName}`);
    const groups = await allPages(async (token) => {
      const out = await ctx.call(() => cd.send(new ListDeploymentGroupsCommand({ applicationName, nextToken: token })));
      return { items: out.deploymentGroups, next: out.nextToken };
    });
    for (const deploymentGroupName of groups) {
      const running = await allPages(async (token) => {
        const out = await ctx.call(() =>
          cd.send(new ListDeploymentsCommand({ applicationName, deploymentGroupName, includeOnlyStatuses: ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'], nextToken: token })),
        );
        return { items: out.deployments, next: out.nextToken };
      });
      for (const deploymentId of running) {
        await ctx.prepare(appArn, `StopDeployment ${deploymentId}`, () => cd.send(new StopDeploymentCommand({ deploymentId, autoRollbackEnabled: false })));
      }
      await ctx.remove(ctx.arn('codedeploy', `deploymentgroup:${applicationName}/${deploymentGroupName}`), () => cd.send(new DeleteDeploymentGroupCommand({ applicationName, deploymentGroupName })));
    }
    await ctx.remove(appArn, () => cd.send(new DeleteApplicationCommand({ applicationName })));
  }
  const configs = await allPages(async (token) => {
    const out = await ctx.call(() => cd.send(new ListDeploymentConfigsCommand({ nextToken: token })));
    return { items: out.deploymentConfigsList, next: out.nextToken };
  });
  for (const name of configs) {
    if (isAwsDefault('AWS::CodeDeploy::DeploymentConfig', name) || ctx.isSkillProofs('AWS::CodeDeploy::DeploymentConfig', name)) continue;
    await ctx.remove(ctx.arn('codedeploy', `deploymentconfig:${name}`), () => cd.send(new DeleteDeploymentConfigCommand({ deploymentConfigName: name })));
  }
}

/** CodeBuild: projects (their webhooks and builds' metadata go with them), report groups with their reports, fleets, imported source credentials. */
export async function cleanCodeBuild(ctx: PhaseContext): Promise<void> {
  const cb = ctx.client(CodeBuildClient);
  const projects = await allPages(async (token) => {
    const out = await ctx.call(() => cb.send(new ListProjectsCommand({ nextToken: token })));
    return { items: out.projects, next: out.nextToken };
  });
  for (const name of projects) {
    if (ctx.isSkillProofs('AWS::CodeBuild::Project', name)) continue;
    await ctx.remove(ctx.arn('codebuild', `project/${name}`), () => cb.send(new DeleteProjectCommand({ name })));
  }
  const reportGroups = await allPages(async (token) => {
    const out = await ctx.call(() => cb.send(new ListReportGroupsCommand({ nextToken: token })));
    return { items: out.reportGroups, next: out.nextToken };
  });
  for (const arn of reportGroups) {
    if (ctx.isSkillProofs('AWS::CodeBuild::ReportGroup', arn)) continue;
    await ctx.remove(arn, () => cb.send(new DeleteReportGroupCommand({ arn, deleteReports: true })));
  }
  const fleets = await allPages(async (token) => {
    const out = await ctx.call(() => cb.send(new ListFleetsCommand({ nextToken: token })));
    return { items: out.fleets, next: out.nextToken };
  });
  for (const arn of fleets) {
    if (ctx.isSkillProofs('AWS::CodeBuild::Fleet', arn)) continue;
    await ctx.remove(arn, () => cb.send(new DeleteFleetCommand({ arn })));
  }
  const credentials = await ctx.call(() => cb.send(new ListSourceCredentialsCommand({})));
  for (const credential of credentials.sourceCredentialsInfos ?? []) {
    if (!credential.arn || ctx.isSkillProofs('AWS::CodeBuild::SourceCredential', credential.arn)) continue;
    await ctx.remove(credential.arn, () => cb.send(new DeleteSourceCredentialsCommand({ arn: credential.arn })));
  }
}
