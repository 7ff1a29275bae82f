#!/usr/bin/env node
import { main } from '../dist/src/cli/run.js';
import { torture } from '../dist/src/commands/torture.js';
await main(torture);
