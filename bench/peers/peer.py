# Python's side of the benchmarks (the socket module, blocking calls, recv_into
# where it exists): the same modes and arguments as bench/c/peer.c.
import json
import os
import socket
import sys
import time

CHUNK = 65536
SO_RCVBUFFORCE = getattr(socket, 'SO_RCVBUFFORCE', 33)
UDP_GRO = 104


def report(ops, nbytes, seconds, cpu, **extra):
    print(json.dumps(dict(ops=ops, bytes=nbytes, seconds=seconds, cpu=cpu, **extra)), flush=True)


def ready(address):
    print(f'ready {address}', flush=True)


def stream(transport, target):
    if transport == 'unix':
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(target)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.connect(('127.0.0.1', int(target)))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def rr(transport, target, seconds, size, *_):
    n = int(size)
    if transport == 'udp':
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect(('127.0.0.1', int(target)))
    else:
        s = stream(transport, target)
    out = b'a' * n
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    rtts = []
    c0, t0 = time.process_time(), time.perf_counter()
    end, t = t0 + float(seconds), t0
    while t < end:
        s.send(out)
        got = 0
        while got < n:
            got += s.recv_into(view[got:n])
        t1 = time.perf_counter()
        rtts.append((t1 - t) * 1e6)
        t = t1
    cpu = time.process_time() - c0
    rtts.sort()
    report(len(rtts), len(rtts) * n, t - t0, cpu, p50=rtts[len(rtts) // 2], p99=rtts[int(len(rtts) * 0.99)])


def listener(transport, path, kind=socket.SOCK_STREAM):
    if transport == 'unix':
        s = socket.socket(socket.AF_UNIX, kind)
        if os.path.exists(path):
            os.unlink(path)
        s.bind(path)
        address = path
    else:
        s = socket.socket(socket.AF_INET, kind)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('127.0.0.1', 0))
        address = s.getsockname()[1]
    if kind == socket.SOCK_STREAM:
        s.listen()
    return s, address


def sink(transport, target, seconds, *_):
    s = stream(transport, target)
    buf = bytearray(CHUNK)  # the receiver's own buffer, reused
    if s.recv_into(buf) == 0:
        raise SystemExit('no data')
    nbytes = reads = 0
    c0, t0 = time.process_time(), time.perf_counter()
    end, t = t0 + float(seconds), t0
    while t < end:
        r = s.recv_into(buf)
        if r == 0:
            break
        nbytes += r
        reads += 1
        if reads & 15 == 0:
            t = time.perf_counter()
    report(reads, nbytes, time.perf_counter() - t0, time.process_time() - c0)


def source(transport, path, size, *_):
    l, address = listener(transport, path)
    ready(address)
    s, _ = l.accept()
    buf = bytes(int(size))
    nbytes = writes = 0
    c0, t0 = time.process_time(), time.perf_counter()
    try:
        while True:
            nbytes += s.send(buf)
            writes += 1
    except (BrokenPipeError, ConnectionResetError):
        pass
    report(writes, nbytes, time.perf_counter() - t0, time.process_time() - c0)


def udp_socket(rcvbuf):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, rcvbuf)
    except PermissionError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind(('127.0.0.1', 0))
    return s


def udp_recv(*_):
    s = udp_socket(4 << 20)
    ready(s.getsockname()[1])
    buf = bytearray(2048)
    segs = nbytes = 0
    n = s.recv_into(buf)
    c0, t0 = time.process_time(), time.perf_counter()
    last = t0
    segs, nbytes = 1, n
    s.settimeout(0.3)
    try:
        while True:
            nbytes += s.recv_into(buf)
            segs += 1
            if segs & 63 == 0:
                last = time.perf_counter()
    except socket.timeout:
        pass
    report(segs, nbytes, last - t0, time.process_time() - c0)


def udp_send(target, seconds, size, *_):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(('127.0.0.1', int(target)))
    buf = bytes(int(size))
    segs = 0
    c0, t0 = time.process_time(), time.perf_counter()
    end, t = t0 + float(seconds), t0
    while t < end:
        for _ in range(16):
            try:
                s.send(buf)
                segs += 1
            except (ConnectionRefusedError, BlockingIOError, OSError):
                pass
        t = time.perf_counter()
    report(segs, segs * len(buf), t - t0, time.process_time() - c0)


def drain(_variant, slot, _gro):
    buf = bytearray(int(slot))
    while True:
        s = udp_socket(256 << 20)
        ready(s.getsockname()[1])
        if not sys.stdin.readline():
            return
        s.setblocking(False)
        count = nbytes = 0
        c0, t0 = time.process_time(), time.perf_counter()
        try:
            while True:
                nbytes += s.recvfrom_into(buf)[0]
                count += 1
        except BlockingIOError:
            pass
        report(count, nbytes, time.perf_counter() - t0, time.process_time() - c0)
        s.close()


def ud_recv(path, count, *_):
    s, _ = listener('unix', path, socket.SOCK_DGRAM)
    ready(path)
    count = int(count)
    buf = bytearray(CHUNK)
    s.recv_into(buf)  # the first starts the clock
    got, nbytes = 1, 0
    c0, t0 = time.process_time(), time.perf_counter()
    while got < count:
        nbytes += s.recv_into(buf)
        got += 1
    report(got - 1, nbytes, time.perf_counter() - t0, time.process_time() - c0)
    os.unlink(path)


def ud_send(path, count, size, *_):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.connect(path)
    count = int(count)
    buf = bytes(int(size))
    c0, t0 = time.process_time(), time.perf_counter()
    for _ in range(count):
        s.send(buf)
    report(count, count * len(buf), time.perf_counter() - t0, time.process_time() - c0)


MODES = {'rr': rr, 'sink': sink, 'source': source, 'udp-recv': udp_recv, 'udp-send': udp_send, 'drain': drain, 'ud-recv': ud_recv, 'ud-send': ud_send}

if __name__ == '__main__':
    if len(sys.argv) < 2 or sys.argv[1] not in MODES:
        sys.exit(f'peer.py: unknown mode (see bench/c/peer.c)')
    MODES[sys.argv[1]](*sys.argv[2:])
