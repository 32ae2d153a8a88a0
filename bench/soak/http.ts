// Loopback HTTP for the soak: every request goes through one keep-alive agent the soak owns, so its
// sockets can be closed on purpose before resources are counted (a pool the soak cannot close, like
// the global fetch dispatcher, would keep sockets to the server open for its keep-alive period).
import { Agent, request as httpRequest, type ClientRequest, type IncomingHttpHeaders } from 'node:http';

/** A response read to the end. */
export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

/** A keep-alive agent with a bounded pool; `close()` destroys every socket it holds. */
export class LoopbackClient {
  #agent: Agent;
  /** HTTP requests started through this client (the v2 SDK client's included). */
  requests = 0;

  constructor(private readonly maxSockets: number) {
    this.#agent = this.#newAgent();
  }

  #newAgent(): Agent {
    return new Agent({ keepAlive: true, maxSockets: this.maxSockets, maxFreeSockets: this.maxSockets, scheduling: 'lifo' });
  }

  /**
   * Sends one request and reads the whole answer. With `signal`, aborting destroys the socket and the
   * promise rejects with an `AbortError`. With `partialBody`, only the first half of the body is
   * written and the request is held open (used to abort in the middle of an upload); `onRequest`
   * receives the outgoing request, to close it from elsewhere.
   */
  send(
    url: URL,
    method: string,
    headers: Record<string, string>,
    body?: string,
    options: { signal?: AbortSignal; partialBody?: boolean; onRequest?: (request: ClientRequest) => void } = {},
  ): Promise<RawResponse> {
    this.requests += 1;
    return new Promise<RawResponse>((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
      const outgoing = httpRequest(
        url,
        {
          agent: this.#agent,
          method,
          headers: payload ? { ...headers, 'content-length': String(payload.length) } : headers,
          ...(options.signal ? { signal: options.signal } : {}),
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.once('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }));
          response.once('error', reject);
          response.once('aborted', () => reject(Object.assign(new Error('response aborted'), { name: 'AbortError' })));
        },
      );
      outgoing.once('error', reject);
      options.onRequest?.(outgoing);
      if (payload && options.partialBody) {
        outgoing.write(payload.subarray(0, Math.floor(payload.length / 2)));
        return;
      }
      outgoing.end(payload);
    });
  }

  /**
   * A `fetch` for the MCP SDK client that goes through this agent. Bodies are strings in every
   * request the client sends over Streamable HTTP; answers are buffered (request/response only).
   */
  readonly fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    if (init.body !== undefined && init.body !== null && typeof init.body !== 'string') throw new TypeError('only string bodies are supported');
    const answer = await this.send(url, init.method ?? 'GET', headers, init.body ?? undefined, init.signal ? { signal: init.signal } : {});
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) responseHeaders.append(name, item);
    }
    const empty = answer.status === 204 || answer.status === 304 || answer.status === 202 || answer.text.length === 0;
    return new Response(empty ? null : answer.text, { status: answer.status, headers: responseHeaders });
  };

  /** Destroys every socket of the pool; later requests open new ones. */
  close(): void {
    this.#agent.destroy();
    this.#agent = this.#newAgent();
  }
}

/** Parses a JSON body, or the first `data:` frame of a server-sent-events body. */
export function parseMaybeSse(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return JSON.parse(trimmed);
  const data = trimmed.split('\n').find((line) => line.startsWith('data:'));
  return data ? JSON.parse(data.slice(5)) : undefined;
}
