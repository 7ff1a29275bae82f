#!/usr/bin/env node
import { main } from '../dist/src/cli/run.js';
import { recv } from '../dist/src/commands/recv.js';
await main(recv);
