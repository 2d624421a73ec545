import { parentPort, workerData } from 'node:worker_threads';
import { type BaseTable, protectCube } from '../../domain/joint-suppression.js';

/** The joint protection of one open-data table, in a worker thread (see protectOffThread in open-data.ts). */
const { table, threshold, knownZero, atLeastOne } = workerData as {
  table: BaseTable;
  threshold: number;
  knownZero: Uint8Array;
  atLeastOne: number[][];
};
parentPort?.postMessage(protectCube(table, threshold, (b) => knownZero[b] === 1, atLeastOne));
