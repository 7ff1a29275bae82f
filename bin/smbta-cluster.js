#!/usr/bin/env node
import { main } from '../dist/src/cli/run.js';
import { cluster } from '../dist/src/commands/cluster.js';
await main(cluster);
