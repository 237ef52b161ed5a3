// The load generator of the `servers` benchmarks (bench/README.md): N clients
// of one echo server on 127.0.0.1:PORT, each with one 64-byte request
// outstanding (pipeline depth 1), all driven by one level-triggered epoll loop
// on one thread. The server is what is measured, and it is measured from
// outside, the same way whatever it is written in: its rate is the round
// trips counted here, its CPU time and memory are read from /proc/PID.
//
//   loadgen tcp PORT CONNECTIONS SECONDS WARMUP SERVER_PID
//   loadgen udp PORT CLIENTS SECONDS WARMUP SERVER_PID
//
// 1. Setup: clients are opened in waves of WAVE; each sends one request and
//    the wave waits for every echo before the next opens. The server's accept
//    queue never holds more than WAVE connections (no backlog overflow, no
//    SYN retried a second later), and every connection is known to be
//    established, accepted and echoing before the load starts.
// 2. Warm-up: every client sends; each reply is checked (the echo of that
//    request, byte for byte) and answered with the next request. It lasts
//    WARMUP seconds, and longer if some client has not yet had a reply.
// 3. Measured interval: SECONDS of the same. At its start and end the
//    server's user + system CPU time (every thread) is read from
//    /proc/PID/stat; at the end its VmRSS and VmHWM from /proc/PID/status.
//
// UDP clients are connected sockets, one per client. Before they start, the
// server's socket gets a receive buffer of SERVER_RCVBUF, set from here
// through a duplicate of its fd (pidfd_getfd, which needs root): the default
// (rmem_default, 208 KiB) holds about 250 small datagrams, and 1,000 clients'
// requests then overflow it whatever the server is; not every server can set
// it (Bun.udpSocket has no such option), so every one gets it alike. A
// request unanswered
// after RTO seconds is sent again with a new sequence number, and counted; a
// reply to the earlier one that arrives after all is counted as late and
// ignored (a request that was slow, not lost).
//
// Output, the protocol of peer.c: one JSON line with ops (round trips in the
// interval), bytes, seconds, cpu (this program's own CPU seconds), serverCpu
// (seconds), serverRss and serverHwm (bytes), p50/p99 round-trip µs, clients;
// for UDP also sent (requests sent in the interval), retransmits, late and
// serverRcvbuf (the server socket's receive buffer as the kernel reports it).
// Any failure (a refused or reset connection, a reply that is not the echo,
// a server that stops answering) ends it with a message and exit status 1.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <dirent.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define SIZE 64
#define WAVE 32              // connections opened at once (below every server's listen backlog)
#define MAX_EVENTS 1024
#define WAVE_TIMEOUT 10.0    // seconds a wave may take to be echoed
#define STALL_TIMEOUT 10.0   // seconds without any reply: the server is stuck
#define STARVED_TIMEOUT 20.0 // seconds of warm-up past WARMUP for every client to get a reply
#define RTO 1.0              // UDP: seconds before a request is sent again (far above any round trip here: 1,000 clients at 10,000/s wait 100 ms)
#define SERVER_RCVBUF (4 << 20) // UDP: the server socket's receive buffer (the kernel doubles it)

struct client {
  int fd;
  uint32_t seq;     // of the request outstanding
  uint32_t got;     // bytes of its reply received (TCP)
  uint32_t served;  // replies under load
  double sent_at;
  uint8_t in[SIZE];
};

static int udp;
static int port;
static pid_t server_pid;
static struct client *clients;
static int epfd;
static long long sent, retransmits, late;

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("loadgen: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double self_cpu(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) + (double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

// The server's user + system time in seconds: fields 14 and 15 of
// /proc/PID/stat, which add up every thread of the process, living or gone.
static double server_cpu(void) {
  char path[64], buf[2048];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)server_pid);
  FILE *f = fopen(path, "r");
  if (!f) die("%s: %s (the server is gone?)", path, strerror(errno));
  size_t len = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[len] = 0;
  char *p = strrchr(buf, ')'); // the command name may hold spaces and parentheses
  unsigned long long ut, st;
  if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) die("%s: unexpected format", path);
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

