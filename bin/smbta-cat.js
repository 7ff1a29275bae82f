#!/usr/bin/env node
import { main } from '../dist/src/cli/run.js';
import { cat } from '../dist/src/commands/cat.js';
await main(cat);
