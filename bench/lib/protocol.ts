/** Messages between the benchmark and its server child processes (over the IPC channel only). */

export type ChildToParent =
  | {
      readonly type: 'ready';
      readonly port: number;
      /** `performance.now()` in the child when it listened: milliseconds since its process started. */
      readonly readyMs: number;
      readonly extra: Record<string, unknown>;
    }
  | { readonly type: 'memory'; readonly id: number; readonly usage: NodeJS.MemoryUsage }
  | { readonly type: 'cpu'; readonly id: number; readonly usage: NodeJS.CpuUsage }
  | { readonly type: 'failed'; readonly message: string };

export type ParentToChild = { readonly type: 'memory'; readonly id: number } | { readonly type: 'cpu'; readonly id: number } | { readonly type: 'stop' };
