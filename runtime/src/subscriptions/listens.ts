/** Most `subscriptions/listen` streams one principal may hold open on one instance. */
export const MAX_LISTENS_PER_PRINCIPAL = 4;

/**
 * Counts the open `subscriptions/listen` streams (2026-07-28) per principal on this instance, so that
 * one principal cannot hold more than its share. A slot is taken before the stream opens and given
 * back exactly once when it ends, however it ends: the client went away, the token expired, the
 * server shut down, or the stream closed.
 */
export class ListenSlots {
  readonly #open = new Map<string, number>();

  constructor(private readonly perPrincipal: number = MAX_LISTENS_PER_PRINCIPAL) {}

  /** Takes a slot for `owner`; returns its release (idempotent), or `undefined` when the owner holds all of its slots. */
  acquire(owner: string): (() => void) | undefined {
    const held = this.#open.get(owner) ?? 0;
    if (held >= this.perPrincipal) return undefined;
    this.#open.set(owner, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#open.get(owner) ?? 1) - 1;
      if (left <= 0) this.#open.delete(owner);
      else this.#open.set(owner, left);
    };
  }

  /** Open streams in all, or of one owner. */
  count(owner?: string): number {
    if (owner !== undefined) return this.#open.get(owner) ?? 0;
    let total = 0;
    for (const held of this.#open.values()) total += held;
    return total;
  }
}

/**
 * The response with its body wrapped so that `release` runs once the stream ends for any reason
 * (read to the end, failed, or cancelled by the consumer); at once when there is no body.
 */
export function releasingWhenDone(response: Response, release: () => void): Response {
  if (response.body === null) {
    release();
    return response;
  }
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          release();
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        release();
        controller.error(error);
      }
    },
    async cancel(reason) {
      release();
      await reader.cancel(reason);
    },
  });
  return new Response(body, { status: response.status, headers: response.headers });
}
