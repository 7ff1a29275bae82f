/**
 * The layers of src/ (src/README.md draws them), checked by test/unit/layers.test.ts:
 *
 *   bin/ → commands/ → cli/ (argv: option specs, parsing, config files, the runner)
 *   commands/ → engines → runtime/ → the core
 *
 * Engines never import each other, cli/ or commands/; runtime/ never imports an engine;
 * the core never imports anything above it. No cycles, counting type-only imports.
 */
const ENGINES = 'recv|rotate|cluster|db|query|tui|probe|torture|rrd|alert|report';
const CORE = 'io|stream|format|record|wire|filter|language|synth|store|audit|version\\.ts';

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'cli-is-for-commands',
      comment: 'Only bin/, src/commands/ and scripts/ (docs, completions) read the command-line layer.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(commands|cli)/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'commands-are-the-top',
      comment: 'Programs are wired in src/commands/; nothing below imports them (the runner loads the registry for -c).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(commands/|cli/run\\.ts$)' },
      to: { path: '^src/commands/' },
    },
    {
      name: 'engines-stand-alone',
      comment: "An engine never imports another engine's internals.",
      severity: 'error',
      from: { path: `^src/(${ENGINES})/` },
      to: { path: `^src/(${ENGINES})/`, pathNot: '^src/$1/' },
    },
    {
      name: 'runtime-below-engines',
      severity: 'error',
      from: { path: '^src/runtime/' },
      to: { path: `^src/(${ENGINES}|cli|commands)/` },
    },
    {
      name: 'core-below-runtime',
      severity: 'error',
      from: { path: `^src/(${CORE})` },
      to: { path: `^src/(${ENGINES}|runtime|cli|commands)/` },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js'] },
  },
};
