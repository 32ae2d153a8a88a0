/**
 * One load run with autocannon's programmatic API. Latencies are recorded from autocannon's
 * per-response event with sub-millisecond precision (its own histogram counts whole milliseconds),
 * and every response body goes through a check, so an answer that is not a real success counts as
 * an error even when its status is 200 (a non-2xx answer counts once, as non-2xx).
 */
import autocannon, { type AutocannonClient, type AutocannonResult } from 'autocannon';

export interface LoadSpec {
  readonly url: string;
  /** @default 'POST' */
  readonly method?: 'POST' | 'DELETE';
  /** Request body (none for DELETE). */
  readonly body: string;
  /** Headers of every request. */
  readonly headers: Record<string, string>;
  /** Headers added for the connection with this index (its token, its session). */
  readonly perConnection?: (index: number) => Record<string, string>;
  /** Headers added to each request in turn (for requests that use something up, like DELETE). */
  readonly perRequest?: () => Record<string, string>;
  readonly connections: number;
  readonly seconds: number;
  /** Stop after this many requests (or `seconds`, whichever comes first). */
  readonly amount?: number;
  /** Whether a response body is a real success. */
  readonly verify: (body: string) => boolean;
}

export interface LoadFigures {
  readonly connections: number;
  readonly seconds: number;
  readonly responses: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly non2xx: number;
  /** Socket errors and timeouts. */
  readonly socketErrors: number;
  /** 2xx answers whose body failed the check (JSON-RPC errors, `isError` results, anything else). */
  readonly badBodies: number;
  /** non2xx + socketErrors + badBodies. */
  readonly errors: number;
  /** The first body seen, and the first failing one (for the report). */
  readonly sampleBody: string | undefined;
  readonly firstBadBody: string | undefined;
  readonly statusCodes: Readonly<Record<string, number>>;
}

/** Exact percentile of sorted samples (nearest rank). */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Runs one load and summarises it. */
export function runLoad(spec: LoadSpec): Promise<LoadFigures> {
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let sampleBody: string | undefined;
  let firstBadBody: string | undefined;
  let connectionIndex = 0;
  let badBodies = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        method: spec.method ?? 'POST',
        headers: spec.headers,
        ...(spec.method === 'DELETE' ? {} : { body: spec.body }),
        connections: spec.connections,
        duration: spec.seconds,
        ...(spec.amount !== undefined ? { amount: spec.amount } : {}),
        timeout: 10,
        setupClient: (client: AutocannonClient) => {
          const index = connectionIndex++;
          if (spec.perConnection) client.setHeaders({ ...spec.headers, ...spec.perConnection(index) });
        },
        requests: [
          {
            ...(spec.perRequest
              ? {
                  setupRequest: (request: { headers?: Record<string, string> }) => ({ ...request, headers: { ...request.headers, ...spec.perRequest!() } }),
                }
              : {}),
            onResponse: (status: number, body: string) => {
              sampleBody ??= body;
              if (status >= 200 && status < 300 && !spec.verify(body)) {
                badBodies += 1;
                firstBadBody ??= body;
              } else if (status >= 300) {
                firstBadBody ??= `HTTP ${status}: ${body}`;
              }
            },
          },
        ],
      },
      (error: Error | null, result: AutocannonResult) => {
        if (error) return reject(error);
        const sorted = latencies.slice(0, count).sort();
        let sum = 0;
        for (const value of sorted) sum += value;
        const statusCodes: Record<string, number> = {};
        for (const [code, { count: n }] of Object.entries(result.statusCodeStats)) statusCodes[code] = n;
        const socketErrors = result.errors;
        resolve({
          connections: spec.connections,
          seconds: result.duration,
          responses: count,
          requestsPerSecond: count / result.duration,
          p50Ms: percentile(sorted, 0.5),
          p99Ms: percentile(sorted, 0.99),
          meanMs: count > 0 ? sum / count : 0,
          non2xx: result.non2xx,
          socketErrors,
          badBodies,
          errors: result.non2xx + socketErrors + badBodies,
          sampleBody,
          firstBadBody,
          statusCodes,
        });
      },
    );
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTimeMs: number) => {
      if (count === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[count++] = responseTimeMs;
    });
  });
}
