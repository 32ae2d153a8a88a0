/**
 * The benchmark's control channel inside a server child process (IPC with the parent, never a
 * network endpoint): the child reports that it listens, answers memory questions after a full
 * garbage collection (the child runs with `--expose-gc`) and CPU-time questions, and stops when told to.
 *
 * This lives in the benchmark only; the product has no such hook.
 */
import type { ChildToParent, ParentToChild } from '../lib/protocol.js';

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return;
  // Two passes: the first may only queue finalizers and weak references.
  gc();
  gc();
}

function send(message: ChildToParent): void {
  process.send?.(message);
}

/**
 * Tells the parent that the server listens on `port` and serves the control messages from then on.
 *
 * @param close - releases everything the server opened; the process exits afterwards.
 */
export function announceReady(port: number, close: () => Promise<void>, extra: Record<string, unknown> = {}): void {
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    try {
      await close();
    } finally {
      // process.exit (not a signal) so that `--cpu-prof` writes its profile.
      process.exit(0);
    }
  };
  process.on('message', (message: ParentToChild) => {
    if (message.type === 'memory') {
      collectGarbage();
      send({ type: 'memory', id: message.id, usage: process.memoryUsage() });
    } else if (message.type === 'cpu') {
      send({ type: 'cpu', id: message.id, usage: process.cpuUsage() });
    } else if (message.type === 'stop') {
      void stop();
    }
  });
  // The parent went away: do not outlive it.
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());
  send({ type: 'ready', port, readyMs: performance.now(), extra });
}

/** Reports a start-up failure to the parent and exits. */
export function failStartup(error: unknown): never {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  send({ type: 'failed', message });
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
