/**
 * Real parts for the observability tests: a stream that keeps what is written to it, and an
 * OTLP/HTTP receiver on loopback standing in for the collector.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';

/** A writable stream that keeps every line written to it. */
export function captureStream(): { stream: Writable; lines(): string[]; records(): Array<Record<string, unknown>> } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  const lines = (): string[] => text.split('\n').filter((line) => line.length > 0);
  return { stream, lines, records: () => lines().map((line) => JSON.parse(line) as Record<string, unknown>) };
}

/** An EMF record as written by Powertools Metrics. */
export interface EmfRecord {
  _aws: { Timestamp: number; CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> };
  [key: string]: unknown;
}

export function emfRecords(records: Array<Record<string, unknown>>): EmfRecord[] {
  return records.filter((record) => typeof record._aws === 'object') as EmfRecord[];
}

/** One span as the receiver decoded it, in one shape whatever the wire format. */
export interface ReceivedSpan {
  /** 32 hex digits. */
  readonly traceId: string;
  readonly spanId: string;
  /** Empty for a span without a parent. */
  readonly parentSpanId: string;
  readonly traceState: string;
  readonly name: string;
  /** OTLP span kind: 1 internal, 2 server, 3 client. */
  readonly kind: number;
  readonly startNanos: bigint;
  readonly endNanos: bigint;
  readonly attributes: Record<string, unknown>;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
  readonly statusMessage: string;
  /** Attributes of the resource the span was exported with. */
  readonly resource: Record<string, unknown>;
  /** The wire format it arrived in. */
  readonly format: 'json' | 'protobuf';
}

