// The C reference and counterpart of every benchmark (bench/README.md): plain
// blocking or batched system calls, what a careful C program would do. One
// binary, one mode per workload; the protocol is the one every peer program
// follows: an optional "ready ADDRESS" line, then one JSON result line with
// ops, bytes, seconds (the measured interval) and cpu (CPU seconds this
// process spent in it), plus p50/p99 round-trip microseconds for rr.
//
//   peer echo tcp|unix|udp [PATH]            echo server (one thread per connection)
//   peer rr tcp|unix|udp TARGET SECONDS SIZE ping-pong client
//   peer sink tcp|unix TARGET SECONDS        connects, reads 64 KiB at a time until EOF
//                                            or SECONDS after the first byte
//   peer source tcp|unix PATH|- SIZE         accepts one stream, writes SIZE-byte chunks
//                                            until the peer goes
//   peer udp-recv recvfrom|recvmmsg|gro      counts datagrams (segments with gro) until
//                                            300 ms without one
//   peer udp-send TARGET SECONDS SIZE send|sendmmsg|gso
//   peer drain recvfrom|recvmmsg SLOT GRO    per line on stdin: binds, prints ready,
//                                            waits (queue filled), drains it, reports
//   peer fill PORT COUNT SIZE                queues COUNT datagrams on 127.0.0.1:PORT
//                                            (sendmmsg; the drains' setup, not measured)
//   peer ud-recv PATH COUNT [mmsg]           Unix datagrams: receives COUNT (recv, or recvmmsg)
//   peer ud-send PATH COUNT SIZE [mmsg]      Unix datagrams: sends COUNT (send, or sendmmsg)
//   peer option SECONDS                      getsockopt(SO_TYPE) in a loop (one option read)
//
// TARGET is PORT (127.0.0.1) for tcp/udp, a path for unix.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#define BATCH 64
// The drain receivers' queue: room for the whole burst (50000 datagrams of
// 1400 bytes take 115 MB of truesize on Linux 6).
#define DRAIN_RCVBUF (256 << 20)
#define CHUNK 65536

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) + (double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void report(long long ops, long long bytes, double seconds, double cpus, const char *extra) {
  printf("{\"ops\":%lld,\"bytes\":%lld,\"seconds\":%.6f,\"cpu\":%.6f%s}\n", ops, bytes, seconds, cpus, extra ? extra : "");
  fflush(stdout);
}

static int is_unix(const char *transport) { return strcmp(transport, "unix") == 0; }

// Sizes the receive queue: SO_RCVBUFFORCE (root) lifts rmem_max, SO_RCVBUF
// is the fallback and stops at it.
static void set_rcvbuf(int s, int bytes) {
  if (bytes > 0 && setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) < 0) setsockopt(s, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
}

// Binds a fresh socket to 127.0.0.1:0 or PATH and prints "ready PORT|PATH".
// Everything that shapes what the socket accepts (rcvbuf bytes, UDP_GRO) is
// set before "ready": the runner starts sending the moment it reads that
// line, and a queue still at the default size drops the head of the burst.
static int bind_ready(const char *transport, const char *path, int type, int rcvbuf, int gro) {
  int s;
  if (is_unix(transport)) {
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    if (!path || strlen(path) >= sizeof a.sun_path) { fprintf(stderr, "bad unix path\n"); exit(2); }
    strcpy(a.sun_path, path);
    unlink(path);
    s = socket(AF_UNIX, type, 0);
    if (s < 0) die("socket");
    set_rcvbuf(s, rcvbuf);
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
    printf("ready %s\n", path);
  } else {
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    s = socket(AF_INET, type, 0);
    if (s < 0) die("socket");
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    set_rcvbuf(s, rcvbuf);
    if (gro && setsockopt(s, IPPROTO_UDP, UDP_GRO, &one, sizeof one) < 0) die("UDP_GRO");
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || getsockname(s, (struct sockaddr *)&a, &len) < 0) die("bind");
    printf("ready %d\n", ntohs(a.sin_port));
  }
  if (type == SOCK_STREAM && listen(s, 128) < 0) die("listen");
  fflush(stdout);
  return s;
}

