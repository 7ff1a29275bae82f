#!/usr/bin/env node
import { main } from '../dist/src/cli/run.js';
import { mux } from '../dist/src/commands/mux.js';
await main(mux);
