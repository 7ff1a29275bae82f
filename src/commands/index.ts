/** Every program, once: launchers, docs, completions and the package.json check read this. */
import type { Program } from '../cli/program.js';
import { alert } from './alert.js';
import { cat } from './cat.js';
import { cluster } from './cluster.js';
import { csv } from './csv.js';
import { db } from './db.js';
import { filter } from './filter.js';
import { json } from './json.js';
import { mux } from './mux.js';
import { probe } from './probe.js';
import { query } from './query.js';
import { recv } from './recv.js';
import { report } from './report.js';
import { rotate } from './rotate.js';
import { rrd } from './rrd.js';
import { top } from './top.js';
import { torture } from './torture.js';

export const PROGRAMS: readonly Program[] = [recv, probe, torture, mux, rotate, cluster, cat, csv, json, filter, top, query, db, rrd, alert, report];
