import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/**
 * The clean-up engine's contract with the lease state machine. "lease" declares the same shapes in
 * src/pool/types.ts; the two are kept identical so they can be unified.
 */

/** What a clean-up found: every candidate resource gone (proved by an independent enumeration), or what is left and why. */
export type { CleanupOutcome, CleanupTarget } from '../types';


/** Durable progress, so a clean-up that was interrupted resumes where it stopped instead of starting over. */
export type CleanupJournal = { get(key: string): Promise<string | undefined>; put(key: string, value: string): Promise<void> };


// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ClientClass<C> = new (config: any) => C;

/** Makes an SDK client for a region; the default passes `deps.credentials` (or the SDK's standard chain) and the region. */
export type ClientFactory = <C>(clientClass: ClientClass<C>, region: string) => C;

export interface CleanupClock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface CleanupLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface CleanupDeps {
  /** Credentials for the account (the caller assumes the pool's administration role). Default: the SDK's standard chain. */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  clients?: ClientFactory;
  clock?: CleanupClock;
  logger?: CleanupLogger;
  /**
   * Roles at the root path that the platform needs and that are neither SkillProof's nor the candidate's
   * (the role SkillProof and Organizations use to reach the account). Default: OrganizationAccountAccessRole.
   */
  platformRoleNames?: string[];
  /** How long to wait for one asynchronous deletion (a stack, a table, an agent) before calling it failed. Default 20 minutes. */
  deleteTimeoutMs?: number;
  /** Tries of a throttled call before giving up. Default 8. */
  maxTries?: number;
  /** Verification passes before remaining resources count (eventually consistent listings settle in between). Default 3. */
  verifyPasses?: number;
  /** Pause between verification passes. Default 30 s. */
  verifySettleMs?: number;
}
