import { pick, STREAM_OUT, READER, SERVING } from '../cli/options.js';
import { defineProgram } from '../cli/program.js';
import { UsageError } from '../language/errors.js';
import { forwardSelected } from '../runtime/forward.js';
import { isLiveSource } from '../io/source-spec.js';
import { prepareInput } from '../runtime/input.js';
import { openBinaryOutput } from '../runtime/output.js';
import { listenServing, servingFor } from '../runtime/serve.js';
import { openState, writerState } from '../runtime/state-file.js';
import { FILTER_POSITIONAL } from './common.js';

export const mux = defineProgram({
  name: 'smbta-mux',
  summary: 'join many record sources into one stream and serve it to many readers',
  description:
    'Reads any number of sources (-S live servers, reconnecting with backoff; -r files), keeping each source in order, and serves ' +
    'the joined stream to any number of readers on -P. A slow reader never slows live sources or the other readers: past its ' +
    '--client-buffer it loses the oldest data and is told so in the stream (a gap block its reader reports). Replaying only files ' +
    '(-r, -R), nothing is lost: the slowest reader sets the pace, as through a pipe. A trailing filter applies to everything served. ' +
    'Trees of smbta-mux scale fan-in, as radium does for Argus.',
  options: {
    ...READER,
    ...SERVING,
    ...STREAM_OUT,
    'client-buffer': {
      kind: 'size',
      min: 1,
      value: 'SIZE',
      default: '16M',
      group: 'Output',
      describe:
        'most stream bytes queued for one reader; a slower reader of live sources loses the oldest, and is told in the stream (of files: the replay waits)',
    },
    'wait-readers': {
      kind: 'count',
      value: 'N',
      default: '0',
      group: 'Output',
      describe: 'start reading the sources only once N readers are connected (replaying archives)',
    },
    ...pick('state', 'metrics', 'metrics-users', 'config'),
  },
  positional: FILTER_POSITIONAL,
  examples: [
    ['smbta-mux -S srv1:3491 srv2:3491 -P 3499', 'two receivers joined, served on port 3499'],
    ["smbta-mux -S localhost:3491 -P 3492 'share=projects'", 'only one share, for the project team'],
    [
      'smbta-mux -S tls://hub1:3499 -S tls://hub2:3499 --tls-ca ca.pem --tls-cert me.pem --tls-key me.key -P 3500 -B 0.0.0.0',
      'a second tier over TLS, served on every interface',
    ],
    ['smbta-mux -R archive/2026-11-23 -P 3499 --wait-readers 2', 'replay a day to two readers once both are connected'],
    ['smbta-mux -S localhost:3491 -P 3499 --state /var/lib/smbta/mux.state', "after a crash, keep the stream's numbering and count what never got through"],
  ],
  exitStatus: '0 after SIGTERM/SIGINT; 1 when it cannot serve; 2 for a bad option or filter.',
  reloadable: ['client-buffer'],
  async run(a, ctx) {
    if (a.serve === undefined) throw new UsageError('give -P PORT to serve the joined stream on');
    const state = openState(a.state, 'smbta-mux', ctx.report);
    const input = prepareInput(a, a._);
    // Files wait for the slowest reader; live sources cannot, so a reader too slow for them loses the oldest.
    const serverOptions = { maxClientBuffer: a['client-buffer'], paced: !input.specs.some(isLiveSource) };
    const server = servingFor(a, ctx, serverOptions);
    if (!server) return;
    // SIGHUP with -c: a new bound applies to every reader at its next block.
    ctx.onReload = (next) => void (serverOptions.maxClientBuffer = next['client-buffer']);
    ctx.report.warn(`serving on ${await listenServing(server, a)}`);
    const writer = openBinaryOutput('smbta-mux', a, { flushMs: 100, ...state?.writing() }, [server]);
    if (ctx.metrics) {
      ctx.metrics.recordsOut = () => writer.records;
      ctx.metrics.connections = () => server.clients;
      ctx.metrics.droppedBy = () => ({ 'reader too slow': server.lostRecords });
    }
    if (a['wait-readers'] > 0) await server.waitForClients(a['wait-readers']);
    // Each source's reader starts where the blocks let go before a crash ended.
    await forwardSelected({ ...input, resume: writer.covered }, ctx, writer);
    state?.finish(writerState(writer, true));
    if (server.lostRecords) ctx.report.warn(`slow readers lost ${server.lostRecords} records in all (each was told)`);
  },
});
