#!/usr/bin/env node
import { main } from '../dist/src/cli/run.js';
import { rrd } from '../dist/src/commands/rrd.js';
await main(rrd);
