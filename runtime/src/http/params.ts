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

/** Whether one message is a request of a listed method whose params fail the method's schema. */
function malformed(message: unknown, era: 'legacy' | 'modern'): boolean {
  if (message === null || typeof message !== 'object' || Array.isArray(message)) return false;
  const { method, params } = message as { method?: unknown; params?: unknown };
  if (typeof method !== 'string' || !Object.hasOwn(PARAMS, method) || (era === 'modern' && LEGACY_ONLY.has(method))) return false;
  const schema = specTypeSchemas[PARAMS[method]!];
  const outcome = schema['~standard'].validate(params ?? {});
  if (outcome instanceof Promise) return false;
  return outcome.issues !== undefined;
}

/**
 * Whether `body` is a single request of a listed method whose params do not satisfy the method's
 * schema (absent params count as `{}`, which JSON-RPC allows). Batches and other methods are left
 * to the SDK. Only validity is read: what the handler sees is still the SDK's own parse.
 */
export function hasMalformedParams(body: unknown, era: 'legacy' | 'modern'): boolean {
  return !Array.isArray(body) && malformed(body, era);
}

/**
 * The ids of a batch's requests whose params fail their method's schema, as `hasMalformedParams`
 * decides for a single request: the SDK answers those `-32603`, and `safeSdkResponse` turns exactly
 * these answers into `-32602`. An id that two messages of the batch share is left out, so that a
 * real internal error of another message is never relabelled. `undefined` when there is none.
 */
export function malformedParamsIds(body: unknown, era: 'legacy' | 'modern'): ReadonlySet<string | number> | undefined {
  if (!Array.isArray(body)) return undefined;
  const seen = new Set<unknown>();
  const shared = new Set<unknown>();
  for (const message of body) {
    const id = (message as { id?: unknown } | null)?.id;
    if (seen.has(id)) shared.add(id);
    seen.add(id);
  }
  let ids: Set<string | number> | undefined;
  for (const message of body) {
    const id = (message as { id?: unknown } | null)?.id;
    if ((typeof id !== 'string' && typeof id !== 'number') || shared.has(id) || !malformed(message, era)) continue;
    (ids ??= new Set()).add(id);
  }
  return ids;
}
