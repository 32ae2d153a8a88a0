import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { CancelSource } from '../tools/invoke.js';

// One 'close' listener per socket, however many requests are pipelined on it: a keep-alive socket
// carries many requests, and a listener per request would pile up on it.
const socketWatchers = new WeakMap<Socket, Set<() => void>>();

/**
 * Calls `listener` once when `socket` closes (at once when it is already destroyed). Returns the
 * function that stops watching; call it when the request settles so nothing stays on the socket.
 *
 * Node emits no `'close'` on a pipelined response still queued behind another when the client
 * goes away, so every watch of a request's fate goes through the socket as well.
 */
export function onSocketClose(socket: Socket, listener: () => void): () => void {
  if (socket.destroyed) {
    queueMicrotask(listener);
    return () => undefined;
  }
  let watchers = socketWatchers.get(socket);
  if (!watchers) {
    const created = new Set<() => void>();
    watchers = created;
    socketWatchers.set(socket, created);
    socket.once('close', () => {
      socketWatchers.delete(socket);
      for (const watcher of created) watcher();
      created.clear();
    });
  }
  watchers.add(listener);
  const own = watchers;
  return () => {
    own.delete(listener);
  };
}

/**
 * Watches one response for the client going away before it is complete: the response closes
 * unfinished, or the request's socket closes (which also covers a pipelined response Node never
 * attached to the socket). It is a {@link CancelSource} for tool calls without an AbortController
 * of its own (creating one is among the dearer things a request does in Node); `signal` makes a
 * real `AbortSignal` on demand for the SDK's web `Request`. Call {@link dispose} when the request
 * settles.
 */
export class ClientDisconnect implements CancelSource {
  #aborted = false;
  #listeners: Array<() => void> | undefined;
  #controller: AbortController | undefined;
  readonly #unwatch: () => void;

  constructor(res: ServerResponse<IncomingMessage>) {
    const gone = () => {
      if (!res.writableFinished) this.#abort();
    };
    res.once('close', gone);
    this.#unwatch = onSocketClose(res.req.socket, gone);
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  /** An `AbortSignal` that aborts with this watch (made on first use). */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort();
    }
    return this.#controller.signal;
  }

  /** Calls `listener` once when the client goes away; as with an `AbortSignal`, check `aborted` first. */
  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.#aborted) return;
    (this.#listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const index = this.#listeners?.indexOf(listener) ?? -1;
    if (index >= 0) this.#listeners!.splice(index, 1);
  }

  /** Stops watching the socket (the response's own listener goes with the response). */
  dispose(): void {
    this.#unwatch();
  }

  #abort(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#unwatch();
    this.#controller?.abort();
    const listeners = this.#listeners ?? [];
    this.#listeners = undefined;
    for (const listener of listeners) {
      try {
        listener();
      } catch (error) {
        // as EventTarget does: a failing listener neither stops the others nor disappears
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}

/**
 * Calls `done` once when `res` is over for good: finished (handed to the kernel), closed, or its
 * socket closed. When that has not happened within `deadlineMs`, the connection is destroyed (a
 * client that does not read its answer loses it) and `done` follows. Nothing is left on the socket
 * or in a timer afterwards.
 */
export function whenResponseOver(res: ServerResponse<IncomingMessage>, deadlineMs: number, done: () => void): void {
  if (res.writableFinished || res.destroyed || res.req.socket.destroyed) {
    done();
    return;
  }
  let over = false;
  const finish = () => {
    if (over) return;
    over = true;
    clearTimeout(timer);
    unwatch();
    res.off('finish', finish);
    res.off('close', finish);
    done();
  };
  const timer = setTimeout(() => {
    // The response may still be queued behind another (never given the socket): destroy the socket.
    res.req.socket.destroy();
    res.destroy();
    finish();
  }, deadlineMs);
  timer.unref();
  res.once('finish', finish);
  res.once('close', finish);
  const unwatch = onSocketClose(res.req.socket, finish);
}
