#!/usr/bin/env node
import { main } from '../dist/src/cli/run.js';
import { top } from '../dist/src/commands/top.js';
await main(top);
