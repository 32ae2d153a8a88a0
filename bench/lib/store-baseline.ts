/**
 * The floor of a durable session write: bare conditional `PutItem` calls (`attribute_not_exists`,
 * a fresh key each, an item the size of a session record) against the same store the kit's server
 * uses, with the store's own client settings, from `connections` callers at once for `seconds`,
 * after `warmupSeconds` of the same load (the servers get the same warm-up, so the SDK's code is
 * compiled by the JIT on both sides before anything is measured). It runs in the bench's own process
 * while the servers are idle, so that process's CPU time per write is the client's cost of one
 * durable write.
 */
import { randomBytes } from 'node:crypto';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createSessionStoreClient } from '../../runtime/src/session/index.js';

export interface PutBaseline {
  readonly connections: number;
  readonly writes: number;
  readonly seconds: number;
  readonly writesPerSecond: number;
  readonly errors: number;
  /** CPU microseconds this process spent per write (the client's share of a durable write: serialise, sign, HTTP). */
  readonly clientCpuMicrosPerWrite: number;
}

export async function runPutBaseline(options: {
  readonly endpoint: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly tableName: string;
  readonly connections: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
}): Promise<PutBaseline> {
  const client = createSessionStoreClient({ region: 'eu-west-1', endpoint: options.endpoint, credentials: options.credentials });
  const padding = 'x'.repeat(300);
  let writes = 0;
  let errors = 0;
  const put = () =>
    client.send(
      new PutItemCommand({
        TableName: options.tableName,
        Item: {
          pk: { S: `baseline#${randomBytes(16).toString('hex')}` },
          sk: { S: 'slot#0' },
          value: { S: padding },
          expiresAt: { N: String(Math.ceil(Date.now() / 1000) + 600) },
        },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'pk' },
      }),
    );
  const load = (seconds: number, count: boolean) => {
    const deadline = performance.now() + seconds * 1000;
    return Promise.all(
      Array.from({ length: options.connections }, async () => {
        while (performance.now() < deadline) {
          try {
            await put();
            if (count) writes += 1;
          } catch {
            if (count) errors += 1;
          }
        }
      }),
    );
  };
  try {
    await load(options.warmupSeconds, false);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await load(options.seconds, true);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const clientCpuMicrosPerWrite = (cpu.user + cpu.system) / Math.max(1, writes + errors);
    return { connections: options.connections, writes, seconds, writesPerSecond: writes / seconds, errors, clientCpuMicrosPerWrite };
  } finally {
    client.destroy();
  }
}
