/**
 * Serves one 2025-era request with a fresh SDK server, like the SDK's `legacyStatelessFallback`, and
 * makes the server-to-client requests of that server (elicitation, sampling, roots: the SDK's legacy
 * shim sends them for a handler that returns `inputRequired(...)`) work within the call's stream
 * and session:
 *
 * - the server is re-initialized from the session's stored handshake (the client's declared input
 *   capabilities and negotiated revision), so the SDK's own gate refuses a kind the client did not
 *   declare, and answers the call with an error result;
 * - each request the server sends gets a JSON-RPC id unique in the session (128 random bits) and is
 *   registered as pending (`PendingInputs`, bounded, with a deadline); a sampling request first
 *   passes the output filters;
 * - the client's answer, posted on the session (see `routeAnswers`), is checked and handed to the
 *   waiting server under its own id;
 * - when the call's stream ends (answered, or the client went away) the server and everything it
 *   registered are released.
 */
import { randomBytes } from 'node:crypto';
import {
  isJSONRPCNotification,
  isJSONRPCRequest,
  WebStandardStreamableHTTPServerTransport,
  type AuthInfo,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type McpServerFactory,
  type MessageExtraInfo,
  type Transport,
  type TransportSendOptions,
} from '@modelcontextprotocol/server';
import type { InputCapabilities, SessionCaller } from '../session/index.js';
import { ANSWER_ERRORS, INPUT_METHODS, type CheckedAnswer, type InputMethod } from './legacy-answers.js';
import type { PendingInputs } from './legacy-input.js';

/** The session a request belongs to, as far as its server needs it. */
export interface LegacySession {
  readonly id: string;
  readonly caller: SessionCaller;
  readonly protocolVersion: string;
  readonly clientCapabilities: InputCapabilities;
  readonly clientInfo: { readonly name: string; readonly version: string };
  /** Epoch milliseconds after which the session no longer exists. */
  readonly notAfter: number;
}

/** Screens what the server sends for sampling: the params to send, or `undefined` to withhold it. */
export type SamplingScreen = (params: unknown, signal: AbortSignal) => Promise<unknown>;

export interface LegacyServingOptions {
  readonly factory: McpServerFactory;
  readonly pending: PendingInputs;
  readonly screenSampling: SamplingScreen;
  readonly maxRequestBodySize: number;
}

export interface LegacyRequestOptions {
  readonly authInfo: AuthInfo;
  readonly parsedBody: unknown;
  /** Absent for `initialize`, which opens the session. */
  readonly session?: LegacySession;
}

function newRequestId(): string {
  return `kit-${randomBytes(16).toString('base64url')}`;
}

/**
 * The transport the SDK server talks to: the SDK's own streamable HTTP transport (stateless, one
 * request), with the server-to-client requests taken out of the server's id space and into the
 * session's, and their answers put back.
 */
