#!/usr/bin/env node
import { main } from '../dist/src/cli/run.js';
import { csv } from '../dist/src/commands/csv.js';
await main(csv);
