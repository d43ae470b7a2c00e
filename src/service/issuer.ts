/**
 * The issuer in the service: its key is an AWS KMS key (SERVICE_STACK_ENV.issuerKeyId), which signs
 * credentials, status lists and evidence without the private key leaving KMS. Read once per execution
 * environment (GetPublicKey), and registered in the store as `loadIssuer` registers a local key.
 */
import type { KMSClient } from '@aws-sdk/client-kms';
import type { Issuer } from '../credentials/issuer-keys';
import type { Store } from '../store/types';
import { SERVICE_STACK_ENV } from './stack-contract';

/**
 * The service's issuer, or undefined when the environment names no key or no issuer id (credentials
 * then wait for an administrator, once one is configured). A failure (KMS unreachable) is thrown and tried again on the next call.
 */
export function serviceIssuerSource(env: NodeJS.ProcessEnv, store: () => Promise<Store>, kms?: () => Pick<KMSClient, 'send'>): () => Promise<Issuer | undefined> {
  let loaded: Promise<Issuer | undefined> | undefined;
  return () =>
    (loaded ??= (async () => {
      const keyId = env[SERVICE_STACK_ENV.issuerKeyId];
      if (!keyId) return undefined;
      // A key without an issuer id signs nothing: credentials keep their issuer id for life, so the
      // stack never makes one up (ServiceStackProps.issuerId or publicUrl sets it).
      const id = env[SERVICE_STACK_ENV.issuerId];
      if (!id) return undefined;
      /* eslint-disable @typescript-eslint/no-require-imports */
      const { kmsSigner } = require('../credentials/kms-signer') as typeof import('../credentials/kms-signer');
      const { remoteIssuer } = require('../credentials/issuer-keys') as typeof import('../credentials/issuer-keys');
      const client = kms ? kms() : new (require('@aws-sdk/client-kms') as typeof import('@aws-sdk/client-kms')).KMSClient({});
      /* eslint-enable @typescript-eslint/no-require-imports */
      const signer = await kmsSigner({ kms: client, keyId, issuerId: id });
      const name = env[SERVICE_STACK_ENV.issuerName];
      return remoteIssuer(signer, await store(), { id, ...(name ? { name } : {}) });
    })().catch((e: unknown) => {
      loaded = undefined;
      throw e;
    }));
}
