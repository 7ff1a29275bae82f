/** Tests that need a program from Debian's packages skip, saying which, where it is missing. */
import { spawnSync } from 'node:child_process';

/** False when `cmd args` runs; otherwise why the test skips, naming the package to install. */
export function toolMissing(cmd: string, pkg = cmd, args = ['--version']): string | false {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0 ? false : `${cmd} is not installed (apt-get install ${pkg})`;
}
