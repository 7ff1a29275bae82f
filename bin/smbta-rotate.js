#!/usr/bin/env node
import { main } from '../dist/src/cli/run.js';
import { rotate } from '../dist/src/commands/rotate.js';
await main(rotate);