// VmRSS and VmHWM of the server, in bytes.
static void server_memory(long long *rss, long long *hwm) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)server_pid);
  FILE *f = fopen(path, "r");
  if (!f) die("%s: %s (the server is gone?)", path, strerror(errno));
  *rss = *hwm = -1;
  long long kb;
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "VmRSS: %lld kB", &kb) == 1) *rss = kb * 1024;
    else if (sscanf(line, "VmHWM: %lld kB", &kb) == 1) *hwm = kb * 1024;
  }
  fclose(f);
  if (*rss < 0 || *hwm < 0) die("%s: no VmRSS/VmHWM", path);
}

// The inodes of the UDP sockets bound to 127.0.0.1:port (/proc/net/udp).
static int udp_inodes(unsigned long *inodes, int max) {
  char local[32], line[512];
  snprintf(local, sizeof local, "0100007F:%04X", port);
  FILE *f = fopen("/proc/net/udp", "r");
  if (!f) die("/proc/net/udp: %s", strerror(errno));
  int n = 0;
  while (fgets(line, sizeof line, f) && n < max) {
    char addr[64];
    unsigned long inode;
    if (sscanf(line, " %*s %63s %*s %*s %*s %*s %*s %*s %*s %lu", addr, &inode) == 2 && strcmp(addr, local) == 0) inodes[n++] = inode;
  }
  fclose(f);
  return n;
}

// Sets SO_RCVBUF(FORCE) on every socket of the server bound to the port (a
// reuseport group has several), through pidfd_getfd; returns the size the
// kernel reports for the first, or dies saying why it could not.
static int raise_server_rcvbuf(void) {
  unsigned long inodes[64];
  int ni = udp_inodes(inodes, 64), done = 0, size = 0;
  if (ni == 0) die("no UDP socket bound to 127.0.0.1:%d", port);
  int pidfd = (int)syscall(SYS_pidfd_open, server_pid, 0);
  if (pidfd < 0) die("pidfd_open(%d): %s", (int)server_pid, strerror(errno));
  char dir[64];
  snprintf(dir, sizeof dir, "/proc/%d/fd", (int)server_pid);
  DIR *d = opendir(dir);
  if (!d) die("%s: %s", dir, strerror(errno));
  for (struct dirent *e; (e = readdir(d));) {
    char path[320], link[64];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    ssize_t len = readlink(path, link, sizeof link - 1);
    unsigned long inode;
    if (len <= 0) continue;
    link[len] = 0;
    if (sscanf(link, "socket:[%lu]", &inode) != 1) continue;
    int match = 0;
    for (int i = 0; i < ni; i++) match |= inodes[i] == inode;
    if (!match) continue;
    int fd = (int)syscall(SYS_pidfd_getfd, pidfd, atoi(e->d_name), 0);
    if (fd < 0) die("pidfd_getfd(server fd %s): %s (raising the server's receive buffer needs root)", e->d_name, strerror(errno));
    int want = SERVER_RCVBUF;
    socklen_t sl = sizeof size;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof want) < 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want) < 0) die("SO_RCVBUF: %s", strerror(errno));
    if (!done) getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, &sl);
    close(fd);
    done++;
  }
  closedir(d);
  close(pidfd);
  if (!done) die("the server (pid %d) holds no socket bound to 127.0.0.1:%d", (int)server_pid, port);
  return size;
}

// A request: the client's index and the sequence number, then bytes that
// depend on both, so that a reply to another client or request differs.
static void request(uint8_t *m, uint32_t idx, uint32_t seq) {
  memcpy(m, &idx, 4);
  memcpy(m + 4, &seq, 4);
  for (int i = 8; i < SIZE; i++) m[i] = (uint8_t)('a' + (idx + seq + (uint32_t)i) % 26);
}

