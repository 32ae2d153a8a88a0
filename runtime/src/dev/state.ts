import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What `dev:token` needs to reach a running dev issuer. One file per instance port, mode 0600, in a
 * folder of mode 0700; removed when `npm run dev` exits.
 */
export interface DevState {
  /** The `npm run dev` process that wrote the file: a file whose process is gone is stale. */
  readonly pid: number;
  readonly issuer: string;
  readonly tokenEndpoint: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly resource: string;
  readonly scopes: readonly string[];
  readonly endpoints: readonly string[];
  /** Where the JSON records and EMF metrics of this run go (absent when they go to the terminal). */
  readonly logFile?: string;
}

/** The folder of the dev state files and dev log files. */
export function devStateFolder(): string {
  return join(tmpdir(), 'enterprise-mcp-kit');
}

/** Where the dev state of the dev server instance on `port` is kept. */
export function devStatePath(port: number): string {
  return join(devStateFolder(), `dev-${port}.json`);
}

/** Creates the dev folder (mode 0700) and returns it. */
export function ensureDevStateFolder(): string {
  const folder = devStateFolder();
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  return folder;
}

/** Writes the state file of every port (mode 0600). Returns the paths, in port order. */
export function writeDevState(ports: readonly number[], state: DevState): string[] {
  ensureDevStateFolder();
  return ports.map((port) => {
    const path = devStatePath(port);
    writeFileSync(path, JSON.stringify(state, null, 2), { mode: 0o600 });
    return path;
  });
}

function readState(path: string): DevState | undefined {
  try {
    const state = JSON.parse(readFileSync(path, 'utf8')) as DevState;
    return typeof state.pid === 'number' && typeof state.tokenEndpoint === 'string' ? state : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the state files of `ports` that this process (or `pid`) wrote; a file another run wrote
 * for the same port is left alone. Synchronous, so it also runs from an `exit` handler. Never throws.
 */
export function removeDevState(ports: readonly number[], pid: number = process.pid): void {
  for (const port of ports) {
    const path = devStatePath(port);
    if (readState(path)?.pid === pid) rmSync(path, { force: true });
  }
}

/**
 * The state of the dev server instance on `port`, if a live `npm run dev` wrote it. A file left by
 * a run that is gone (killed with SIGKILL, a crash of the machine) is removed and reported as stale.
 */
export function findDevState(port: number): { state: DevState } | { stale: true } | undefined {
  const path = devStatePath(port);
  const state = readState(path);
  if (!state) return undefined;
  if (alive(state.pid)) return { state };
  rmSync(path, { force: true });
  return { stale: true };
}

/** The ports of the dev server instances running now (live state files), ascending. */
export function runningDevPorts(): number[] {
  let names: string[];
  try {
    names = readdirSync(devStateFolder());
  } catch {
    return [];
  }
  return names
    .map((name) => /^dev-(\d+)\.json$/.exec(name)?.[1])
    .filter((port): port is string => port !== undefined)
    .map(Number)
    .filter((port) => {
      const state = readState(devStatePath(port));
      return state !== undefined && alive(state.pid);
    })
    .sort((a, b) => a - b);
}
