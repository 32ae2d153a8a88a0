// The parts of autocannon 9 the benchmark uses (the package ships no type declarations).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  /** One load-generating connection. */
  export interface AutocannonClient extends EventEmitter {
    setHeaders(headers: Record<string, string>): void;
  }

  export interface AutocannonOptions {
    url: string;
    method?: 'GET' | 'POST' | 'DELETE';
    headers?: Record<string, string>;
    body?: string;
    connections?: number;
    /** Seconds. */
    duration?: number;
    /** Stop after this many requests instead of after `duration`. */
    amount?: number;
    /** Seconds before a request counts as timed out. */
    timeout?: number;
    pipelining?: number;
    /** Called once per connection, before its first request. */
    setupClient?: (client: AutocannonClient) => void;
    /** Every response body goes through this; `false` counts a mismatch. */
    verifyBody?: (body: string) => boolean;
    /** Requests sent in turn; fields not given come from the options above. */
    requests?: Array<{
      method?: 'GET' | 'POST' | 'DELETE';
      onResponse?: (status: number, body: string) => void;
      /** Called before every request; the returned request is sent. */
      setupRequest?: (request: { headers?: Record<string, string>; method?: string; body?: string }) => { headers?: Record<string, string>; method?: string; body?: string };
    }>;
  }

  export interface AutocannonResult {
    duration: number;
    errors: number;
    timeouts: number;
    mismatches: number;
    non2xx: number;
    resets: number;
    '2xx': number;
    statusCodeStats: Record<string, { count: number }>;
    requests: { average: number; total: number; sent: number };
    latency: { p50: number; p99: number; average: number; max: number };
  }

  /** Emits `response` (client, statusCode, bytes, responseTimeMs) for every answer. */
  export type AutocannonInstance = EventEmitter & { stop(): void };

  export default function autocannon(options: AutocannonOptions, callback: (error: Error | null, result: AutocannonResult) => void): AutocannonInstance;
}
