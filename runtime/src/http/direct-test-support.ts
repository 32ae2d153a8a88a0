/**
 * Shared by the differential tests of the direct path (`direct-call.test.ts`,
 * `direct-answers.test.ts`, `direct-capabilities.test.ts`): invoke dependencies without a store or filter behind them, a request
 * scope, the SDK's era classifier over plain headers, and the web request the SDK handlers read.
 * Test support only; nothing in the server imports it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { classifyInboundRequest, type InboundClassificationOutcome } from '@modelcontextprotocol/server';
import type { Principal } from '../auth/principal.js';
import { findCredentialValue } from '../filters/index.js';
import type { InvokeDependencies } from '../tools/invoke.js';
import { ConcurrencyLimiter } from '../tools/limits.js';
import type { RequestScope } from '../tools/mcp-server.js';

/** The real limiter and credential check; output passes unfiltered, state reads as empty. */
export function plainInvokeDependencies(): InvokeDependencies {
  return {
    limiter: new ConcurrencyLimiter(),
    filter: { apply: async (result) => ({ result, redactions: {}, blocked: false }) },
    findCredential: findCredentialValue,
    stateFor: () => ({ read: async () => undefined, write: async () => ({ version: 1 }) }),
    handlesFor: () => ({ mint: async () => 'h', resolve: async () => undefined }),
    observer: { toolCall: () => undefined, redactions: () => undefined, credentialInput: () => undefined, failure: () => undefined },
  };
}

/** A request scope for `principal` whose trace steps just run. */
export function testScope(principal: Principal): RequestScope {
  return { principal, correlationId: '1-5759e988-bd862e3fe1be46a994272793', shutdown: new AbortController().signal, step: (_name, run) => run() };
}

/** What the SDK's classifier says of a POST of `body` with `headers`. */
export function routeOf(body: unknown, headers: IncomingHttpHeaders | Record<string, string | undefined>): InboundClassificationOutcome {
  return classifyInboundRequest({
    httpMethod: 'POST',
    protocolVersionHeader: headers['mcp-protocol-version'] as string | undefined,
    mcpMethodHeader: headers['mcp-method'] as string | undefined,
    mcpNameHeader: headers['mcp-name'] as string | undefined,
    body,
  });
}

/** The web request an SDK handler is given (the body goes separately, already parsed). */
export function requestOf(headers: Record<string, string>): Request {
  return new Request('http://127.0.0.1/mcp', { method: 'POST', headers });
}

/** Mutations of a good request for the hostile-shape sweeps: for each, the direct path must step aside or match the SDK byte for byte. */
export const HOSTILE_MUTATIONS: ReadonlyArray<(body: Record<string, unknown>) => unknown> = [
  (body) => body,
  (body) => ({ ...body, id: '' }),
  (body) => ({ ...body, id: 'x'.repeat(2000) }),
  (body) => ({ ...body, id: '\u0000\u2028' }),
  (body) => ({ ...body, id: -0 }),
  (body) => ({ ...body, id: true }),
  (body) => ({ ...body, params: { ...(body.params as object), __proto__: { injected: true } } }),
  (body) => Object.assign(Object.create(null) as object, body),
  (body) => ({ ...body, params: Object.assign(Object.create(null) as object, body.params) }),
  (body) => ({ ...body, method: `${String(body.method)} ` }),
  (body) => ({ ...body, jsonrpc: 2 }),
];
