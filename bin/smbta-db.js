#!/usr/bin/env node
import { main } from '../dist/src/cli/run.js';
import { db } from '../dist/src/commands/db.js';
await main(db);