// A send buffer holding real bytes: calloc'd memory that is never written maps
// every page to the kernel's one zero page, which makes each copy out of it
// cache-hot and the C peer unfairly fast (the JS peers send written Buffers).
static char *filled(size_t size) {
  char *buf = malloc(size ? size : 1);
  if (!buf) die("malloc");
  memset(buf, 'x', size);
  return buf;
}

static int connect_to(const char *transport, const char *target, int type) {
  int s;
  if (is_unix(transport)) {
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    if (strlen(target) >= sizeof a.sun_path) { fprintf(stderr, "bad unix path\n"); exit(2); }
    strcpy(a.sun_path, target);
    s = socket(AF_UNIX, type, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
  } else {
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(target)), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    s = socket(AF_INET, type, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
    int one = 1;
    if (type == SOCK_STREAM) setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return s;
}

static void *echo_stream(void *arg) {
  int fd = (int)(long)arg, one = 1;
  char buf[CHUNK];
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = send(fd, buf + off, (size_t)(n - off), MSG_NOSIGNAL);
      if (w <= 0) goto done;
      off += w;
    }
  }
done:
  close(fd);
  return NULL;
}

static int mode_echo(int argc, char **argv) {
  const char *transport = argv[2];
  if (strcmp(transport, "udp") == 0) {
    int s = bind_ready("udp", NULL, SOCK_DGRAM, 0, 0);
    char buf[CHUNK];
    struct sockaddr_storage from;
    for (;;) {
      socklen_t fl = sizeof from;
      ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
      if (n >= 0) sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
    }
  }
  int s = bind_ready(transport, argc > 3 ? argv[3] : NULL, SOCK_STREAM, 0, 0);
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) continue;
    pthread_t t;
    pthread_create(&t, NULL, echo_stream, (void *)(long)c);
    pthread_detach(t);
  }
  return 1;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int mode_rr(int argc, char **argv) {
  if (argc < 6) return 2;
  const char *transport = argv[2];
  double seconds = atof(argv[4]);
  size_t size = (size_t)atoi(argv[5]);
  int s = connect_to(transport, argv[3], strcmp(transport, "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM);
  char out[CHUNK], in[CHUNK];
  memset(out, 'a', sizeof out);
  size_t cap = 1 << 20, n = 0;
  double *rtt = malloc(cap * sizeof *rtt);
  double c0 = cpu(), t0 = now(), end = t0 + seconds, t = t0;
  while (t < end) {
    if (send(s, out, size, MSG_NOSIGNAL) != (ssize_t)size) die("send");
    for (size_t got = 0; got < size;) {
      ssize_t r = recv(s, in + got, size - got, 0);
      if (r <= 0) die("recv");
      got += (size_t)r;
    }
    double t1 = now();
    if (n == cap) rtt = realloc(rtt, (cap *= 2) * sizeof *rtt);
    rtt[n++] = (t1 - t) * 1e6;
    t = t1;
  }
  double c1 = cpu();
  qsort(rtt, n, sizeof *rtt, cmp_double);
  char extra[96];
  snprintf(extra, sizeof extra, ",\"p50\":%.2f,\"p99\":%.2f", rtt[n / 2], rtt[(size_t)(n * 0.99)]);
  report((long long)n, (long long)(n * size), t - t0, c1 - c0, extra);
  return 0;
}

static int mode_sink(int argc, char **argv) {
  if (argc < 5) return 2;
  int c = connect_to(argv[2], argv[3], SOCK_STREAM);
  double seconds = atof(argv[4]);
  char *buf = malloc(CHUNK);
  long long bytes = 0, reads = 0;
  ssize_t r = recv(c, buf, CHUNK, 0);
  if (r <= 0) die("recv");
  double c0 = cpu(), t0 = now(), end = seconds > 0 ? t0 + seconds : 1e300, t = t0;
  // The first read starts the clock and is not counted.
  while (t < end) {
    r = recv(c, buf, CHUNK, 0);
    if (r <= 0) break;
    bytes += r;
    reads++;
    if ((reads & 15) == 0 || seconds <= 0) t = now();
  }
  t = now();
  report(reads, bytes, t - t0, cpu() - c0, NULL);
  return 0;
}

static int mode_source(int argc, char **argv) {
  if (argc < 5) return 2;
  int l = bind_ready(argv[2], argv[3], SOCK_STREAM, 0, 0);
  int s = accept(l, NULL, NULL);
  if (s < 0) die("accept");
  size_t size = (size_t)atoi(argv[4]);
  char *buf = filled(size);
  long long sent = 0, writes = 0;
  double c0 = cpu(), t0 = now();
  for (;;) {
    ssize_t w = send(s, buf, size, MSG_NOSIGNAL);
    if (w <= 0) break;
    sent += w;
    writes++;
  }
  report(writes, sent, now() - t0, cpu() - c0, NULL);
  return 0;
}

// Counts what arrives until 300 ms pass without a datagram (after the first).
static int mode_udp_recv(int argc, char **argv) {
  if (argc < 3) return 2;
  int mmsg = strcmp(argv[2], "recvfrom") != 0, gro = strcmp(argv[2], "gro") == 0;
  int s = bind_ready("udp", NULL, SOCK_DGRAM, 4 << 20, gro);
  size_t slot = gro ? CHUNK : 2048;
  char *buf = malloc(slot * BATCH);
  char ctl[BATCH][64];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  struct sockaddr_in from[BATCH];
  struct timeval tv = { .tv_sec = 0, .tv_usec = 300000 }, first = { .tv_sec = 20 };
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &first, sizeof first); // a sender that never came is an error
  long long segs = 0, bytes = 0, calls = 0;
  int timed = 0;
  double c0 = 0, t0 = 0, last = 0;
  for (;;) {
    if (segs && !timed) timed = setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0;
    if (mmsg) {
      for (int i = 0; i < BATCH; i++) {
        iov[i] = (struct iovec){ buf + (size_t)i * slot, slot };
        msgs[i].msg_hdr = (struct msghdr){ .msg_name = &from[i], .msg_namelen = sizeof from[i], .msg_iov = &iov[i], .msg_iovlen = 1,
                                           .msg_control = gro ? ctl[i] : NULL, .msg_controllen = gro ? sizeof ctl[i] : 0 };
      }
      // MSG_WAITFORONE: wait for the first, take what else is queued. Without
      // it a blocking recvmmsg waits for all BATCH, and the last call of a
      // flood sat out the whole 300 ms timeout inside the measured interval.
      int n = recvmmsg(s, msgs, BATCH, MSG_WAITFORONE, NULL);
      if (n <= 0 && !segs) die("udp-recv: nothing arrived");
      if (n <= 0) break;
      if (!segs) { c0 = cpu(); t0 = now(); }
      for (int i = 0; i < n; i++) {
        unsigned len = msgs[i].msg_len;
        bytes += len;
        int seg = 0;
        if (gro)
          for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c))
            if (c->cmsg_level == IPPROTO_UDP && c->cmsg_type == UDP_GRO) memcpy(&seg, CMSG_DATA(c), sizeof seg);
        segs += seg > 0 ? (len + (unsigned)seg - 1) / (unsigned)seg : 1;
      }
    } else {
      socklen_t fl = sizeof from[0];
      ssize_t n = recvfrom(s, buf, slot, 0, (struct sockaddr *)&from[0], &fl);
      if (n < 0 && !segs) die("udp-recv: nothing arrived");
      if (n < 0) break;
      if (!segs) { c0 = cpu(); t0 = now(); }
      bytes += n;
      segs++;
    }
    if (mmsg || (calls & 63) == 0) last = now();
    calls++;
  }
  // The idle wait at the end costs no CPU and is left out of the interval.
  if (last < t0) last = t0;
  report(segs, bytes, last - t0, cpu() - c0, NULL);
  return 0;
}