static void send_request(uint32_t idx) {
  struct client *c = &clients[idx];
  uint8_t m[SIZE];
  request(m, idx, ++c->seq);
  c->got = 0;
  c->sent_at = now();
  sent++;
  ssize_t w = send(c->fd, m, SIZE, MSG_NOSIGNAL);
  if (w == SIZE) return;
  // A datagram the kernel would not queue is a lost one: the retransmit timer sends it again.
  if (udp && w < 0 && (errno == EAGAIN || errno == ENOBUFS)) return;
  if (w < 0) die("client %u: send: %s", idx, strerror(errno));
  // 64 bytes into an empty send buffer: a short write means something is badly wrong.
  die("client %u: short send (%zd of %d bytes)", idx, w, SIZE);
}

static void open_client(uint32_t idx) {
  struct client *c = &clients[idx];
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  c->fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  if (c->fd < 0) die("client %u: socket: %s", idx, strerror(errno));
  // A blocking connect, bounded: on loopback it returns once the handshake is done.
  struct timeval tv = { .tv_sec = 10 };
  setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(c->fd, (struct sockaddr *)&a, sizeof a) < 0) die("client %u: connect: %s", idx, strerror(errno));
  if (fcntl(c->fd, F_SETFL, O_NONBLOCK) < 0) die("fcntl: %s", strerror(errno));
  int one = 1;
  if (!udp) setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct epoll_event ev = { .events = EPOLLIN, .data.u32 = idx };
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
}

// Reads what client idx has; returns 1 when its reply is complete (and is the
// echo of its request), 0 otherwise.
static int receive(uint32_t idx) {
  struct client *c = &clients[idx];
  if (udp) {
    uint8_t buf[2048];
    ssize_t r = recv(c->fd, buf, sizeof buf, 0);
    if (r < 0) {
      if (errno == EAGAIN) return 0;
      die("client %u: recv: %s", idx, strerror(errno));
    }
    if (r != SIZE) die("client %u: a reply of %zd bytes (sent %d)", idx, r, SIZE);
    uint32_t seq;
    memcpy(&seq, buf + 4, 4);
    if (seq != c->seq) {
      late++; // the reply to a request already sent again
      return 0;
    }
    memcpy(c->in, buf, SIZE);
  } else {
    ssize_t r = recv(c->fd, c->in + c->got, SIZE - c->got, 0);
    if (r == 0) die("connection %u: closed by the server", idx);
    if (r < 0) {
      if (errno == EAGAIN) return 0;
      die("connection %u: recv: %s", idx, strerror(errno));
    }
    c->got += (uint32_t)r;
    if (c->got < SIZE) return 0;
  }
  uint8_t want[SIZE];
  request(want, idx, c->seq);
  if (memcmp(want, c->in, SIZE) != 0) die("client %u: the reply is not the echo of its request", idx);
  return 1;
}

