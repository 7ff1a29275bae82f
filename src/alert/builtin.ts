/**
 * smbta-alert's built-in rules, written in the rule format itself (docs/alert.md shows them
 * as they are here): switched on by name with --builtin. Thresholds sit far above what one
 * person does by hand in the window and well below what a script or ransomware does; a site
 * that needs others copies a rule into its -c file under a new name.
 */
import { parseRules, type Rule } from './rules.js';

export const BUILTIN_RULES = `
[rule mass-rename]
select = rename
by = user
measure = operations
over = 1m
above = 500
quiet-for = 10m
severity = high

[rule mass-delete]
select = delete or rmdir
by = user
measure = operations
over = 1m
above = 500
quiet-for = 10m
severity = high

[rule mass-write]
select = write or pwrite
by = user
measure = paths
over = 1m
above = 300
quiet-for = 10m
severity = high

[rule new-extensions]
select = rename or write or pwrite
by = user
measure = extensions
over = 24h
above = 20
quiet-for = 24h
severity = medium

[rule ransomware-extension]
select = path~'/[.](locky|zepto|odin|cerber[0-9]?|wcry|wncry|wncryt|crypt|crypted|encrypted|enc|locked|lockbit|ryk|conti|cry|micro|vvv|ecc|ezz|exx|aaa|zzz|xyz)$/i' or path2~'/[.](locky|zepto|odin|cerber[0-9]?|wcry|wncry|wncryt|crypt|crypted|encrypted|enc|locked|lockbit|ryk|conti|cry|micro|vvv|ecc|ezz|exx|aaa|zzz|xyz)$/i'
by = user
measure = operations
over = 1h
above = 0
quiet-for = 1h
severity = critical

[rule ransom-note]
select = path~'/(^|[/])(how_to_decrypt|how_to_recover|how_to_restore|decrypt_instructions|help_decrypt|restore_files|recovery_instructions)[^/]*[.](txt|html?|hta|url)$/i'
by = user
measure = operations
over = 1h
above = 0
quiet-for = 1h
severity = critical

[rule outside-hours]
hours = 07:00-19:00 mon-fri
by = user
measure = operations
over = 1h
above = 200
quiet-for = 8h
severity = medium

[rule unusual-download]
select = read
by = user
measure = bytes
over = 1d
baseline = 14d
times = 5
above = 1G
severity = medium

[rule failed-opens]
select = open
by = user
measure = failures
over = 5m
above = 100
quiet-for = 15m
severity = medium
`;

/** The built-in rules by name. */
export function builtinRules(): Map<string, Rule> {
  return new Map(parseRules(BUILTIN_RULES, 'built-in rules').map((r) => [r.name, r]));
}

/** A bait file: any operation on a path matching one of `globs`, by anyone, is an alert at once. */
export function canaryRule(globs: readonly string[]): Rule {
  const select = globs.map((g) => `path=${quote(g)} or path2=${quote(g)}`).join(' or ');
  const [rule] = parseRules(
    `[rule canary]\nselect = ${select}\nby = user,client\nmeasure = operations\nover = 1h\nabove = 0\nquiet-for = 1h\nseverity = critical\n`,
    '--canary',
  );
  return rule!;
}

function quote(glob: string): string {
  return `'${glob.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
