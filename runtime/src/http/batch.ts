/**
 * JSON-RPC batches. Only the 2025-03-26 revision of MCP has them (2025-06-18 removed them;
 * 2025-11-25 and 2026-07-28 have none), so a batch is refused unless the revision in play allows
 * it, and capped where it does. Every message of a batch is counted like a request of its own.
 */

/** The protocol revisions whose streamable HTTP transport accepts a JSON-RPC batch. */
export const BATCHING_PROTOCOL_VERSIONS: ReadonlySet<string> = new Set(['2025-03-26']);

/** Whether `version` (a negotiated or announced protocol revision) allows JSON-RPC batches. */
export function batchingAllowed(version: string): boolean {
  return BATCHING_PROTOCOL_VERSIONS.has(version);
}

/**
 * Why `batch` is refused before it reaches a session or the SDK, or `undefined`. The negotiated
 * revision (in the session) is checked again once the session is loaded.
 *
 * @param protocolVersion - the `MCP-Protocol-Version` header, when sent
 */
export function batchProblem(batch: readonly unknown[], protocolVersion: string | undefined, maxBatch: number): string | undefined {
  if (batch.length === 0) return 'Invalid request: an empty batch.';
  if (protocolVersion !== undefined && !batchingAllowed(protocolVersion)) return 'Invalid request: this protocol revision has no batches.';
  if (batch.length > maxBatch) return `Invalid request: a batch holds at most ${maxBatch} messages.`;
  return undefined;
}

function toolOf(message: unknown): string | undefined {
  if (!message || typeof message !== 'object' || Array.isArray(message)) return undefined;
  const { method, params } = message as { method?: unknown; params?: { name?: unknown } | null };
  return method === 'tools/call' && params && typeof params === 'object' && typeof params.name === 'string' ? params.name.slice(0, 64) : undefined;
}

/** The tools a body calls, each with the number of its calls (a batch may call one several times). */
export function toolCallsOf(body: unknown): Map<string, number> {
  const calls = new Map<string, number>();
  for (const message of Array.isArray(body) ? body : [body]) {
    const tool = toolOf(message);
    if (tool !== undefined) calls.set(tool, (calls.get(tool) ?? 0) + 1);
  }
  return calls;
}
