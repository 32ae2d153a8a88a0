import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP relay in front of the store that can be switched off: it stands in for a store outage
 * (connections refused), a fault a healthy dynalite cannot produce by itself.
 */
export class SwitchableRelay {
  up = true;
  private readonly sockets = new Set<Socket>();
  private server: Server;
  constructor(private readonly target: number) {
    this.server = createServer((client) => {
      if (!this.up) return client.destroy();
      const upstream = connect(this.target, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
  }
  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    return (this.server.address() as AddressInfo).port;
  }
  down(): void {
    this.up = false;
    for (const socket of this.sockets) socket.destroy();
  }
  async close(): Promise<void> {
    this.down();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
