#!/usr/bin/env node
import { main } from '../dist/src/cli/run.js';
import { query } from '../dist/src/commands/query.js';
await main(query);