static int mode_udp_send(int argc, char **argv) {
  if (argc < 6) return 2;
  double seconds = atof(argv[3]);
  size_t size = (size_t)atoi(argv[4]);
  const char *how = argv[5];
  int s = connect_to("udp", argv[2], SOCK_DGRAM);
  int gso = strcmp(how, "gso") == 0, mmsg = strcmp(how, "sendmmsg") == 0 || gso;
  size_t per = gso ? 63000 / size : 1; // segments per super-datagram
  char *buf = filled(per * size);
  struct mmsghdr msgs[BATCH];
  struct iovec iov = { buf, per * size };
  union { char b[CMSG_SPACE(sizeof(uint16_t))]; struct cmsghdr align; } ctl;
  memset(&ctl, 0, sizeof ctl);
  if (gso) {
    struct cmsghdr *c = (struct cmsghdr *)ctl.b;
    c->cmsg_level = IPPROTO_UDP;
    c->cmsg_type = UDP_SEGMENT;
    c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    uint16_t seg = (uint16_t)size;
    memcpy(CMSG_DATA(c), &seg, sizeof seg);
  }
  for (int i = 0; i < BATCH; i++)
    msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1, .msg_control = gso ? ctl.b : NULL, .msg_controllen = gso ? sizeof ctl.b : 0 };
  long long segs = 0;
  int batch = gso ? 8 : BATCH;
  double c0 = cpu(), t0 = now(), end = t0 + seconds, t = t0;
  while (t < end) {
    for (int k = 0; k < 16; k++) {
      if (mmsg) {
        int n = sendmmsg(s, msgs, (unsigned)batch, 0);
        if (n > 0) segs += (long long)n * (long long)per;
        else if (errno != ECONNREFUSED && errno != ENOBUFS && errno != EAGAIN) die("sendmmsg");
      } else {
        if (send(s, buf, size, 0) >= 0) segs++;
        else if (errno != ECONNREFUSED && errno != ENOBUFS && errno != EAGAIN) die("send");
      }
    }
    t = now();
  }
  report(segs, segs * (long long)size, t - t0, cpu() - c0, NULL);
  return 0;
}

