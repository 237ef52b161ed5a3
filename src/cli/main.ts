#!/usr/bin/env node
// The berkeley command: netcat/socat for every socket type, systemd-notify,
// ping, interfaces, name resolution, packet capture, and the demo. Built on
// berkeley's public API, with the address funnel for CLI addresses and the struct
// layer for netlink bytes.
import { readFileSync } from 'node:fs';
import { captureCommand } from './capture.js';
import { cat } from './cat.js';
import { demo } from './demo.js';
import { ifaces } from './ifaces.js';
import { notify } from './notify.js';
import { ping } from './ping.js';
import { resolve } from './resolve.js';
import { describeError, UsageError, type Command } from './usage.js';

const commands: Command[] = [cat, notify, ping, ifaces, resolve, captureCommand, demo];

const usage = `Usage: berkeley COMMAND [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(8)} ${c.summary}`).join('\n')}

Run 'berkeley COMMAND --help' for a command's options, 'berkeley --version'
for the version.
Exit status: 0 on success, 1 on failure, 2 on a usage error.`;

/** The version in package.json (two folders up from src/cli/ and from dist/cli/ alike). */
function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(`${usage}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`berkeley ${version()}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`berkeley: unknown ${name.startsWith('-') ? 'option' : 'command'} '${name}'\n${usage}\n`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    // The library refuses a bad value with Node's argument codes before any
    // system call; every value it gets here came from the command line.
    const code = (err as { code?: string }).code ?? '';
    if (err instanceof UsageError || /^ERR_(INVALID_ARG_|OUT_OF_RANGE)/.test(code)) {
      process.stderr.write(`berkeley ${name}: ${(err as Error).message}\nRun 'berkeley ${name} --help' for usage.\n`);
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
