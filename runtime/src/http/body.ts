import type { IncomingMessage } from 'node:http';

/** The body was larger than allowed; nothing of it was parsed. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** The body did not arrive within its deadline (a trickled body); nothing of it was parsed. */
export class BodyTimeoutError extends Error {
  override readonly name = 'BodyTimeoutError';
}

/** The client went away before its body was read; there is no one left to answer. */
export class ClientGoneError extends Error {
  override readonly name = 'ClientGoneError';
}

function ignoreLateError(): void {}

/** How long a body may take: a fixed allowance plus its size at the slowest rate accepted. */
export interface BodyDeadline {
  readonly baseMs: number;
  readonly minBytesPerSecond: number;
}

/**
 * The deadline for a body of `declared` bytes (the limit when no `Content-Length` was sent), so a
 * body trickled a byte at a time cannot hold its slot for long.
 */
export function bodyDeadlineMs(deadline: BodyDeadline, declared: number): number {
  return deadline.baseMs + Math.ceil((declared / deadline.minBytesPerSecond) * 1000);
}

/**
 * Reads a request body up to `limit` bytes. Stops reading and rejects with `BodyTooLargeError` as
 * soon as the limit is passed (the declared `Content-Length` is checked first, so an honest oversized
 * request is refused before a byte is read). Rejects with `ClientGoneError` when the client closed
 * the connection before the body was complete, also when that happened before this was called (a
 * destroyed request emits nothing more, so waiting for `end` would wait forever). With `deadline`,
 * rejects with `BodyTimeoutError` when the whole body has not arrived in time (see
 * {@link bodyDeadlineMs}).
 */
export function readBody(req: IncomingMessage, limit: number, deadline?: BodyDeadline): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLargeError());
  if (req.destroyed || req.readableAborted) return Promise.reject(new ClientGoneError());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.resume();
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onGone = () => {
      cleanup();
      reject(new ClientGoneError());
    };
    const timer =
      deadline &&
      setTimeout(
        () => {
          cleanup();
          reject(new BodyTimeoutError());
        },
        bodyDeadlineMs(deadline, Number.isFinite(declared) ? declared : limit),
      );
    timer?.unref();
    const cleanup = () => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onGone);
      // An error the request emits after this settled (a reset arriving late) has nobody to tell;
      // without a listener it would be thrown as an uncaught exception.
      req.off('error', onGone);
      req.on('error', ignoreLateError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onGone);
    req.on('close', onGone);
  });
}

/** Whether a Content-Type names JSON (`application/json`, parameters allowed). */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  return contentType.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
}
