/**
 * A partition worker of a run the page spreads over several workers (web/partitioned.ts): a module
 * Web Worker exposing the command line's PartitionWorker (sim/runner/worker-api.ts).
 */
import * as Comlink from 'comlink';
import { partitionApi } from '../sim/runner/worker-api.js';

Comlink.expose(partitionApi());