// Sends exactly COUNT datagrams (sendmmsg may send fewer than asked: the rest
// goes in the next call); the runner then checks that all were queued.
static int mode_fill(int argc, char **argv) {
  if (argc < 5) return 2;
  long long count = atoll(argv[3]), sent = 0;
  size_t size = (size_t)atoi(argv[4]);
  int s = connect_to("udp", argv[2], SOCK_DGRAM);
  char *buf = filled(size);
  struct iovec iov = { buf, size };
  struct mmsghdr msgs[BATCH];
  for (int i = 0; i < BATCH; i++) msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1 };
  double c0 = cpu(), t0 = now();
  while (sent < count) {
    int n = sendmmsg(s, msgs, (unsigned)(count - sent < BATCH ? count - sent : BATCH), 0);
    if (n < 0) die("fill: sendmmsg");
    sent += n;
  }
  report(sent, sent * (long long)size, now() - t0, cpu() - c0, NULL);
  return 0;
}

// Repeats until stdin ends: bind a fresh socket, print "ready PORT", wait for
// a line (the queue has been filled), drain until empty, report.
static int mode_drain(int argc, char **argv) {
  if (argc < 4) return 2;
  int mmsg = strcmp(argv[2], "recvmmsg") == 0, gro = argc > 4 && strcmp(argv[4], "1") == 0;
  size_t slot = (size_t)atoi(argv[3]);
  char *buf = malloc(slot * BATCH);
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  struct sockaddr_in from[BATCH];
  char line[32];
  for (;;) {
    int s = bind_ready("udp", NULL, SOCK_DGRAM, DRAIN_RCVBUF, gro);
    if (!fgets(line, sizeof line, stdin)) return 0;
    long long count = 0, bytes = 0;
    double c0 = cpu(), t0 = now();
    for (;;) {
      if (mmsg) {
        for (int i = 0; i < BATCH; i++) {
          iov[i] = (struct iovec){ buf + (size_t)i * slot, slot };
          msgs[i].msg_hdr = (struct msghdr){ .msg_name = &from[i], .msg_namelen = sizeof from[i], .msg_iov = &iov[i], .msg_iovlen = 1 };
        }
        int n = recvmmsg(s, msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n < 0) break;
        for (int i = 0; i < n; i++) bytes += msgs[i].msg_len;
        count += n;
      } else {
        socklen_t fl = sizeof from[0];
        ssize_t n = recvfrom(s, buf, slot, MSG_DONTWAIT, (struct sockaddr *)&from[0], &fl);
        if (n < 0) break;
        bytes += n;
        count++;
      }
    }
    if (errno != EAGAIN) die("recv");
    report(count, bytes, now() - t0, cpu() - c0, NULL);
    close(s);
  }
}

