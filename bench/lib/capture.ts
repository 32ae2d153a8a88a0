/**
 * The exact requests the official v2 client sends, captured from a real exchange: the client's
 * `fetch` is wrapped and every POST it makes is recorded. The benchmark replays these bodies and
 * headers, so what it measures is what a real client costs a server.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

export interface CapturedRequest {
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface CapturedExchange {
  /** `initialize` (legacy) or `server/discover` (modern): what the client opens with. */
  readonly opening: CapturedRequest;
  /** The `notifications/initialized` POST (legacy only). */
  readonly initialized?: CapturedRequest;
  readonly toolsCall: CapturedRequest;
  /** The last POST of every JSON-RPC method the client sent, by method. */
  readonly byMethod: ReadonlyMap<string, CapturedRequest>;
}

/**
 * What the client does once connected, one line per method the benchmark replays (the opening
 * request and `tools/call` are always sent). A method added here is captured for both eras.
 */
export const CLIENT_STEPS: ReadonlyArray<{ readonly method: string; readonly run: (client: Client) => Promise<unknown> }> = [
  { method: 'tools/list', run: (client) => client.listTools() },
  { method: 'resources/read', run: (client) => client.readResource({ uri: 'docs://documents' }) },
  { method: 'prompts/get', run: (client) => client.getPrompt({ name: 'summarize_document', arguments: { id: 'onboarding' } }) },
];

function methodOf(body: string): string | undefined {
  try {
    const method = (JSON.parse(body) as { method?: unknown }).method;
    return typeof method === 'string' ? method : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Connects the v2 client to `url` (pinned to `2026-07-28`, or in its default 2025-era mode), calls
 * `tool` with `args` once, and returns the requests it sent.
 */
export async function captureClientRequests(
  url: string,
  era: 'modern' | 'legacy',
  tool: string,
  args: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<CapturedExchange> {
  const posts = new Map<string, CapturedRequest>();
  const recordingFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (init?.method === 'POST' && typeof init.body === 'string') {
      const method = methodOf(init.body);
      if (method) {
        const headers: Record<string, string> = {};
        new Headers(init.headers).forEach((value, name) => {
          headers[name] = value;
        });
        posts.set(method, { headers, body: init.body });
      }
    }
    return fetch(input, init);
  };
  const client = new Client(
    { name: 'bench-client', version: '1.0.0' },
    era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
  );
  const transport = new StreamableHTTPClientTransport(new URL(url), { fetch: recordingFetch, requestInit: { headers } });
  await client.connect(transport);
  try {
    for (const step of CLIENT_STEPS) await step.run(client);
    const result = await client.callTool({ name: tool, arguments: args });
    if (result.isError) throw new Error(`capturing ${era} requests: the tool call failed: ${JSON.stringify(result)}`);
  } finally {
    await client.close();
  }
  const opening = posts.get(era === 'modern' ? 'server/discover' : 'initialize');
  const toolsCall = posts.get('tools/call');
  if (!opening || !toolsCall) throw new Error(`capturing ${era} requests: saw only ${[...posts.keys()].join(', ')}`);
  const initialized = posts.get('notifications/initialized');
  return { opening, toolsCall, byMethod: posts, ...(initialized ? { initialized } : {}) };
}

/** Headers of a captured request without the ones the benchmark sets itself. */
export function replayHeaders(request: CapturedRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (name === 'authorization' || name === 'mcp-session-id' || name === 'content-length' || name === 'host') continue;
    out[name] = value;
  }
  return out;
}
