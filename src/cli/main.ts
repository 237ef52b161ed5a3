#!/usr/bin/env node
// The berkeley command: netcat/socat for every socket type, ping, interfaces,
// name resolution, and the demo. Built only on berkeley's public API.
import { cat } from './cat.js';
import { demo } from './demo.js';
import { ifaces } from './ifaces.js';
import { ping } from './ping.js';
import { resolve } from './resolve.js';
import { describeError, UsageError, type Command } from './usage.js';

const commands: Command[] = [cat, ping, ifaces, resolve, demo];

const usage = `Usage: berkeley COMMAND [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(8)} ${c.summary}`).join('\n')}

Run 'berkeley COMMAND --help' for a command's options.
Exit status: 0 on success, 1 on failure, 2 on a usage error.`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(`${usage}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`berkeley: unknown command '${name}'\n${usage}\n`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`berkeley ${name}: ${err.message}\nRun 'berkeley ${name} --help' for usage.\n`);
      return 2;
    }
    process.stderr.write(`berkeley ${name}: ${describeError(err)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
}, (err) => {
  process.stderr.write(`berkeley: ${describeError(err)}\n`);
  process.exitCode = 1;
});
