import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CancelSource } from '../tools/invoke.js';

/** An answer the kit built itself: status, headers and a complete body, written in one go. */
export interface DirectReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What the MCP endpoint answers: a reply of its own, or the SDK's web `Response`. */
export type McpReply = DirectReply | Response;

/** A JSON reply (`cache-control: no-store`), for answers the endpoint gives itself. */
export function jsonReply(status: number, body: unknown, headers: Record<string, string> = {}): DirectReply {
  return { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }, body: JSON.stringify(body) };
}

function mediaType(value: string | null): string {
  return (value ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

/**
 * Writes an endpoint answer to the node response.
 *
 * A direct reply and a JSON `Response` are complete documents: they are written with a
 * `Content-Length` in one write. Nothing is written once the client has gone. Any other `Response` body (an SSE stream) is streamed chunk by
 * chunk, honouring back-pressure, and stops when `signal` aborts (the client went away). No wait
 * is unbounded: a client that takes no bytes for `sendTimeoutMs` while the stream waits for
 * `'drain'` loses its connection, and the writer returns.
 */
export async function writeReply(res: ServerResponse<IncomingMessage>, reply: McpReply, signal: CancelSource, sendTimeoutMs: number): Promise<void> {
  if (signal.aborted || res.destroyed) {
    // The client went away before its answer was ready: nothing is written, and the access log
    // records 499 (client closed request), as the SDK answers an exchange whose client left.
    if (!res.headersSent) res.statusCode = 499;
    if (reply instanceof Response) await reply.body?.cancel().catch(() => undefined);
    return;
  }
  if (!(reply instanceof Response)) {
    if (reply.status === 204 || reply.status === 304) {
      res.writeHead(reply.status, reply.headers);
      res.end();
      return;
    }
    res.writeHead(reply.status, { ...reply.headers, 'content-length': String(Buffer.byteLength(reply.body)) });
    res.end(reply.body);
    return;
  }
  const headers: Record<string, string> = {};
  reply.headers.forEach((value, name) => {
    headers[name] = value;
  });
  if (reply.body === null) {
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  if (mediaType(reply.headers.get('content-type')) === 'application/json') {
    const body = Buffer.from(await reply.arrayBuffer());
    headers['content-length'] = String(body.length);
    res.writeHead(reply.status, headers);
    res.end(body);
    return;
  }
  res.writeHead(reply.status, headers);
  let wake: (() => void) | undefined;
  const onWake = () => {
    wake?.();
    wake = undefined;
  };
  signal.addEventListener('abort', onWake);
  res.on('drain', onWake);
  const reader = reply.body.getReader();
  let stalled = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (signal.aborted || res.destroyed) {
        await reader.cancel().catch(() => undefined);
        break;
      }
      if (res.write(value)) continue;
      // Back-pressure: wait for 'drain', the client leaving, or the send deadline, whichever comes first.
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(() => {
          stalled = true;
          resolve();
        }, sendTimeoutMs);
      });
      clearTimeout(timer);
      if (stalled || signal.aborted) {
        await reader.cancel().catch(() => undefined);
        break;
      }
    }
  } catch {
    // the stream failed or was cancelled: end the response with what was sent
  } finally {
    res.off('drain', onWake);
    signal.removeEventListener('abort', onWake);
    reader.releaseLock();
  }
  if (stalled) {
    // The client took nothing for the whole send deadline; a pipelined response may not even hold
    // the socket yet, so the socket itself goes.
    res.req.socket.destroy();
    res.destroy();
    return;
  }
  res.end();
}
