/** A worker thread reading half of a large archive's first record times (see first-record.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { readTimes } from './first-record.js';

parentPort!.postMessage(await readTimes(workerData as string[]));
