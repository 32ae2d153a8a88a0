/**
 * The OpenTelemetry SDK parts of the tracer: loaded on first use (so a process with tracing off
 * never loads them), an id generator that makes X-Ray-compatible ids, and the OTLP/HTTP exporter
 * for the configured protocol.
 */
import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';
import type * as OtelCore from '@opentelemetry/core';
import type * as OtlpHttp from '@opentelemetry/exporter-trace-otlp-http';
import type * as OtlpProto from '@opentelemetry/exporter-trace-otlp-proto';
import type * as XRayPropagator from '@opentelemetry/propagator-aws-xray';
import type * as OtelResources from '@opentelemetry/resources';
import type * as OtelSdk from '@opentelemetry/sdk-trace';
import { mintTraceId, randomHex, toW3cTraceId } from './trace-context.js';

/** Wire formats of OTLP over HTTP (`OTEL_EXPORTER_OTLP_PROTOCOL`); gRPC is not offered. */
export type OtlpProtocol = 'http/json' | 'http/protobuf';

/** Where and how spans are exported. */
export interface OtlpExport {
  /** Full URL of the traces endpoint (`…/v1/traces`). */
  readonly url: string;
  readonly protocol: OtlpProtocol;
}

/** The modules the tracer uses, loaded together. */
export interface OtelModules {
  readonly api: typeof OtelApi;
  readonly core: typeof OtelCore;
  readonly sdk: typeof OtelSdk;
  readonly resources: typeof OtelResources;
  readonly xray: typeof XRayPropagator;
}

let modules: OtelModules | undefined;

/**
 * Loads the API, SDK, core, resources and X-Ray propagator once, all through `require` so that
 * every one of them sees the same copy of the API.
 */
export function loadOpenTelemetry(): OtelModules {
  if (modules) return modules;
  const require = createRequire(import.meta.url);
  modules = {
    api: require('@opentelemetry/api') as typeof OtelApi,
    core: require('@opentelemetry/core') as typeof OtelCore,
    sdk: require('@opentelemetry/sdk-trace') as typeof OtelSdk,
    resources: require('@opentelemetry/resources') as typeof OtelResources,
    xray: require('@opentelemetry/propagator-aws-xray') as typeof XRayPropagator,
  };
  return modules;
}

/**
 * Trace and span ids for X-Ray: a trace id starts with the current time in seconds (8 hex
 * digits), as X-Ray requires, followed by 96 bits from the CSPRNG; span ids are 64 bits from the
 * CSPRNG. `useNextTraceId` hands the SDK a trace id the request already has (an ALB root, or one
 * minted before the span existed) for the next root span: the SDK asks the generator exactly
 * once, synchronously, inside `startSpan`.
 *
 * The same format as `@opentelemetry/id-generator-aws-xray`, which is not used: its 2.1 release
 * depends on `sdk-trace-base` 2.x, whose peer range excludes the API the 0.301 exporters need, and
 * draws its bits from `Math.random`.
 */
export class XRayIdGenerator implements OtelSdk.IdGenerator {
  #next: string | undefined;

  /** The trace id (32 hex digits) the next `generateTraceId` returns. */
  useNextTraceId(traceId: string): void {
    this.#next = traceId;
  }

  generateTraceId(): string {
    const next = this.#next;
    this.#next = undefined;
    return next ?? toW3cTraceId(mintTraceId());
  }

  generateSpanId(): string {
    return randomHex(8);
  }
}

/** Time an export may take before it is abandoned, and the longest wait for spans on shutdown. */
export const EXPORT_TIMEOUT_MS = 5000;

/**
 * The OTLP/HTTP span exporter for `target`: JSON or protobuf bodies, headers, certificates and
 * compression from the standard `OTEL_EXPORTER_OTLP_*` variables. Its connections go through one
 * keep-alive agent owned here, so that `close()` can end them.
 */
export function createOtlpExporter(target: OtlpExport): { exporter: OtelSdk.SpanExporter; close(): void } {
  const require = createRequire(import.meta.url);
  const agents: Array<{ destroy(): void }> = [];
  const httpAgentOptions = (protocol: string) => {
    const module = (protocol === 'https:' ? require('node:https') : require('node:http')) as typeof import('node:http');
    const agent = new module.Agent({ keepAlive: true, maxSockets: 4 });
    agents.push(agent);
    return agent;
  };
  const config = { url: target.url, timeoutMillis: EXPORT_TIMEOUT_MS, httpAgentOptions };
  const close = (): void => {
    for (const agent of agents.splice(0)) agent.destroy();
  };
  if (target.protocol === 'http/json') {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof OtlpHttp;
    return { exporter: new OTLPTraceExporter(config), close };
  }
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto') as typeof OtlpProto;
  return { exporter: new OTLPTraceExporter(config), close };
}

/**
 * Passes every batch to `inner` and reports the first failed export (collector down, refused,
 * timed out) once; later failures are not reported again, so a missing collector cannot flood the
 * log.
 */
export class ReportingExporter implements OtelSdk.SpanExporter {
  #reported = false;

  constructor(
    private readonly inner: OtelSdk.SpanExporter,
    private readonly onFailure: (error: Error) => void,
  ) {}

  export(spans: OtelSdk.ReadableSpan[], resultCallback: (result: OtelCore.ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code !== 0 && !this.#reported) {
        this.#reported = true;
        try {
          this.onFailure(result.error ?? new Error('span export failed'));
        } catch {
          // reporting must not break exporting
        }
      }
      resultCallback(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
