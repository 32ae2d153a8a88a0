/**
 * The configuration of the OpenTelemetry collector sidecar (AWS Distro for OpenTelemetry), passed
 * to it in `AOT_CONFIG_CONTENT`. JSON is valid YAML, so the document is built as an object and
 * serialised with `JSON.stringify`: no YAML library, no indentation mistakes.
 *
 * Path: the runtime exports spans over OTLP/HTTP protobuf to `127.0.0.1:4318` (the task's
 * loopback, shared by the containers of a Fargate task); the collector batches them and writes
 * them to X-Ray with `PutTraceSegments` through its `awsxray` exporter, indexing the request
 * labels as X-Ray annotations under the names the X-Ray SDK segments had.
 */

/** Port of the collector's OTLP/HTTP receiver on the task loopback. */
export const COLLECTOR_OTLP_HTTP_PORT = 4318;

/** Memory (MiB) the collector container may use; its memory limiter keeps below it. */
export const COLLECTOR_MEMORY_LIMIT_MIB = 128;

/** Span attributes indexed as X-Ray annotations (searchable with `annotation.<name>`). */
export const INDEXED_SPAN_ATTRIBUTES = ['method', 'tool', 'outcome', 'era', 'principal', 'client_id', 'region'] as const;

/**
 * The collector configuration for one region: an OTLP/HTTP receiver on loopback only, a memory
 * limiter and a batch processor, the `awsxray` exporter, and nothing else (no metrics or logs
 * pipeline: metrics stay EMF in the application log, logs go through the awslogs driver).
 */
export function otelCollectorConfig(region: string): string {
  return JSON.stringify({
    receivers: {
      otlp: { protocols: { http: { endpoint: `127.0.0.1:${COLLECTOR_OTLP_HTTP_PORT}` } } },
    },
    processors: {
      memory_limiter: { check_interval: '1s', limit_mib: COLLECTOR_MEMORY_LIMIT_MIB - 28, spike_limit_mib: 20 },
      batch: { timeout: '1s', send_batch_size: 50, send_batch_max_size: 50 },
    },
    exporters: {
      awsxray: { region, indexed_attributes: [...INDEXED_SPAN_ATTRIBUTES] },
    },
    service: {
      telemetry: { logs: { level: 'warn' }, metrics: { level: 'none' } },
      pipelines: {
        traces: { receivers: ['otlp'], processors: ['memory_limiter', 'batch'], exporters: ['awsxray'] },
      },
    },
  });
}
