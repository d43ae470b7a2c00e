/**
 * The portal and JSON API on Lambda: API Gateway HTTP API events served by the same node:http
 * server as `skillproof serve` (src/server), through the loopback adapter.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Catalog } from '../../catalog/load';
import type { ServerOptions } from '../../server/app';
import { SERVICE_STACK_ENV } from '../stack-contract';
import { httpApiHandler, type HttpApiHandler } from './http-api-adapter';
import type { ServiceClients } from '../portal-mode';
import { serviceStore, type ServiceStore } from './store';

export interface ApiDependencies {
  store(): Promise<ServiceStore>;
  catalog(): Catalog;
  env: NodeJS.ProcessEnv;
  /** Extra server options (tests: a clock, a log sink). */
  server?: Partial<ServerOptions>;
  /** The AWS clients of service mode (tests: mocked); default: made from the environment. */
  clients?: () => ServiceClients;
}

/** The address people reach the portal at: the configured one, else the API's own https domain. */
export function publicUrlOf(event: APIGatewayProxyEventV2, env: NodeJS.ProcessEnv): string {
  const configured = env[SERVICE_STACK_ENV.publicUrl];
  return configured ? new URL(configured).origin : `https://${event.requestContext.domainName}`;
}

export function createApiHandler(deps: ApiDependencies): HttpApiHandler {
  return httpApiHandler(async (event) => {
    const { createPortalServer } = require('../../server/app') as typeof import('../../server/app'); // eslint-disable-line @typescript-eslint/no-require-imports
    const { parsePool } = require('../../sandbox/session') as typeof import('../../sandbox/session'); // eslint-disable-line @typescript-eslint/no-require-imports
    const { portalCohorts } = require('../../cohorts/progress') as typeof import('../../cohorts/progress'); // eslint-disable-line @typescript-eslint/no-require-imports
    const region = deps.env.AWS_REGION;
    const store = await deps.store();
    const catalog = deps.catalog();
    // The cohort pages and API, from the same store, as `skillproof serve` shows them.
    const cohorts = portalCohorts(store, catalog);
    const { servicePortalOptions } = require('../portal-mode') as typeof import('../portal-mode'); // eslint-disable-line @typescript-eslint/no-require-imports
    const { server } = createPortalServer({
      // Nothing is kept in a data directory in the service: the issuer's key is in KMS (servicePortalOptions).
      dataDir: join(tmpdir(), 'skillproof'),
      store,
      catalog,
      ...(cohorts ? { cohorts } : {}),
      publicUrl: publicUrlOf(event, deps.env),
      // The adapter is the only peer; it passes on the client address API Gateway saw.
      trustProxy: ['127.0.0.1'],
      pool: parsePool(deps.env[SERVICE_STACK_ENV.sandboxPool]),
      ...(region ? { region } : {}),
      // Service mode (the stack sets the lifecycle's ARN): start and wake lifecycles, queue progress checks, sign with KMS.
      ...servicePortalOptions(deps.env, async () => store, deps.clients),
      ...deps.server,
    });
    return server;
  });
}

export const handler: HttpApiHandler = createApiHandler({
  store: () => serviceStore(),
  catalog: () => (require('../../catalog/service-catalog') as typeof import('../../catalog/service-catalog')).serviceCatalog(), // eslint-disable-line @typescript-eslint/no-require-imports
  env: process.env,
});