/** An OTLP/HTTP traces endpoint on 127.0.0.1 and a free port. */
export interface OtlpReceiver {
  /** Base URL, for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  readonly endpoint: string;
  /** The traces URL (`endpoint` + `/v1/traces`). */
  readonly tracesUrl: string;
  /** Every span received so far. */
  readonly spans: ReceivedSpan[];
  /** Every raw request body received so far, as text (protobuf bodies decoded as latin1). */
  readonly bodies: string[];
  /** Content types of the export requests, in order. */
  readonly contentTypes: string[];
  /** Resolves with the spans of `traceId` once `count` of them have arrived; rejects after `timeoutMs`. */
  waitForTrace(traceId: string, count: number, timeoutMs?: number): Promise<ReceivedSpan[]>;
  /**
   * Resolves with the spans of `traceId` once its SERVER span has arrived (it ends after its
   * children, so they were exported with it or before); rejects after `timeoutMs`.
   */
  waitForRequest(traceId: string, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

/**
 * Starts an OTLP/HTTP receiver that decodes `ExportTraceServiceRequest` bodies itself: JSON
 * (`application/json`, ids as hex) and protobuf (`application/x-protobuf`, read with the small
 * wire-format reader below, so the test does not trust the exporter's own encoder to check it).
 */
export async function otlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const bodies: string[] = [];
  const contentTypes: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const type = String(req.headers['content-type'] ?? '');
      contentTypes.push(type);
      bodies.push(body.toString('latin1'));
      try {
        if (req.url !== '/v1/traces' || req.method !== 'POST') throw new Error(`unexpected ${req.method} ${req.url}`);
        spans.push(...(type.startsWith('application/json') ? decodeJson(body) : decodeProtobuf(body)));
        res.writeHead(200, { 'content-type': type.startsWith('application/json') ? 'application/json' : 'application/x-protobuf' });
        res.end(type.startsWith('application/json') ? '{}' : '');
      } catch (error) {
        res.writeHead(400);
        res.end(String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    tracesUrl: `${endpoint}/v1/traces`,
    spans,
    bodies,
    contentTypes,
    async waitForTrace(traceId, count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = spans.filter((span) => span.traceId === traceId);
        if (found.length >= count) return found;
        if (Date.now() > deadline) throw new Error(`${found.length} of ${count} spans of trace ${traceId} arrived within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async waitForRequest(traceId, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = spans.filter((span) => span.traceId === traceId);
        if (found.some((span) => span.kind === 2)) return found;
        if (Date.now() > deadline) throw new Error(`no request span of trace ${traceId} within ${timeoutMs} ms (${found.length} other spans)`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface JsonAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: JsonAnyValue[] };
}

function jsonValue(value: JsonAnyValue | undefined): unknown {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(jsonValue);
  return undefined;
}

function jsonAttributes(list: Array<{ key: string; value?: JsonAnyValue }> | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, jsonValue(kv.value)]));
}

function decodeJson(body: Buffer): ReceivedSpan[] {
  interface JsonSpan {
    traceId: string;
    spanId: string;
    parentSpanId?: string;
    traceState?: string;
    name: string;
    kind: number;
    startTimeUnixNano: string | number;
    endTimeUnixNano: string | number;
    attributes?: Array<{ key: string; value?: JsonAnyValue }>;
    status?: { code?: number; message?: string };
  }
  const request = JSON.parse(body.toString('utf8')) as {
    resourceSpans?: Array<{ resource?: { attributes?: Array<{ key: string; value?: JsonAnyValue }> }; scopeSpans?: Array<{ spans?: JsonSpan[] }> }>;
  };
  const out: ReceivedSpan[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const resource = jsonAttributes(resourceSpans.resource?.attributes);
    for (const scope of resourceSpans.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        out.push({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ?? '',
          traceState: span.traceState ?? '',
          name: span.name,
          kind: span.kind,
          startNanos: BigInt(span.startTimeUnixNano),
          endNanos: BigInt(span.endTimeUnixNano),
          attributes: jsonAttributes(span.attributes),
          statusCode: span.status?.code ?? 0,
          statusMessage: span.status?.message ?? '',
          resource,
          format: 'json',
        });
      }
    }
  }
  return out;
}

/** A protobuf wire-format reader: the fields of one message, by number. */
function protoFields(buffer: Buffer): Array<{ field: number; wire: number; value: bigint | Buffer }> {
  const fields: Array<{ field: number; wire: number; value: bigint | Buffer }> = [];
  let offset = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buffer[offset++];
      if (byte === undefined) throw new Error('truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (offset < buffer.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) fields.push({ field, wire, value: varint() });
    else if (wire === 1) {
      fields.push({ field, wire, value: buffer.readBigUInt64LE(offset) });
      offset += 8;
    } else if (wire === 2) {
      const length = Number(varint());
      fields.push({ field, wire, value: buffer.subarray(offset, offset + length) });
      offset += length;
    } else if (wire === 5) {
      fields.push({ field, wire, value: BigInt(buffer.readUInt32LE(offset)) });
      offset += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return fields;
}

function protoMessages(buffer: Buffer, field: number): Buffer[] {
  return protoFields(buffer)
    .filter((f) => f.field === field && f.wire === 2)
    .map((f) => f.value as Buffer);
}

function protoBytes(buffer: Buffer, field: number): Buffer | undefined {
  return protoMessages(buffer, field)[0];
}

function protoNumber(buffer: Buffer, field: number): bigint {
  const found = protoFields(buffer).find((f) => f.field === field && f.wire !== 2);
  return (found?.value as bigint | undefined) ?? 0n;
}

/** `opentelemetry.proto.common.v1.AnyValue`. */
function protoAnyValue(buffer: Buffer): unknown {
  for (const f of protoFields(buffer)) {
    if (f.field === 1) return (f.value as Buffer).toString('utf8');
    if (f.field === 2) return f.value === 1n;
    if (f.field === 3) return Number(BigInt.asIntN(64, f.value as bigint));
    if (f.field === 4) return new Float64Array(new BigUint64Array([f.value as bigint]).buffer)[0];
    if (f.field === 5) return protoMessages(f.value as Buffer, 1).map(protoAnyValue);
  }
  return undefined;
}

/** Repeated `KeyValue` in field `field`. */
function protoAttributes(buffer: Buffer | undefined, field: number): Record<string, unknown> {
  if (!buffer) return {};
  return Object.fromEntries(
    protoMessages(buffer, field).map((kv) => [protoBytes(kv, 1)?.toString('utf8') ?? '', protoAnyValue(protoBytes(kv, 2) ?? Buffer.alloc(0))]),
  );
}

function decodeProtobuf(body: Buffer): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const resourceSpans of protoMessages(body, 1)) {
    const resource = protoAttributes(protoBytes(resourceSpans, 1), 1);
    for (const scopeSpans of protoMessages(resourceSpans, 2)) {
      for (const span of protoMessages(scopeSpans, 2)) {
        const status = protoBytes(span, 15);
        out.push({
          traceId: protoBytes(span, 1)?.toString('hex') ?? '',
          spanId: protoBytes(span, 2)?.toString('hex') ?? '',
          traceState: protoBytes(span, 3)?.toString('utf8') ?? '',
          parentSpanId: protoBytes(span, 4)?.toString('hex') ?? '',
          name: protoBytes(span, 5)?.toString('utf8') ?? '',
          kind: Number(protoNumber(span, 6)),
          startNanos: protoNumber(span, 7),
          endNanos: protoNumber(span, 8),
          attributes: protoAttributes(span, 9),
          statusCode: status ? Number(protoNumber(status, 3)) : 0,
          statusMessage: status ? (protoBytes(status, 2)?.toString('utf8') ?? '') : '',
          resource,
          format: 'protobuf',
        });
      }
    }
  }
  return out;
}
