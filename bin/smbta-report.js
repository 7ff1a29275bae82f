#!/usr/bin/env node
import { main } from '../dist/src/cli/run.js';
import { report } from '../dist/src/commands/report.js';
await main(report);
