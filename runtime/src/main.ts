import { startApp } from './app.js';
import { ConfigError, loadConfig } from './config/index.js';

/**
 * The container's entry point: configuration from the environment only. There is no development
 * switch here: the embedded issuer and store live in `dev/`, whose dependencies the image does not install.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`configuration error: ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  const app = await startApp(config);
  app.observability.logger.info('server listening', { port: app.port, tools: app.catalog.definitions().length });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.observability.logger.info('draining', { signal });
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Started by `npm run dev` with an IPC channel: report the port this process bound (so the parent
  // cannot mistake another server on that port for this one) and drain when the parent goes away.
  // The container starts this process without a channel: nothing here runs there.
  if (process.send) {
    process.send({ kind: 'listening', port: app.port });
    process.once('disconnect', () => stop('disconnect'));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`start-up failed: ${error instanceof Error ? error.message : 'unknown error'}\n`);
  process.exit(1);
});
