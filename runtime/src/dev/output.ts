import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

/** Where the dev instances' JSON records and EMF metrics go: a file (the default) or the terminal. */
export type DevLogMode = 'file' | 'terminal';

/** An instance as the terminal names it. */
export interface InstanceLabel {
  /** 1-based. */
  readonly index: number;
  readonly port: number;
}

export interface DevOutputOptions {
  readonly mode: DevLogMode;
  /** The file the records go to in `file` mode (truncated at start, mode 0600). */
  readonly logFile: string;
  /** The terminal. @default process.stdout */
  readonly terminal?: NodeJS.WritableStream;
  /** Names the user behind an access record's `principalHash`, when the dev issuer issued the token. */
  readonly userOf?: (principalHash: string) => string | undefined;
}

interface AccessFields {
  readonly time?: string;
  readonly status: number;
  readonly method: string;
  readonly tool?: string;
  readonly outcome?: string;
  readonly latencyMs: number;
  readonly principalHash?: string;
  readonly protocolEra?: string;
}

function isAccessRecord(record: Record<string, unknown>): record is Record<string, unknown> & AccessFields {
  return typeof record.status === 'number' && typeof record.method === 'string' && typeof record.latencyMs === 'number' && typeof record.traceId === 'string';
}

function clock(time: string | undefined): string {
  const date = time ? new Date(time) : new Date();
  return (Number.isNaN(date.getTime()) ? new Date() : date).toTimeString().slice(0, 8);
}

/** Keeps a value read from a record printable on one terminal line. */
function plain(value: unknown, max = 80): string {
  return String(value)
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, max);
}

/**
 * One readable line for one access record: time, instance, method and tool, status and outcome,
 * latency, user, protocol era. Example:
 * `21:05:03 :3000 tools/call whoami → 200 ok, 4.2 ms, alice (legacy)`
 */
export function requestLine(record: AccessFields, instance: InstanceLabel, user: string): string {
  const what = record.tool ? `${plain(record.method)} ${plain(record.tool)}` : plain(record.method);
  const outcome = record.outcome ? ` ${plain(record.outcome)}` : '';
  const era = record.protocolEra ? ` (${plain(record.protocolEra)})` : '';
  return `${clock(record.time)} :${instance.port} ${what} → ${record.status}${outcome}, ${record.latencyMs} ms, ${user}${era}`;
}

/**
 * The terminal and log file of `npm run dev`. Lines the instances write reach it one at a time:
 * - `file` mode (the default): every JSON record and EMF metric record goes to the log file, as the
 *   instance wrote it; the terminal gets one readable line per request and a short line for each
 *   WARN or ERROR record. Anything else an instance prints (not JSON, or on stderr) reaches the terminal.
 * - `terminal` mode: every line goes to the terminal as the instance wrote it, as in production.
 * Until {@link release} is called (after the banner), everything is held back, so the banner comes
 * first and a run that fails to start writes no log file.
 */
export class DevOutput {
  readonly mode: DevLogMode;
  readonly logFile: string | undefined;
  readonly #terminal: NodeJS.WritableStream;
  #file: WriteStream | undefined;
  readonly #userOf: (principalHash: string) => string | undefined;
  #held: string[] | undefined = [];
  #heldRecords: string[] = [];
  #discarding = false;

  constructor(options: DevOutputOptions) {
    this.mode = options.mode;
    this.#terminal = options.terminal ?? process.stdout;
    this.#userOf = options.userOf ?? (() => undefined);
    if (options.mode === 'file') this.logFile = options.logFile;
  }

  /** Writes a line of the dev tool itself (the banner, an instance's death) to the terminal. Never held back. */
  say(text: string): void {
    this.#terminal.write(`${text}\n`);
  }

  /**
   * Start-up succeeded: opens the log file (truncating what an earlier run on this port left) with
   * the records held back so far, and lets the terminal lines held back, and every later one, through.
   */
  release(): void {
    if (!this.#held) return;
    if (this.logFile !== undefined) {
      const logFile = this.logFile;
      this.#file = createWriteStream(logFile, { flags: 'w', mode: 0o600 });
      this.#file.on('error', (error) => this.say(`the log file ${logFile} cannot be written (${error.message}); records are dropped`));
      for (const line of this.#heldRecords) this.#file.write(`${line}\n`);
    }
    this.#heldRecords = [];
    const held = this.#held;
    this.#held = undefined;
    for (const line of held) this.#terminal.write(`${line}\n`);
  }

  /**
   * Start-up failed: drops what was held back (the error message says what mattered) and keeps
   * from then on nothing, so a log file another run on this port writes is never touched.
   */
  discard(): void {
    this.#held = [];
    this.#heldRecords = [];
    this.#discarding = true;
  }

  #toFile(line: string): void {
    if (this.#file) this.#file.write(`${line}\n`);
    else if (!this.#discarding) this.#heldRecords.push(line);
  }

  #toTerminal(line: string): void {
    if (this.#discarding) return;
    if (this.#held) this.#held.push(line);
    else this.#terminal.write(`${line}\n`);
  }

  /** One line an instance wrote on stdout. */
  stdoutLine(instance: InstanceLabel, line: string): void {
    if (line.length === 0) return;
    if (this.mode === 'terminal') return this.#toTerminal(line);
    let record: unknown;
    try {
      record = line.startsWith('{') ? JSON.parse(line) : undefined;
    } catch {
      record = undefined;
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record)) return this.#toTerminal(`[:${instance.port}] ${line}`);
    this.#toFile(line);
    const fields = record as Record<string, unknown>;
    if (isAccessRecord(fields)) {
      const hash = typeof fields.principalHash === 'string' ? fields.principalHash : undefined;
      const user = hash === undefined ? 'no user' : (this.#userOf(hash) ?? `user ${hash.slice(0, 8)}`);
      this.#toTerminal(requestLine(fields, instance, user));
    } else if (fields.level === 'WARN' || fields.level === 'ERROR') {
      const trace = typeof fields.traceId === 'string' ? `, trace ${plain(fields.traceId, 40)}` : '';
      this.#toTerminal(`${clock(typeof fields.timestamp === 'string' ? fields.timestamp : undefined)} :${instance.port} ${fields.level} ${plain(fields.message)}${trace} (the record is in ${this.logFile})`);
    }
  }

  /** One line an instance wrote on stderr: always to the terminal. */
  stderrLine(instance: InstanceLabel, line: string): void {
    if (line.length > 0) this.#toTerminal(`[:${instance.port}] ${line}`);
  }

  /** Closes the log file once everything written has reached it. */
  async close(): Promise<void> {
    if (this.#file && !this.#file.closed) {
      this.#file.end();
      await once(this.#file, 'close').catch(() => undefined);
    }
  }
}
