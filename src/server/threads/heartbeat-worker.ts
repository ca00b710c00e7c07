/**
 * The heartbeat thread's code (see `HeartbeatThread`): opens its own connection to the server's
 * storage and runs the server's `Heartbeat` there, renewing what the main thread holds. Before
 * each renewal it asks the main thread for the set it holds; a main thread that does not answer
 * within `answerWaitMs` is busy (a job blocks its event loop), and the thread renews what it last
 * heard plus every job claimed since, which is exactly what a blocked main thread still holds.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { openDescribedStorage } from '../../storage/descriptor.js';
import { Heartbeat } from '../heartbeat.js';
import type { FromHeartbeatThread, HeartbeatThreadData, ToHeartbeatThread } from './heartbeat-protocol.js';

const port = parentPort!;
const data = workerData as HeartbeatThreadData;
const send = (message: FromHeartbeatThread): void => port.postMessage(message);

/** Lines go to the server's logger, on the main thread. */
const log =
  (level: 'debug' | 'info' | 'warn' | 'error') =>
  (message: string, details?: Record<string, unknown>): void => {
    try {
      send({ type: 'log', level, message, ...(details ? { details } : {}) });
    } catch {
      send({ type: 'log', level, message });
    }
  };
const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };

let offsetMs = data.offsetMs;
const clock = { now: () => Date.now() + offsetMs };
let held = new Set<string>();
let answered: (() => void) | undefined;
let stopping: Promise<void> | undefined;

const storage = await openDescribedStorage(data.storage, logger);

/** Asks the main thread what it holds; renews what it last said if it cannot answer in time. */
function heldIds(): Promise<string[]> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      answered = undefined;
      resolve([...held]);
    };
    const timer = setTimeout(done, data.answerWaitMs);
    answered = done;
    send({ type: 'held?' });
  });
}

const heartbeat = new Heartbeat(
  storage,
  () => ({ ...data.record, heartbeatAt: clock.now() }),
  heldIds,
  data.leaseTimeoutMs,
  data.heartbeatIntervalMs,
  clock,
  (lost) => {
    for (const id of lost) held.delete(id);
    send({ type: 'lost', ids: lost });
  },
  logger,
  (at) => send({ type: 'beat', at }),
);

async function stop(): Promise<void> {
  await heartbeat.process.stop();
  try {
    await storage.close();
  } catch (e) {
    logger.warn('the heartbeat thread could not close its storage', { error: errorMessage(e) });
  }
  // Whatever the storage's driver left open, the thread ends here.
  process.exit(0);
}

port.on('message', (message: ToHeartbeatThread) => {
  switch (message.type) {
    case 'held':
      held = new Set(message.ids);
      offsetMs = message.offsetMs;
      answered?.();
      break;
    case 'claimed':
      for (const id of message.ids) held.add(id);
      break;
    case 'stop':
      stopping ??= stop();
      break;
  }
});

heartbeat.process.start();
send({ type: 'ready' });
