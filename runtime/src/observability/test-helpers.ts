/**
 * Real parts for the observability tests: a stream that keeps what is written to it, and a UDP
 * listener on loopback standing in for the X-Ray daemon.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
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

/** A segment document as received by the daemon. */
export interface SegmentDocument {
  name: string;
  id: string;
  trace_id: string;
  parent_id?: string;
  start_time: number;
  end_time?: number;
  in_progress?: boolean;
  error?: boolean;
  fault?: boolean;
  throttle?: boolean;
  namespace?: string;
  origin?: string;
  annotations?: Record<string, unknown>;
  http?: { response?: { status?: number } };
  aws?: Record<string, unknown>;
  cause?: { exceptions: Array<Record<string, unknown>> };
  subsegments?: SegmentDocument[];
}

/** A UDP socket on 127.0.0.1 and a free port that parses what X-Ray SDKs send to the daemon. */
export async function fakeXRayDaemon(): Promise<{
  address: string;
  /** Resolves with the next document, or rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<SegmentDocument>;
  /** Resolves with `true` if a document arrives within `ms`. */
  receivesWithin(ms: number): Promise<boolean>;
  close(): Promise<void>;
}> {
  const socket = dgram.createSocket('udp4');
  const received: SegmentDocument[] = [];
  let waiting: ((doc: SegmentDocument) => void) | undefined;
  socket.on('message', (message) => {
    const text = message.toString('utf8');
    const newline = text.indexOf('\n');
    assert.equal(text.slice(0, newline), '{"format":"json","version":1}', 'every datagram starts with the X-Ray protocol header');
    const doc = JSON.parse(text.slice(newline + 1)) as SegmentDocument;
    if (waiting) {
      const deliver = waiting;
      waiting = undefined;
      deliver(doc);
    } else received.push(doc);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();

  const next = (timeoutMs = 2000): Promise<SegmentDocument> => {
    const queued = received.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting = undefined;
        reject(new Error(`no segment within ${timeoutMs} ms`));
      }, timeoutMs);
      waiting = (doc) => {
        clearTimeout(timer);
        resolve(doc);
      };
    });
  };

  return {
    address: `127.0.0.1:${port}`,
    next,
    receivesWithin: (ms) =>
      next(ms).then(
        () => true,
        () => false,
      ),
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}
