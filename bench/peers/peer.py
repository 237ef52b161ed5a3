# Python's side of the benchmarks: the same modes and arguments as
# bench/c/peer.c, written as the fastest idiomatic Python: the socket module's
# blocking calls, recv_into/recvfrom_into into one preallocated buffer,
# sendall on streams, bound methods hoisted out of the loops, and no
# settimeout() in a measured loop (CPython polls before every call on a socket
# with a timeout; SO_RCVTIMEO ends a receive loop without that).
import json
import os
import socket
import struct
import sys
import time

CHUNK = 65536
SO_RCVBUFFORCE = getattr(socket, 'SO_RCVBUFFORCE', 33)
UDP_SEGMENT = 103
UDP_GRO = 104
SOL_UDP = getattr(socket, 'SOL_UDP', 17)


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
    append = rtts.append
    send = s.send if transport == 'udp' else s.sendall
    recv_into = s.recv_into
    clock = time.perf_counter
    c0, t0 = time.process_time(), clock()
    end, t = t0 + float(seconds), t0
    while t < end:
        send(out)
        got = recv_into(buf, n)
        while got < n:
            got += recv_into(view[got:n])
        t1 = clock()
        append((t1 - t) * 1e6)
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
    recv_into = s.recv_into
    c0, t0 = time.process_time(), time.perf_counter()
    end, t = t0 + float(seconds), t0
    while t < end:
        r = recv_into(buf)
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
    # Written bytes: bytes(n) is calloc'd and may map the kernel's zero page (see filled() in peer.c).
    buf = b'x' * int(size)
    writes = 0
    sendall = s.sendall
    c0, t0 = time.process_time(), time.perf_counter()
    try:
        while True:
            sendall(buf)
            writes += 1
    except (BrokenPipeError, ConnectionResetError):
        pass
    report(writes, writes * len(buf), time.perf_counter() - t0, time.process_time() - c0)


def udp_socket(rcvbuf, gro=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, rcvbuf)
    except PermissionError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if gro:
        s.setsockopt(SOL_UDP, UDP_GRO, 1)
    s.bind(('127.0.0.1', 0))
    return s


def udp_recv(variant='', *_):
    if variant == 'gro':
        return udp_recv_gro()
    s = udp_socket(4 << 20)
    ready(s.getsockname()[1])
    buf = bytearray(2048)
    n = s.recv_into(buf)
    c0, t0 = time.process_time(), time.perf_counter()
    last = t0
    segs, nbytes = 1, n
    # 300 ms without a datagram ends the flood: the kernel's timeout, so each
    # receive stays one recvfrom (BlockingIOError when it expires).
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack('ll', 0, 300000))
    recv_into = s.recv_into
    clock = time.perf_counter
    try:
        while True:
            nbytes += recv_into(buf)
            segs += 1
            if segs & 63 == 0:
                last = clock()
    except BlockingIOError:
        pass
    report(segs, nbytes, last - t0, time.process_time() - c0)


def udp_recv_gro():
    """UDP_GRO: one recvmsg_into per coalesced datagram, its segment size from the control message."""
    s = udp_socket(4 << 20, gro=True)
    ready(s.getsockname()[1])
    buf = bytearray(CHUNK)
    bufs = [buf]
    space = socket.CMSG_SPACE(4)
    recvmsg_into = s.recvmsg_into
    clock = time.perf_counter

    def segments(n, ancdata):
        for level, kind, data in ancdata:
            if level == SOL_UDP and kind == UDP_GRO:
                seg = struct.unpack('i', data[:4])[0]
                return (n + seg - 1) // seg
        return 1

    n, anc, _, _ = recvmsg_into(bufs, space)
    c0, t0 = time.process_time(), clock()
    last = t0
    segs, nbytes = segments(n, anc), n
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack('ll', 0, 300000))
    try:
        while True:
            n, anc, _, _ = recvmsg_into(bufs, space)
            nbytes += n
            segs += segments(n, anc)
            last = clock()
    except BlockingIOError:
        pass
    report(segs, nbytes, last - t0, time.process_time() - c0)


def udp_send_gso(target, seconds, size):
    """UDP_SEGMENT: one sendmsg per super-datagram of as many segments as fit in 63000 bytes (Python has no sendmmsg)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(('127.0.0.1', int(target)))
    size = int(size)
    per = 63000 // size
    bufs = [b'x' * (per * size)]
    ctl = [(SOL_UDP, UDP_SEGMENT, struct.pack('H', size))]
    sendmsg = s.sendmsg
    segs = 0
    clock = time.perf_counter
    c0, t0 = time.process_time(), clock()
    end, t = t0 + float(seconds), t0
    while t < end:
        for _ in range(16):
            try:
                sendmsg(bufs, ctl)
                segs += per
            except OSError:  # refused (no receiver yet) or a full buffer: dropped, as in C
                pass
        t = clock()
    report(segs, segs * size, t - t0, time.process_time() - c0)


def udp_send(target, seconds, size, variant='', *_):
    if variant == 'gso':
        return udp_send_gso(target, seconds, size)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(('127.0.0.1', int(target)))
    buf = b'x' * int(size)
    segs = 0
    send = s.send
    clock = time.perf_counter
    c0, t0 = time.process_time(), clock()
    end, t = t0 + float(seconds), t0
    while t < end:
        for _ in range(16):
            try:
                send(buf)
                segs += 1
            except OSError:  # refused (no receiver yet) or a full buffer: dropped, as in C
                pass
        t = clock()
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
        recvfrom_into = s.recvfrom_into
        c0, t0 = time.process_time(), time.perf_counter()
        try:
            while True:
                nbytes += recvfrom_into(buf)[0]
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
    recv_into = s.recv_into
    c0, t0 = time.process_time(), time.perf_counter()
    while got < count:
        nbytes += recv_into(buf)
        got += 1
    report(got - 1, nbytes, time.perf_counter() - t0, time.process_time() - c0)
    os.unlink(path)


def ud_send(path, count, size, *_):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.connect(path)
    count = int(count)
    buf = b'x' * int(size)
    send = s.send
    c0, t0 = time.process_time(), time.perf_counter()
    for _ in range(count):
        send(buf)
    report(count, count * len(buf), time.perf_counter() - t0, time.process_time() - c0)


def option(seconds, *_):
    a, b = socket.socketpair()
    getsockopt, level, name = a.getsockopt, socket.SOL_SOCKET, socket.SO_TYPE
    clock = time.perf_counter
    ops = 0
    c0, t0 = time.process_time(), clock()
    end = t0 + float(seconds)
    while clock() < end:
        for _ in range(1000):
            getsockopt(level, name)
        ops += 1000
    report(ops, 0, clock() - t0, time.process_time() - c0)


MODES = {'rr': rr, 'sink': sink, 'source': source, 'udp-recv': udp_recv, 'udp-send': udp_send, 'drain': drain, 'ud-recv': ud_recv, 'ud-send': ud_send, 'option': option}

if __name__ == '__main__':
    if len(sys.argv) < 2 or sys.argv[1] not in MODES:
        sys.exit(f'peer.py: unknown mode (see bench/c/peer.c)')
    MODES[sys.argv[1]](*sys.argv[2:])
