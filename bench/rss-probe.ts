/** Preloaded into benchmarked processes (--import): writes their peak RSS (KiB) when they exit. */
import { appendFileSync } from 'node:fs';

const out = process.env.SMBTA_RSS_OUT;
if (out) process.on('exit', () => appendFileSync(out, `${process.resourceUsage().maxRSS}\n`));
