export * from './open-badge';
export * from './vc-jwt';
export * from './status-list';
export * from './issuer-keys';
export * from './verify';
export * from './issue';
export * from './signer';
