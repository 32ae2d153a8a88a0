/**
 * Server child processes of the benchmark: each server runs in its own Node process (so the load
 * generator never shares its event loop), talks to the parent over the IPC channel only, and has
 * its output kept in a short buffer that is printed only when it fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildToParent, ParentToChild } from './protocol.js';

const OUTPUT_KEPT = 16 * 1024;

export interface StartOptions {
  /** Extra environment variables. */
  readonly env?: Record<string, string>;
  /** Extra Node flags (for example `--cpu-prof`). */
  readonly nodeFlags?: readonly string[];
  /** Give up after this many milliseconds. @default 60000 */
  readonly timeoutMs?: number;
}

/** A running server child. */
export class BenchChild {
  #nextId = 1;
  readonly #pending = new Map<number, (usage: NodeJS.MemoryUsage) => void>();
  readonly #pendingCpu = new Map<number, (usage: NodeJS.CpuUsage) => void>();
  #exited: Promise<void>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    /** Port the child listens on (0 when it serves none of its own). */
    readonly port: number,
    /** Milliseconds from spawn to the ready message, measured by the parent. */
    readonly startupMs: number,
    /** Milliseconds from the child's process start to listening, measured in the child. */
    readonly readyMs: number,
    /** What the child reported besides its port. */
    readonly extra: Record<string, unknown>,
    private readonly output: () => string,
  ) {
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.on('message', (message: ChildToParent) => {
      if (message.type === 'memory') {
        const resolve = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        resolve?.(message.usage);
      } else if (message.type === 'cpu') {
        const resolve = this.#pendingCpu.get(message.id);
        this.#pendingCpu.delete(message.id);
        resolve?.(message.usage);
      }
    });
  }

  /** Starts `bench/servers/<script>` and waits for it to listen. */
  static async start(name: string, script: string, options: StartOptions = {}): Promise<BenchChild> {
    const path = fileURLToPath(new URL(`../servers/${script}`, import.meta.url));
    const started = performance.now();
    const child = spawn(process.execPath, ['--expose-gc', ...(options.nodeFlags ?? []), '--import', 'tsx', path], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEPT);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const ready = await new Promise<Extract<ChildToParent, { type: 'ready' }>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start within ${options.timeoutMs ?? 60_000} ms\n${output}`)), options.timeoutMs ?? 60_000);
      child.on('message', (message: ChildToParent) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          resolve(message);
        } else if (message.type === 'failed') {
          clearTimeout(timer);
          reject(new Error(`${name} failed to start: ${message.message}\n${output}`));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code} before it was ready\n${output}`));
      });
    });
    return new BenchChild(name, child, ready.port, performance.now() - started, ready.readyMs, ready.extra, () => output);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Memory of the child after a full garbage collection in it. */
  memory(): Promise<NodeJS.MemoryUsage> {
    return this.#ask('memory', this.#pending);
  }

  /** CPU time the child has used so far (`process.cpuUsage()` in it, microseconds). */
  cpuUsage(): Promise<NodeJS.CpuUsage> {
    return this.#ask('cpu', this.#pendingCpu);
  }

  /** Sends a question and waits (10 s at most) for the answer with the same id. */
  #ask<T>(type: 'memory' | 'cpu', pending: Map<number, (answer: T) => void>): Promise<T> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} did not answer the ${type} request`)), 10_000);
      pending.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.#send({ type, id });
    });
  }

  /** What the child printed lately (for failure reports). */
  recentOutput(): string {
    return this.output();
  }

  /** Asks the child to close and exit; kills it (by its pid) if it has not exited within `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.#send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }

  #send(message: ParentToChild): void {
    if (this.child.connected) this.child.send(message);
  }
}
