export type { Principal } from './principal.js';
export { ownerKey } from './principal.js';
export { AuthenticationError, bearerToken, createTokenVerifier, MAX_TOKEN_BYTES, verifierByIssuer } from './verifier.js';
export type { AuthFailureReason, TokenVerifier, VerifierOptions } from './verifier.js';
export {
  advertisedScopes,
  authenticationChallenge,
  cognitoAuthorizationServerMetadata,
  insufficientScopeChallenge,
  protectedResourceMetadata,
  protectedResourceMetadataPath,
  protectedResourceMetadataUrl,
} from './metadata.js';
