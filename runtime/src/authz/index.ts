export { BrokerConfigError, brokerEnvironmentSchema, loadBrokerConfig } from './config.js';
export type { BrokerConfig } from './config.js';
export { createAuthorizationServer } from './endpoints.js';
export type { AuthorizationServer, AuthorizationServerOptions } from './endpoints.js';
export { AUTHZ_PATHS, authorizationServerMetadata } from './metadata.js';
export { createLocalSigner, generateSigningKey } from './signer.js';
export type { TokenSigner } from './signer.js';
export { AuthzStore } from './store.js';