static int mode_ud_recv(int argc, char **argv) {
  if (argc < 4) return 2;
  int mmsg = argc > 4 && strcmp(argv[4], "mmsg") == 0;
  int s = bind_ready("unix", argv[2], SOCK_DGRAM, 0, 0);
  long long count = atoll(argv[3]), got = 0, bytes = 0;
  size_t slot = 2048;
  char *buf = malloc(CHUNK > slot * BATCH ? CHUNK : slot * BATCH);
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  ssize_t n = recv(s, buf, CHUNK, 0); // the first starts the clock
  if (n < 0) die("recv");
  got = 1;
  double c0 = cpu(), t0 = now();
  while (got < count) {
    if (mmsg) {
      for (int i = 0; i < BATCH; i++) {
        iov[i] = (struct iovec){ buf + (size_t)i * slot, slot };
        msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1 };
      }
      long long want = count - got < BATCH ? count - got : BATCH;
      int r = recvmmsg(s, msgs, (unsigned)want, MSG_WAITFORONE, NULL);
      if (r < 0) die("recvmmsg");
      for (int i = 0; i < r; i++) bytes += msgs[i].msg_len;
      got += r;
    } else {
      n = recv(s, buf, CHUNK, 0);
      if (n < 0) die("recv");
      bytes += n;
      got++;
    }
  }
  report(got - 1, bytes, now() - t0, cpu() - c0, NULL);
  unlink(argv[2]);
  return 0;
}

static int mode_ud_send(int argc, char **argv) {
  if (argc < 5) return 2;
  int mmsg = argc > 5 && strcmp(argv[5], "mmsg") == 0;
  int s = connect_to("unix", argv[2], SOCK_DGRAM);
  long long count = atoll(argv[3]);
  size_t size = (size_t)atoi(argv[4]);
  char *buf = filled(size);
  struct iovec iov = { buf, size };
  struct mmsghdr msgs[BATCH];
  for (int i = 0; i < BATCH; i++) msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1 };
  double c0 = cpu(), t0 = now();
  for (long long i = 0; i < count;) {
    if (mmsg) {
      int r = sendmmsg(s, msgs, (unsigned)(count - i < BATCH ? count - i : BATCH), 0);
      if (r < 0) die("sendmmsg");
      i += r;
    } else {
      if (send(s, buf, size, 0) < 0) die("send");
      i++;
    }
  }
  report(count, count * (long long)size, now() - t0, cpu() - c0, NULL);
  return 0;
}

// One option read, the cheapest complete trip into the kernel and back.
static int mode_option(int argc, char **argv) {
  if (argc < 3) return 2;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) die("socketpair");
  long long ops = 0;
  double c0 = cpu(), t0 = now(), end = t0 + atof(argv[2]);
  while (now() < end) {
    for (int i = 0; i < 1000; i++) {
      int type;
      socklen_t len = sizeof type;
      if (getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &len) < 0) die("getsockopt");
    }
    ops += 1000;
  }
  report(ops, 0, now() - t0, cpu() - c0, NULL);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 3) { fprintf(stderr, "usage: see the head of bench/c/peer.c\n"); return 2; }
  const char *mode = argv[1];
  int rc = 2;
  if (strcmp(mode, "echo") == 0) rc = mode_echo(argc, argv);
  else if (strcmp(mode, "rr") == 0) rc = mode_rr(argc, argv);
  else if (strcmp(mode, "sink") == 0) rc = mode_sink(argc, argv);
  else if (strcmp(mode, "source") == 0) rc = mode_source(argc, argv);
  else if (strcmp(mode, "udp-recv") == 0) rc = mode_udp_recv(argc, argv);
  else if (strcmp(mode, "udp-send") == 0) rc = mode_udp_send(argc, argv);
  else if (strcmp(mode, "drain") == 0) rc = mode_drain(argc, argv);
  else if (strcmp(mode, "fill") == 0) rc = mode_fill(argc, argv);
  else if (strcmp(mode, "option") == 0) rc = mode_option(argc, argv);
  else if (strcmp(mode, "ud-recv") == 0) rc = mode_ud_recv(argc, argv);
  else if (strcmp(mode, "ud-send") == 0) rc = mode_ud_send(argc, argv);
  if (rc == 2) fprintf(stderr, "peer: bad arguments for %s (see bench/c/peer.c)\n", mode);
  return rc;
}
