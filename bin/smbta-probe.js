#!/usr/bin/env node
import { main } from '../dist/src/cli/run.js';
import { probe } from '../dist/src/commands/probe.js';
await main(probe);
