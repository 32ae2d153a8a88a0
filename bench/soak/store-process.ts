// Runs the dev store (dynalite) in a child process for the soak. Started with `fork`; answers on the
// IPC channel with `{ endpoint, tableName }` and stops when told to or when the parent goes away.
//
// Why a separate process: dynalite 4.0.0 never closes the level iterators behind its Query and Scan
// streams (its stream `destroy` calls `iterator.return`, which abstract-level 3 iterators do not have),
// so every Query stays attached to the in-memory database and pins a snapshot of its tree. That is
// the emulator's memory, not the server's: in service the table lives in DynamoDB, outside the process.
import { startDevStore } from '../../runtime/src/dev/store.js';

const tableName = process.argv[2] ?? 'soak-sessions';
const store = await startDevStore(tableName);
const stop = async () => {
  await store.close();
  process.exit(0);
};
process.on('message', (message) => {
  if (message === 'close') void stop();
});
process.on('disconnect', () => void stop());
process.send?.({ endpoint: store.endpoint, tableName: store.tableName });
