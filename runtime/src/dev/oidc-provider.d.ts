// Minimal typing of the parts of oidc-provider the development issuer uses (the package ships none).
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface KoaContextWithOIDC {
    status: number;
    body: unknown;
    oidc: { params: Record<string, unknown>; client?: unknown };
  }
  export type Configuration = Record<string, unknown> & {
    features?: {
      resourceIndicators?: {
        getResourceServerInfo?: (ctx: KoaContextWithOIDC, resource: string, client: unknown) => unknown;
      } & Record<string, unknown>;
    } & Record<string, unknown>;
  };
  interface TokenInstance {
    scope?: string;
    expiration: number;
    save(): Promise<string>;
  }
  export interface InteractionDetails {
    uid: string;
    prompt: { name: string; details: { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> } };
    params: Record<string, unknown>;
    session?: { accountId?: string };
    grantId?: string;
  }
  interface GrantInstance {
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }
  export default class Provider {
    constructor(issuer: string, configuration: Configuration);
    on(event: 'access_token.issued' | 'authorization_code.saved' | 'client_credentials.issued', listener: (token: { accountId?: unknown; clientId?: unknown }) => void): this;
    registerGrantType(name: string, handler: (ctx: KoaContextWithOIDC) => Promise<void>, params?: string[]): void;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    ResourceServer: new (identifier: string, info: unknown) => { scope: string };
    AccessToken: new (properties: Record<string, unknown>) => TokenInstance;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
    Grant: {
      new (properties: { accountId: string; clientId: string }): GrantInstance;
      find(id: string): Promise<GrantInstance | undefined>;
    };
    IdToken: new (claims: Record<string, unknown>, options: { ctx: KoaContextWithOIDC }) => {
      scope: string;
      issue(options: { use: 'idtoken' }): Promise<string>;
    };
  }
}

declare module 'oidc-provider/lib/adapters/memory_adapter.js' {
  /** oidc-provider's in-memory adapter factory (an LRU of 1000 entries), as its default uses it. */
  export function createMemoryAdapter(clockTolerance?: number): (model: string) => unknown;
}