// UDP: sends again every request unanswered for RTO seconds; `counted` says
// whether the retransmits count (in the warm-up and the measured interval).
static void retransmit(uint32_t from, uint32_t to, double t, int counted) {
  for (uint32_t i = from; i < to; i++) {
    if (t - clients[i].sent_at < RTO) continue;
    if (counted) retransmits++;
    send_request(i);
  }
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 7 || (strcmp(argv[1], "tcp") != 0 && strcmp(argv[1], "udp") != 0)) {
    fprintf(stderr, "usage: loadgen tcp|udp PORT CLIENTS SECONDS WARMUP SERVER_PID\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  udp = strcmp(argv[1], "udp") == 0;
  port = atoi(argv[2]);
  int n = atoi(argv[3]);
  double seconds = atof(argv[4]), warmup = atof(argv[5]);
  server_pid = (pid_t)atoi(argv[6]);
  if (port <= 0 || port > 65535 || n < 1 || seconds <= 0 || warmup < 0 || server_pid <= 0) die("bad arguments");
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < (rlim_t)n + 16) die("RLIMIT_NOFILE is %llu: %d clients need %d (start it with prlimit --nofile)", (unsigned long long)rl.rlim_cur, n, n + 16);
  clients = calloc((size_t)n, sizeof *clients);
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (!clients || epfd < 0) die("setup: %s", strerror(errno));
  static struct epoll_event ev[MAX_EVENTS];

  int rcvbuf = udp ? raise_server_rcvbuf() : 0;

  // 1. Setup, in waves.
  for (int start = 0; start < n; start += WAVE) {
    int end = start + WAVE < n ? start + WAVE : n, pending = end - start;
    for (int i = start; i < end; i++) open_client((uint32_t)i);
    for (int i = start; i < end; i++) send_request((uint32_t)i);
    double deadline = now() + WAVE_TIMEOUT;
    while (pending > 0) {
      int k = epoll_wait(epfd, ev, MAX_EVENTS, 10);
      if (k < 0 && errno != EINTR) die("epoll_wait: %s", strerror(errno));
      for (int j = 0; j < k; j++) pending -= receive(ev[j].data.u32);
      double t = now();
      if (udp) retransmit((uint32_t)start, (uint32_t)end, t, 0);
      if (t > deadline) die("%d of the %d %s opened from #%d got no echo within %.0f s", pending, end - start, udp ? "clients" : "connections", start, WAVE_TIMEOUT);
    }
  }

  // 2. Warm-up and 3. the measured interval: every client always has one request out.
  sent = 0;
  for (int i = 0; i < n; i++) send_request((uint32_t)i);
  int measuring = 0, unserved = n;
  double t = now(), warm_end = t + warmup, last_reply = t, last_scan = t, t0 = 0, cpu0 = 0, srv0 = 0;
  long long ops = 0, sent0 = 0, retransmits0 = 0, late0 = 0;
  size_t cap = 1 << 20, nrtt = 0;
  double *rtt = malloc(cap * sizeof *rtt);
  if (!rtt) die("malloc");
  for (;;) {
    int k = epoll_wait(epfd, ev, MAX_EVENTS, udp ? 10 : 100);
    if (k < 0 && errno != EINTR) die("epoll_wait: %s", strerror(errno));
    for (int j = 0; j < k; j++) {
      uint32_t idx = ev[j].data.u32;
      if (!receive(idx)) continue;
      struct client *c = &clients[idx];
      double t1 = now();
      if (measuring) {
        ops++;
        if (nrtt == cap && !(rtt = realloc(rtt, (cap *= 2) * sizeof *rtt))) die("realloc");
        rtt[nrtt++] = (t1 - c->sent_at) * 1e6;
      }
      if (c->served++ == 0) unserved--;
      last_reply = t1;
      send_request(idx);
    }
    t = now();
    if (udp && t - last_scan >= 0.01) {
      retransmit(0, (uint32_t)n, t, 1);
      last_scan = t;
    }
    if (t - last_reply > STALL_TIMEOUT) die("no reply from the server for %.0f s", STALL_TIMEOUT);
    if (!measuring && t >= warm_end) {
      if (unserved > 0 && t > warm_end + STARVED_TIMEOUT) die("%d of %d clients had no reply in %.0f s under load", unserved, n, warmup + STARVED_TIMEOUT);
      if (unserved == 0) {
        measuring = 1;
        t0 = t;
        cpu0 = self_cpu();
        srv0 = server_cpu();
        sent0 = sent;
        retransmits0 = retransmits;
        late0 = late;
      }
    } else if (measuring && t - t0 >= seconds) break;
  }
  double srv1 = server_cpu(), cpu1 = self_cpu();
  long long rss, hwm;
  server_memory(&rss, &hwm);
  if (ops == 0) die("no round trip in the measured interval");
  qsort(rtt, nrtt, sizeof *rtt, cmp_double);
  printf("{\"ops\":%lld,\"bytes\":%lld,\"seconds\":%.6f,\"cpu\":%.6f,\"serverCpu\":%.6f,\"serverRss\":%lld,\"serverHwm\":%lld,"
         "\"p50\":%.2f,\"p99\":%.2f,\"clients\":%d",
         ops, ops * SIZE, t - t0, cpu1 - cpu0, srv1 - srv0, rss, hwm, rtt[nrtt / 2], rtt[(size_t)((double)nrtt * 0.99)], n);
  if (udp) printf(",\"sent\":%lld,\"retransmits\":%lld,\"late\":%lld,\"serverRcvbuf\":%d", sent - sent0, retransmits - retransmits0, late - late0, rcvbuf);
  printf("}\n");
  return 0;
}
