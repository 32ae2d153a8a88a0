import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { delimiter, join } from 'node:path';
import { AlreadyExistsException, CreateAliasCommand, CreateKeyCommand, KMSClient, ReplicateKeyCommand } from '@aws-sdk/client-kms';

/** Test credentials for moto (it accepts any). */
export const MOTO_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** Where `moto_server` is on the PATH (or `MOTO_SERVER`), or `undefined` when it is not installed. */
export function findMotoServer(): string | undefined {
  const candidates = process.env.MOTO_SERVER ? [process.env.MOTO_SERVER] : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'moto_server'));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Why the KMS tests skip on this machine, printed once; `undefined` when moto_server is installed. */
export function motoSkipReason(): string | undefined {
  if (findMotoServer()) return undefined;
  const reason = 'moto_server not found on the PATH (pip install "moto[server]==5.2.1", or set MOTO_SERVER): the KMS signing tests are skipped';
  console.log(`# SKIP ${reason}`);
  return reason;
}

/**
 * A real KMS API on loopback: `moto_server` on a free port. One server answers for every region
 * (the region comes from each request's signature), so a primary key and its replica live in one process.
 */
export class MotoKms {
  private constructor(
    private readonly child: ChildProcess,
    /** The server's URL (`http://127.0.0.1:<port>`). */
    readonly endpoint: string,
  ) {}

  /** Starts moto_server; waits (generously) until it prints its address. */
  static async start(): Promise<MotoKms> {
    const executable = findMotoServer();
    if (!executable) throw new Error('moto_server is not installed');
    const child = spawn(executable, ['-H', '127.0.0.1', '-p', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const endpoint = await new Promise<string>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`moto_server did not start: ${output.slice(0, 500)}`)), 120_000);
      const read = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const match = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      };
      child.stdout!.on('data', read);
      child.stderr!.on('data', read);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`moto_server exited with ${code}: ${output.slice(0, 500)}`));
      });
    });
    child.stdout!.resume();
    child.stderr!.resume();
    return new MotoKms(child, endpoint);
  }

  /** A KMS client of `region` on this server (or on `endpoint`, e.g. a fault proxy in front of it). */
  client(region: string, endpoint = this.endpoint): KMSClient {
    return new KMSClient({ region, endpoint, credentials: MOTO_CREDENTIALS, maxAttempts: 1 });
  }

  /** Creates a multi-Region ECC_NIST_P256 signing key in `region` and replicates it to `replicaRegions`; the ARNs by region. */
  async multiRegionKey(region: string, replicaRegions: readonly string[], alias?: string): Promise<Record<string, string>> {
    const primary = this.client(region);
    const created = await primary.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', MultiRegion: true, Description: 'test token signing key' }));
    const arns: Record<string, string> = { [region]: created.KeyMetadata!.Arn! };
    for (const replicaRegion of replicaRegions) {
      const replica = await primary.send(new ReplicateKeyCommand({ KeyId: created.KeyMetadata!.KeyId!, ReplicaRegion: replicaRegion }));
      arns[replicaRegion] = replica.ReplicaKeyMetadata!.Arn!;
    }
    if (alias) {
      for (const [keyRegion, arn] of Object.entries(arns)) {
        const client = this.client(keyRegion);
        try {
          await client.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: arn.split('/').pop()! }));
        } catch (error) {
          // moto shares a replica's alias list with its primary (a shallow copy); AWS keeps aliases per region.
          if (!(error instanceof AlreadyExistsException)) throw error;
        } finally {
          client.destroy();
        }
      }
    }
    primary.destroy();
    return arns;
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}

/**
 * A loopback HTTP proxy in front of moto that can answer KMS `Sign` with a throttling error, as KMS
 * does under its request quota: a fault moto cannot cause. Everything else is forwarded unchanged,
 * so the SDK's real error parsing and retries run against it.
 */
export class KmsFaultProxy {
  /** When set, every `Sign` request is answered `400 ThrottlingException`. */
  throttleSign = false;
  /** Sign requests answered with the throttling error. */
  throttled = 0;
  /** Sees the JSON body of every `Sign` request that is forwarded. */
  onSign: ((body: string) => void) | undefined;
  #server: Server | undefined;

  constructor(private readonly target: string) {}

  /** The proxy's URL. */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.#server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    const target = new URL(this.target);
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (this.throttleSign && req.headers['x-amz-target'] === 'TrentService.Sign') {
          this.throttled += 1;
          const body = JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' });
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'ThrottlingException', 'content-length': Buffer.byteLength(body) });
          res.end(body);
          return;
        }
        if (req.headers['x-amz-target'] === 'TrentService.Sign') this.onSign?.(Buffer.concat(chunks).toString('utf8'));
        const upstream = request(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', () => res.destroy());
        upstream.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
