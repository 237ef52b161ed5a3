// Loaded into every Node process of an ASan run (scripts/asan.sh puts it in
// NODE_OPTIONS). The sanitizer runtime must be preloaded into each process
// that loads the ASan-built addon, and only there: other programs the tests
// run can break under it (`logger --version` deadlocks at start with
// libasan preloaded). So LD_PRELOAD leaves this process's environment, and
// a child gets it back only when its command line starts a JavaScript
// runtime: Node (as process.execPath or by name, directly or behind a prefix
// such as strace, setpriv, env or sh -c), Bun or Deno.
import { createRequire, syncBuiltinESMExports } from 'node:module';

const childProcess = createRequire(import.meta.url)('node:child_process');
const preload = process.env.BERKELEY_ASAN_PRELOAD ?? process.env.LD_PRELOAD;
// The test runner (node --test) starts only test files, Node processes all:
// it keeps the variable for them to inherit.
const isTestRunner = process.execArgv.includes('--test');
if (preload && !isTestRunner) {
  process.env.BERKELEY_ASAN_PRELOAD = preload;
  delete process.env.LD_PRELOAD;
  const runtime = /(^|[\s/'"=])(node|nodejs|bun|deno)(\s|$|['"])/;
  const startsRuntime = (words) =>
    words.some((w) => typeof w === 'string' && (w.includes(process.execPath) || runtime.test(w)));

  // Each function's (command, args?, options?) forms: options are the last
  // object argument, args the array before it (exec and execSync take a
  // command string and no args).
  const wrap = (name, commandIsLine) => {
    const original = childProcess[name];
    childProcess[name] = function (command, ...rest) {
      const argsAt = rest.findIndex((r) => Array.isArray(r));
      const args = argsAt >= 0 ? rest[argsAt] : [];
      const optionsAt = rest.findIndex((r, i) => i !== argsAt && r !== null && typeof r === 'object');
      const options = optionsAt >= 0 ? rest[optionsAt] : undefined;
      const words = commandIsLine ? [command] : [command, ...args];
      if (name === 'fork' || startsRuntime(words)) {
        const env = { ...(options?.env ?? process.env), LD_PRELOAD: preload };
        const withEnv = { ...options, env };
        if (optionsAt >= 0) rest[optionsAt] = withEnv;
        else if (argsAt >= 0) rest.splice(argsAt + 1, 0, withEnv);
        else rest.unshift(withEnv);
      }
      return original.call(this, command, ...rest);
    };
  };
  for (const name of ['spawn', 'spawnSync', 'execFile', 'execFileSync', 'fork']) wrap(name, false);
  for (const name of ['exec', 'execSync']) wrap(name, true);
  syncBuiltinESMExports();
}
