#!/usr/bin/env node
import { main } from '../dist/src/cli/run.js';
import { json } from '../dist/src/commands/json.js';
await main(json);
