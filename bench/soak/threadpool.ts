// Keeps the libuv thread pool busy for a while, as a loaded server's pool is (DNS lookups, file
// reads, zlib, crypto). The server verifies token signatures with WebCrypto on that pool, so while it
// is busy a request with a token the server has not cached stays in verification: the soak uses
// that to close a connection at a point the server is certain to be verifying, not by chance.
import { pbkdf2, pbkdf2Sync } from 'node:crypto';

const POOL_SIZE = Math.max(1, Number(process.env.UV_THREADPOOL_SIZE ?? 4) || 4);
let iterationsPerMs: number | undefined;

/** PBKDF2 iterations per millisecond on this machine (measured once). */
function calibrate(): number {
  if (iterationsPerMs !== undefined) return iterationsPerMs;
  const iterations = 20_000;
  const started = performance.now();
  pbkdf2Sync('soak', 'threadpool', iterations, 32, 'sha256');
  iterationsPerMs = iterations / Math.max(0.1, performance.now() - started);
  return iterationsPerMs;
}

/** Occupies every thread of the pool for about `ms`; resolves when the pool is free again. */
export function occupyThreadPool(ms: number): Promise<void> {
  const iterations = Math.max(1, Math.round(calibrate() * ms));
  return Promise.all(
    Array.from(
      { length: POOL_SIZE },
      () => new Promise<void>((resolve, reject) => pbkdf2('soak', 'threadpool', iterations, 32, 'sha256', (error) => (error ? reject(error) : resolve()))),
    ),
  ).then(() => undefined);
}
