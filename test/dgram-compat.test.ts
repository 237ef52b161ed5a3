// berkeley/dgram side by side with node:dgram: every scenario of
// test/fixtures/dgram-scenarios.ts runs against both, and what each
// recorded (event names and arguments in order, values returned, errors'
// class, code, message, errno, syscall) must be equal. Ports are the only
// thing normalized (test/fixtures/dgram-harness.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import nodeDgram from 'node:dgram';
import * as berkeleyDgram from '../src/dgram/index.ts';
import { run, type Impl } from './fixtures/dgram-harness.ts';
import { scenarios } from './fixtures/dgram-scenarios.ts';
import { hasIPv6 } from './helpers.ts';
import { fdCount } from './fds.ts';

const T = { timeout: 30_000 };

describe('berkeley/dgram against node:dgram', () => {
  for (const [name, scenario] of Object.entries(scenarios)) {
    test(name, { ...T, skip: name.startsWith('udp6') && !hasIPv6 ? 'no IPv6 loopback here' : false }, async () => {
      const want = await run(nodeDgram as Impl, scenario);
      const before = fdCount();
      const got = await run(berkeleyDgram as unknown as Impl, scenario);
      assert.deepEqual(got, want);
      assert.ok(want.length > 0, 'the scenario recorded something');
      // Sockets close asynchronously in node:dgram; berkeley's close at once.
      assert.equal(fdCount(), before, 'no fd left behind');
    });
  }
});
