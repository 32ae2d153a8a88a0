import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CancelSource } from '../tools/invoke.js';

/**
 * Watches one response for the client going away before it is complete (the socket closes first).
 * It is a {@link CancelSource} for tool calls without an AbortController of its own (creating one
 * is among the dearer things a request does in Node); `signal` makes a real `AbortSignal` on demand
 * for the SDK's web `Request`.
 */
export class ClientDisconnect implements CancelSource {
  #aborted = false;
  #listeners: Array<() => void> | undefined;
  #controller: AbortController | undefined;

  constructor(res: ServerResponse<IncomingMessage>) {
    res.once('close', () => {
      if (!res.writableFinished) this.#abort();
    });
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

  #abort(): void {
    if (this.#aborted) return;
    this.#aborted = true;
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
