// UDP generic segmentation and receive offload (segmentSize, udp-segment, udp-gro).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Socket, constants, features } from '../src/index.ts';

describe('UDP GSO and GRO', { skip: !features.gso && 'no UDP GSO here' }, () => {
  test('a 64 KiB super-datagram sent with segmentSize arrives as 1400-byte segments', { timeout: 10_000 }, async () => {
    const r = new Socket('inet', 'dgram');
    r.setOption('rcvbuf', 4 << 20);
    r.bind('127.0.0.1:0');
    const s = new Socket('inet', 'dgram');
    const data = Buffer.alloc(1400 * 46 + 700);
    for (let i = 0; i < data.length; i++) data[i] = i & 0xff;
    assert.equal(await s.sendMsg({ data, address: r.localAddress(), segmentSize: 1400 }), data.length);
    const parts: Buffer[] = [];
    while (parts.reduce((n, p) => n + p.length, 0) < data.length) {
      for (const m of await r.recvMany({ size: 2048, timeout: 5000 })) parts.push(m.data);
    }
    assert.deepEqual(parts.map((p) => p.length), [...new Array(46).fill(1400), 700]);
    assert.ok(Buffer.concat(parts).equals(data));
    r.close();
    s.close();
  });

  test('messages repeating a segmentSize keep their own segment size and control data', { skip: constants.IP_RECVTOS === undefined && 'no IP_RECVTOS', timeout: 10_000 }, () => {
    const r = new Socket('inet', 'dgram');
    r.bind('127.0.0.1:0');
    r.setOption('ip-recvtos', true);
    const s = new Socket('inet', 'dgram');
    const tos = Buffer.alloc(4);
    tos.writeInt32LE(0x10);
    const address = r.localAddress();
    s.sendManySync([
      { data: Buffer.alloc(2000, 1), address, segmentSize: 1000 },
      { data: Buffer.alloc(2000, 2), address, segmentSize: 1000, control: [{ level: constants.IPPROTO_IP, type: constants.IP_TOS, data: tos }] },
      { data: Buffer.alloc(2000, 3), address, segmentSize: 500 },
      { data: Buffer.alloc(2000, 4), address, segmentSize: 1000 },
    ]);
    const got: string[] = [];
    while (got.length < 10) {
      for (const m of r.recvManySync({ size: 2048, timeout: 5000 })) {
        got.push(`${m.data[0]}:${m.data.length}:${m.tos}`); // IP_RECVTOS, decoded
      }
    }
    assert.deepEqual(got, ['1:1000:0', '1:1000:0', '2:1000:16', '2:1000:16', '3:500:0', '3:500:0', '3:500:0', '3:500:0', '4:1000:0', '4:1000:0']);
    r.close();
    s.close();
  });

  test('the udp-segment option segments every send', { timeout: 10_000 }, async () => {
    const r = new Socket('inet', 'dgram');
    r.bind('127.0.0.1:0');
    const s = new Socket('inet', 'dgram');
    s.setOption('udp-segment', 1000);
    await s.sendTo(Buffer.alloc(2500, 1), r.localAddress());
    const sizes: number[] = [];
    while (sizes.length < 3) for (const m of await r.recvMany({ size: 4096, timeout: 5000 })) sizes.push(m.data.length);
    assert.deepEqual(sizes, [1000, 1000, 500]);
    r.close();
    s.close();
  });

  test('with udp-gro the segments arrive as one datagram with its segment size', { skip: !features.gro && 'no GRO', timeout: 10_000 }, async () => {
    const r = new Socket('inet', 'dgram');
    r.setOption('udp-gro', true);
    r.bind('127.0.0.1:0');
    const s = new Socket('inet', 'dgram');
    const data = Buffer.alloc(1400 * 10 + 100, 7);
    await s.sendMsg({ data, address: r.localAddress(), segmentSize: 1400 });
    const m = await r.recvMsg({ size: 65536, timeout: 5000 });
    assert.equal(m.data.length, data.length);
    assert.equal(m.segmentSize, 1400);
    const [batch] = await Promise.all([r.recvMany({ size: 65536, timeout: 5000 }), s.sendMsg({ data, address: r.localAddress(), segmentSize: 1400 })]);
    assert.equal(batch[0].segmentSize, 1400);
    r.close();
    s.close();
  });
});
