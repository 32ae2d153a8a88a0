import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { DevOutput, InstanceLabel } from './output.js';

/** How long an instance may take to report that it listens. */
const START_TIMEOUT_MS = 60_000;
/** Restarts of one instance allowed within {@link RESTART_WINDOW_MS} before giving up on it. */
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 60_000;
const RESTART_DELAYS_MS = [500, 2_000, 5_000];

/** An instance that did not come up. The message says why, in words a newcomer acts on. */
export class InstanceStartError extends Error {
  override readonly name = 'InstanceStartError';
}

export interface DevInstancesOptions {
  /** The server entry point (`runtime/src/main.ts`), run with `--import tsx`. */
  readonly entry: string;
  readonly ports: readonly number[];
  /** The environment of the instance on `port`. */
  readonly environment: (port: number) => NodeJS.ProcessEnv;
  readonly output: DevOutput;
  /** Called when no instance is left and none is being restarted. */
  readonly onAllGone: () => void;
}

interface Instance {
  readonly label: InstanceLabel;
  child: ChildProcess | undefined;
  /** Set while `npm run dev` itself stops the instance. */
  stopping: boolean;
  restarts: number[];
  restarting: boolean;
  /** Kept while starting, to explain a failed start. */
  stderr: string[];
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by ${signal}` : `exited with code ${code}`;
}

/**
 * The server processes of `npm run dev`: the production entry point, one process per port, each
 * reporting the port it bound over an IPC channel (so a start-up check can never be answered by
 * another server on that port). After start-up, an instance that dies is reported, the others keep
 * serving (every session lives in the shared store), and it is restarted on its port, at most
 * three times a minute.
 */
export class DevInstances {
  readonly #options: DevInstancesOptions;
  readonly #instances: Instance[];
  #stopping = false;

  constructor(options: DevInstancesOptions) {
    this.#options = options;
    this.#instances = options.ports.map((port, index) => ({
      label: { index: index + 1, port },
      child: undefined,
      stopping: false,
      restarts: [],
      restarting: false,
      stderr: [],
    }));
  }

  /** The process ids of the running instances, in port order (undefined while one is down). */
  pids(): (number | undefined)[] {
    return this.#instances.map((instance) => instance.child?.pid);
  }

  /**
   * Starts every instance and resolves when each has reported, over its IPC channel, that it
   * listens on its port (so another server already on that port cannot pass for it).
   *
   * @throws InstanceStartError when one exits or does not report in time; the others are stopped.
   */
  async start(): Promise<void> {
    try {
      await Promise.all(this.#instances.map((instance) => this.#launch(instance)));
    } catch (error) {
      await this.stop();
      throw error;
    }
    for (const instance of this.#instances) this.#watch(instance);
  }

  #launch(instance: Instance): Promise<void> {
    const { port } = instance.label;
    instance.stderr = [];
    const child = spawn(process.execPath, ['--import', 'tsx', this.#options.entry], {
      env: this.#options.environment(port),
      // Its own process group: Ctrl+C reaches `npm run dev`, which stops the instances in order.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    instance.child = child;
    createInterface({ input: child.stdout! }).on('line', (line) => this.#options.output.stdoutLine(instance.label, line));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (instance.stderr.length < 50) instance.stderr.push(line);
      this.#options.output.stderrLine(instance.label, line);
    });
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new InstanceStartError(`instance ${instance.label.index} (port ${port}) did not report that it listens within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      const cleanup = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('close', onExit);
      };
      const fail = (error: Error) => {
        cleanup();
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        reject(error);
      };
      const onMessage = (message: unknown) => {
        const report = message as { kind?: unknown; port?: unknown };
        if (report?.kind !== 'listening') return;
        if (report.port !== port) return fail(new InstanceStartError(`instance ${instance.label.index} listens on port ${String(report.port)}, not ${port}`));
        cleanup();
        resolve();
      };
      // 'close' comes after the last stderr lines, which explain the exit.
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => fail(this.#startFailure(instance, code, signal));
      child.on('message', onMessage);
      child.once('close', onExit);
    });
  }

  #startFailure(instance: Instance, code: number | null, signal: NodeJS.Signals | null): InstanceStartError {
    const { index, port } = instance.label;
    const output = instance.stderr.join('\n');
    if (/EADDRINUSE/.test(output)) {
      return new InstanceStartError(
        `port ${port} is already in use on 127.0.0.1, so instance ${index} could not listen there. ` +
          `Stop the program using it (lsof -i :${port} names it), or start on other ports: npm run dev -- --port ${port + 100} (or --port 0 for free ones).`,
      );
    }
    const detail = output.length > 0 ? `:\n${output}` : '';
    return new InstanceStartError(`instance ${index} (port ${port}) stopped during start-up (${describeExit(code, signal)})${detail}`);
  }

  #watch(instance: Instance): void {
    instance.child?.once('exit', (code, signal) => {
      if (this.#stopping || instance.stopping) return;
      instance.child = undefined;
      const others = this.#instances.filter((other) => other !== instance && other.child !== undefined).length;
      const { index, port } = instance.label;
      const carryOn = others === 0 ? '; no other instance is running' : others === 1 ? '; the other instance keeps serving every session' : `; the other ${others} instances keep serving every session`;
      this.#options.output.say(`instance ${index} (port ${port}) stopped: ${describeExit(code, signal)}${carryOn}.`);
      void this.#restart(instance);
    });
  }

  async #restart(instance: Instance): Promise<void> {
    const { index, port } = instance.label;
    const now = Date.now();
    instance.restarts = instance.restarts.filter((time) => now - time < RESTART_WINDOW_MS);
    if (instance.restarts.length >= MAX_RESTARTS) {
      this.#options.output.say(`instance ${index} (port ${port}) stopped ${MAX_RESTARTS} times within a minute; it is not restarted again. Restart npm run dev to bring it back.`);
      this.#checkAllGone();
      return;
    }
    const delay = RESTART_DELAYS_MS[instance.restarts.length] ?? RESTART_DELAYS_MS.at(-1)!;
    instance.restarts.push(now);
    instance.restarting = true;
    this.#options.output.say(`Restarting instance ${index} on port ${port}…`);
    await new Promise((resolve) => setTimeout(resolve, delay));
    if (this.#stopping) return;
    try {
      await this.#launch(instance);
      instance.restarting = false;
      this.#options.output.say(`instance ${index} (port ${port}) is serving again (pid ${instance.child?.pid}).`);
      this.#watch(instance);
    } catch (error) {
      instance.restarting = false;
      instance.child = undefined;
      if (this.#stopping) return;
      this.#options.output.say(`instance ${index} (port ${port}) did not restart: ${(error as Error).message}`);
      void this.#restart(instance);
    }
  }

  #checkAllGone(): void {
    if (this.#instances.every((instance) => instance.child === undefined && !instance.restarting)) this.#options.onAllGone();
  }

  /** Stops every instance (SIGTERM: each drains its requests in flight) and waits for them to exit. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      this.#instances.map(async (instance) => {
        const child = instance.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        instance.stopping = true;
        // 'close': after the exit and the last lines of its output (the final metrics) were read.
        const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
        child.kill('SIGTERM');
        await exited;
      }),
    );
  }
}
