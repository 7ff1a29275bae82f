#!/usr/bin/env node
import { main } from '../dist/src/cli/run.js';
import { alert } from '../dist/src/commands/alert.js';
await main(alert);
