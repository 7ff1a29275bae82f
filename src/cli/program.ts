/**
 * What a program declares about itself (everything help, docs and completions need), and
 * the types of its parsed arguments, derived from its options: a renamed option or a changed
 * kind cannot drift from the code that uses it.
 */
import type { RunContext } from '../runtime/context.js';
import type { OptionSpec, Options } from './options.js';
import type { Parsed } from './values.js';
import type { TrailingTest } from './argv.js';

/** One parsed value of an option: a choice is one of its words. */
type ScalarOf<S extends OptionSpec> = S extends { readonly kind: 'choice'; readonly choices: readonly (infer C extends string)[] } ? C : Parsed<S['kind']>;

/** The parsed value of an option. */
export type ValueOf<S extends OptionSpec> = S extends { readonly many: true } ? ScalarOf<S>[] : ScalarOf<S>;

/** Options that always have a value: flags, lists (empty when not given) and options with a default. */
type Always<S extends OptionSpec> = S extends { readonly kind: 'flag' } | { readonly many: true } | { readonly default: unknown } ? true : false;

/** A program's parsed arguments: every option by its long name, and the trailing words as `_`. */
export type ArgsOf<O extends Options> = {
  -readonly [K in keyof O]: Always<O[K]> extends true ? ValueOf<O[K]> : ValueOf<O[K]> | undefined;
} & { _: string[] };

export interface Trailing {
  readonly name: string;
  readonly describe: string;
  /** True for a word that starts the trailing words (tells them from the values of -r, -R, -S). */
  readonly looksLike: TrailingTest;
  /** What shells complete: the first word's choices, a later word's after a given one, filter words. */
  readonly complete: TrailingCompletion;
}

export interface TrailingCompletion {
  readonly first?: readonly string[];
  readonly after?: Readonly<Record<string, readonly string[]>>;
  /** Filter words (fields, ops, and, or, not): as the first word, or after the first when `first` is given. */
  readonly filter?: boolean;
}

export interface ProgramSpec<O extends Options> {
  readonly name: string;
  /** One line: what the program does. */
  readonly summary: string;
  /** A paragraph for help and the man page. */
  readonly description: string;
  readonly options: O;
  /** The trailing words, when the program takes them (a filter, a question, an action). */
  readonly positional?: Trailing;
  readonly examples: readonly (readonly [command: string, meaning: string])[];
  readonly exitStatus?: string;
  /** Options a SIGHUP re-reading -c FILE applies while running; changes to others need a restart. */
  readonly reloadable?: readonly (keyof O & string)[];
  /**
   * A command line in an older program's words (smbtaquery's -M pgsql -N db ...), rewritten
   * into this program's before parsing; undefined when the line is not in those words.
   */
  readonly legacyArgv?: (argv: readonly string[]) => string[] | undefined;
  run(args: ArgsOf<O>, ctx: ProgramContext<ArgsOf<O>>): Promise<void>;
}

/** A program's context: its engines' RunContext, and the hook SIGHUP calls. */
export interface ProgramContext<Args> extends RunContext {
  /**
   * Set by a program whose reloadable options SIGHUP may change: called with the options
   * as -c FILE and the command line now give them. It may throw a UsageError.
   */
  onReload?: (args: Args) => void;
}

/** A program as the runner, the registry and the generators see it. */
export interface Program extends Omit<ProgramSpec<Options>, 'run' | 'reloadable'> {
  readonly reloadable?: readonly string[];
  run(args: Record<string, unknown>, ctx: ProgramContext<Record<string, unknown>>): Promise<void>;
}

/**
 * Declares a program. The runner parses every option by the kind its spec gives before
 * `run` is called, so the arguments are what ArgsOf says.
 */
export function defineProgram<const O extends Options>(spec: ProgramSpec<O>): Program {
  return {
    ...spec,
    run: (args, ctx) => spec.run(args as ArgsOf<O>, ctx),
  };
}
