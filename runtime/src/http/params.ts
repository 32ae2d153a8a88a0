import { specTypeSchemas } from '@modelcontextprotocol/server';

/**
 * The params schema of each request the kit's own handlers answer through the SDK, from the SDK's
 * spec schemas. The SDK checks these too, but answers a failure `-32603` (internal error) for
 * handlers registered without their own schema; checked here first, a malformed request gets the
 * `-32602` (invalid params) the protocol asks for, before any handler or store is reached.
 * `tools/call` is not listed: its params already get `-32602`, on the direct path and the SDK's.
 */
const PARAMS: Readonly<Record<string, keyof typeof specTypeSchemas>> = {
  'tools/list': 'PaginatedRequestParams',
  'resources/list': 'PaginatedRequestParams',
  'resources/templates/list': 'PaginatedRequestParams',
  'prompts/list': 'PaginatedRequestParams',
  'resources/read': 'ReadResourceRequestParams',
  'resources/subscribe': 'SubscribeRequestParams',
  'resources/unsubscribe': 'UnsubscribeRequestParams',
  'prompts/get': 'GetPromptRequestParams',
  'completion/complete': 'CompleteRequestParams',
};

/** Methods 2026-07-28 removed: in that era they stay `-32601` (method not found), whatever their params. */
const LEGACY_ONLY: ReadonlySet<string> = new Set(['resources/subscribe', 'resources/unsubscribe']);

/**
 * Whether `body` is a single request of a listed method whose params do not satisfy the method's
 * schema (absent params count as `{}`, which JSON-RPC allows). Batches and other methods are left
 * to the SDK. Only validity is read: what the handler sees is still the SDK's own parse.
 */
export function hasMalformedParams(body: unknown, era: 'legacy' | 'modern'): boolean {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return false;
  const { method, params } = body as { method?: unknown; params?: unknown };
  if (typeof method !== 'string' || !Object.hasOwn(PARAMS, method) || (era === 'modern' && LEGACY_ONLY.has(method))) return false;
  const schema = specTypeSchemas[PARAMS[method]!];
  const outcome = schema['~standard'].validate(params ?? {});
  if (outcome instanceof Promise) return false;
  return outcome.issues !== undefined;
}
