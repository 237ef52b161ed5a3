// The C servers of the `servers` benchmarks (bench/README.md): the limit the
// other servers are held against, one thread, what a careful C program does.
// Each binds 127.0.0.1:0, prints "ready PORT" and serves until it is killed.
//
//   echo-server tcp             level-triggered epoll: the listener accepts until
//                               EAGAIN; each ready connection gets one read of up
//                               to 64 KiB and a write of what it read (a short
//                               write keeps the rest and waits for EPOLLOUT)
//   echo-server udp recvfrom    a blocking recvfrom/sendto loop
//   echo-server udp mmsg        recvmmsg (MSG_WAITFORONE: what is queued, up to
//                               64) and the replies in sendmmsg calls
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK 65536
#define BATCH 64
#define MAX_EVENTS 256

static void die(const char *what) {
  perror(what);
  exit(1);
}

static int bind_ready(int type) {
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t len = sizeof a;
  // The listener does not block: the accept loop takes connections until EAGAIN.
  int s = socket(AF_INET, type | SOCK_CLOEXEC | (type == SOCK_STREAM ? SOCK_NONBLOCK : 0), 0), one = 1;
  if (s < 0) die("socket");
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || getsockname(s, (struct sockaddr *)&a, &len) < 0) die("bind");
  if (type == SOCK_STREAM && listen(s, SOMAXCONN) < 0) die("listen");
  printf("ready %d\n", ntohs(a.sin_port));
  fflush(stdout);
  return s;
}

// What a connection could not write yet, by fd.
struct pending {
  char *data;
  size_t len, off;
};
static struct pending *pend;
static size_t npend;

static struct pending *pending_of(int fd) {
  if ((size_t)fd >= npend) {
    size_t n = (size_t)fd * 2 + 64;
    pend = realloc(pend, n * sizeof *pend);
    if (!pend) die("realloc");
    memset(pend + npend, 0, (n - npend) * sizeof *pend);
    npend = n;
  }
  return &pend[fd];
}

static void drop(int ep, int fd) {
  struct pending *p = pending_of(fd);
  free(p->data);
  *p = (struct pending){ 0 };
  epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
  close(fd);
}

static void watch(int ep, int op, int fd, unsigned events) {
  struct epoll_event ev = { .events = events, .data.fd = fd };
  if (epoll_ctl(ep, op, fd, &ev) < 0) die("epoll_ctl");
}

// Writes data[0, len) to fd; keeps what does not fit and waits for EPOLLOUT
// (not reading meanwhile). Returns -1 when the connection failed.
static int write_or_keep(int ep, int fd, const char *data, size_t len) {
  ssize_t w = send(fd, data, len, MSG_NOSIGNAL);
  if (w < 0 && errno != EAGAIN) return -1;
  if (w < 0) w = 0;
  if ((size_t)w == len) return 0;
  struct pending *p = pending_of(fd);
  p->data = malloc(len - (size_t)w);
  if (!p->data) die("malloc");
  memcpy(p->data, data + w, len - (size_t)w);
  p->len = len - (size_t)w;
  p->off = 0;
  watch(ep, EPOLL_CTL_MOD, fd, EPOLLOUT);
  return 0;
}

static _Noreturn void serve_tcp(void) {
  int ls = bind_ready(SOCK_STREAM);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  watch(ep, EPOLL_CTL_ADD, ls, EPOLLIN);
  static char buf[CHUNK];
  static struct epoll_event ev[MAX_EVENTS];
  for (;;) {
    int k = epoll_wait(ep, ev, MAX_EVENTS, -1);
    if (k < 0 && errno != EINTR) die("epoll_wait");
    for (int i = 0; i < k; i++) {
      int fd = ev[i].data.fd;
      if (fd == ls) {
        int c;
        while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) watch(ep, EPOLL_CTL_ADD, c, EPOLLIN);
        continue;
      }
      struct pending *p = fd < (int)npend ? &pend[fd] : NULL;
      if (p && p->data) {
        ssize_t w = send(fd, p->data + p->off, p->len - p->off, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN) { drop(ep, fd); continue; }
        if (w > 0) p->off += (size_t)w;
        if (p->off == p->len) {
          free(p->data);
          *p = (struct pending){ 0 };
          watch(ep, EPOLL_CTL_MOD, fd, EPOLLIN);
        }
        continue;
      }
      ssize_t r = read(fd, buf, sizeof buf);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (r <= 0 || write_or_keep(ep, fd, buf, (size_t)r) < 0) drop(ep, fd);
    }
  }
}

static _Noreturn void serve_udp(int mmsg) {
  int s = bind_ready(SOCK_DGRAM);
  static char buf[BATCH][2048];
  struct sockaddr_storage from[BATCH];
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  for (;;) {
    if (!mmsg) {
      socklen_t fl = sizeof from[0];
      ssize_t n = recvfrom(s, buf[0], sizeof buf[0], 0, (struct sockaddr *)&from[0], &fl);
      if (n >= 0) sendto(s, buf[0], (size_t)n, 0, (struct sockaddr *)&from[0], fl);
      continue;
    }
    for (int i = 0; i < BATCH; i++) {
      iov[i] = (struct iovec){ buf[i], sizeof buf[i] };
      msgs[i].msg_hdr = (struct msghdr){ .msg_name = &from[i], .msg_namelen = sizeof from[i], .msg_iov = &iov[i], .msg_iovlen = 1 };
    }
    int n = recvmmsg(s, msgs, BATCH, MSG_WAITFORONE, NULL);
    if (n <= 0) continue;
    // Each reply is its request: the same buffer, cut to what arrived, to the sender.
    for (int i = 0; i < n; i++) iov[i].iov_len = msgs[i].msg_len;
    for (int done = 0; done < n;) {
      int w = sendmmsg(s, msgs + done, (unsigned)(n - done), 0);
      if (w <= 0) break; // a reply the kernel would not take is lost, as a dropped datagram is
      done += w;
    }
  }
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc >= 2 && strcmp(argv[1], "tcp") == 0) serve_tcp();
  if (argc >= 3 && strcmp(argv[1], "udp") == 0) serve_udp(strcmp(argv[2], "mmsg") == 0);
  fprintf(stderr, "usage: echo-server tcp | echo-server udp recvfrom|mmsg\n");
  return 2;
}
