#!/usr/bin/env node
import { main } from '../dist/src/cli/run.js';
import { filter } from '../dist/src/commands/filter.js';
await main(filter);