class SessionBridge implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  /** Wire id → the server's own id, for the requests this server is waiting on. */
  readonly #asked = new Map<string, string | number>();
  #replay: { id: string; done: () => void } | undefined;
  readonly #closing = new AbortController();

  constructor(
    readonly inner: WebStandardStreamableHTTPServerTransport,
    private readonly session: LegacySession | undefined,
    private readonly options: LegacyServingOptions,
  ) {}

  async start(): Promise<void> {
    this.inner.onmessage = (message, extra) => this.onmessage?.(message, extra);
    this.inner.onclose = () => this.onclose?.();
    this.inner.onerror = (error) => this.onerror?.(error);
    await this.inner.start();
  }

  setProtocolVersion = (version: string): void => (this.inner as Transport).setProtocolVersion?.(version);
  setSupportedProtocolVersions = (versions: string[]): void => (this.inner as Transport).setSupportedProtocolVersions?.(versions);

  /**
   * Replays the session's `initialize` into the fresh server, so it knows the negotiated revision and
   * what the client declared it can be asked. Nothing of it reaches the wire.
   */
  async replayInitialize(session: LegacySession): Promise<void> {
    const id = `kit-replay-${randomBytes(8).toString('base64url')}`;
    const done = new Promise<void>((resolve) => (this.#replay = { id, done: resolve }));
    this.onmessage?.({
      jsonrpc: '2.0',
      id,
      method: 'initialize',
      params: { protocolVersion: session.protocolVersion, capabilities: session.clientCapabilities, clientInfo: session.clientInfo },
    });
    await done;
    this.#replay = undefined;
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.#replay && 'id' in message && message.id === this.#replay.id && !('method' in message)) {
      this.#replay.done();
      return;
    }
    if (isJSONRPCRequest(message)) return this.#ask(message, options);
    if (isJSONRPCNotification(message) && message.method === 'notifications/cancelled') {
      const params = (message.params ?? {}) as { requestId?: unknown };
      for (const [wireId, localId] of this.#asked) {
        if (localId === params.requestId) {
          this.#asked.delete(wireId);
          this.options.pending.cancel(wireId);
          return this.inner.send({ ...message, params: { ...params, requestId: wireId } }, options);
        }
      }
    }
    return this.inner.send(message, options);
  }

  /** Answers the server's request `localId` here, as if the client had (an error or a checked result). */
  #answer(localId: string | number, answer: CheckedAnswer): void {
    const message: JSONRPCMessage = 'result' in answer ? { jsonrpc: '2.0', id: localId, result: answer.result } : { jsonrpc: '2.0', id: localId, error: { ...answer.error } };
    // After the current send returns: the server reads its answer only once the request is out.
    setImmediate(() => this.onmessage?.(message));
  }

  async #ask(message: JSONRPCRequest, options?: TransportSendOptions): Promise<void> {
    const localId = message.id;
    const session = this.session;
    if (!session || !INPUT_METHODS.has(message.method) || this.#closing.signal.aborted) {
      this.#answer(localId, { error: ANSWER_ERRORS.ended });
      return;
    }
    const method = message.method as InputMethod;
    let params: unknown = message.params;
    if (method === 'sampling/createMessage') {
      params = await this.options.screenSampling(params, this.#closing.signal);
      if (params === undefined) {
        this.#answer(localId, { error: ANSWER_ERRORS.blocked });
        return;
      }
    }
    const requestId = newRequestId();
    const opened = await this.options.pending.open({
      sessionId: session.id,
      caller: session.caller,
      requestId,
      method,
      params,
      notAfter: session.notAfter,
      settle: (answer) => {
        this.#asked.delete(requestId);
        this.#answer(localId, answer);
      },
    });
    if (!opened) {
      this.#answer(localId, { error: ANSWER_ERRORS.tooMany });
      return;
    }
    if (this.#closing.signal.aborted) {
      this.options.pending.cancel(requestId);
      return;
    }
    this.#asked.set(requestId, localId);
    await this.inner.send({ ...message, id: requestId, ...(params === undefined ? {} : { params: params as JSONRPCRequest['params'] }) }, options);
  }

  async close(): Promise<void> {
    this.#closing.abort();
    for (const wireId of this.#asked.keys()) this.options.pending.cancel(wireId);
    this.#asked.clear();
    await this.inner.close();
  }
}

/**
 * Serves `request` (a 2025-era POST) with a fresh server from `options.factory`. Returns the SDK's
 * response; an event stream's end (or the request's abort) releases the server.
 */
export async function serveLegacyRequest(options: LegacyServingOptions, request: Request, perRequest: LegacyRequestOptions): Promise<Response> {
  const server = await options.factory({ era: 'legacy', authInfo: perRequest.authInfo, requestInfo: request });
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, maxRequestBodySize: options.maxRequestBodySize });
  const bridge = new SessionBridge(transport, perRequest.session, options);
  let toreDown = false;
  const teardown = (): void => {
    if (toreDown) return;
    toreDown = true;
    request.signal.removeEventListener('abort', teardown);
    bridge.close().catch(() => undefined);
    server.close().catch(() => undefined);
  };
  try {
    await server.connect(bridge);
    if (perRequest.session) await bridge.replayInitialize(perRequest.session);
    request.signal.addEventListener('abort', teardown, { once: true });
    if (request.signal.aborted) teardown();
    const response = await transport.handleRequest(request, { authInfo: perRequest.authInfo, parsedBody: perRequest.parsedBody });
    if (response.body === null || !(response.headers.get('content-type') ?? '').toLowerCase().startsWith('text/event-stream')) {
      teardown();
      return response;
    }
    const reader = response.body.getReader();
    const monitored = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          const { done, value } = await reader.read();
          if (done) {
            teardown();
            controller.close();
            return;
          }
          controller.enqueue(value);
        } catch (error) {
          teardown();
          controller.error(error);
        }
      },
      cancel: async (reason) => {
        teardown();
        await reader.cancel(reason).catch(() => undefined);
      },
    });
    return new Response(monitored, { status: response.status, statusText: response.statusText, headers: response.headers });
  } catch (error) {
    teardown();
    throw error;
  }
}
