// The C reference of the UDP drain benchmark: binds 127.0.0.1:0 with a large
// receive buffer, prints its port, waits for a line on stdin (the queue has
// been filled), drains the queue with recvfrom or recvmmsg until it is empty,
// and prints "datagrams bytes nanoseconds".
// Usage: udp-drain recvfrom|recvmmsg SLOT_SIZE [gro]
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#define BATCH 64

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: udp-drain recvfrom|recvmmsg SLOT_SIZE [gro]\n"); return 2; }
  int mmsg = strcmp(argv[1], "recvmmsg") == 0;
  int slot = atoi(argv[2]);
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  int big = 256 << 20, one = 1;
  if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) < 0) setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  if (argc > 3 && strcmp(argv[3], "gro") == 0) setsockopt(s, IPPROTO_UDP, UDP_GRO, &one, sizeof one);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t len = sizeof a;
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || getsockname(s, (struct sockaddr *)&a, &len) < 0) { perror("bind"); return 1; }
  printf("%d\n", ntohs(a.sin_port));
  fflush(stdout);
  char line[16];
  if (!fgets(line, sizeof line, stdin)) return 1;
  char *buf = malloc((size_t)slot * BATCH);
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  struct sockaddr_in from[BATCH];
  long long count = 0, bytes = 0, t0 = now_ns();
  for (;;) {
    if (mmsg) {
      memset(msgs, 0, sizeof msgs);
      for (int i = 0; i < BATCH; i++) {
        iov[i].iov_base = buf + (size_t)i * slot;
        iov[i].iov_len = (size_t)slot;
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &from[i];
        msgs[i].msg_hdr.msg_namelen = sizeof from[i];
      }
      int n = recvmmsg(s, msgs, BATCH, 0, NULL);
      if (n < 0) break;
      for (int i = 0; i < n; i++) bytes += msgs[i].msg_len;
      count += n;
    } else {
      socklen_t fl = sizeof from[0];
      ssize_t n = recvfrom(s, buf, (size_t)slot, 0, (struct sockaddr *)&from[0], &fl);
      if (n < 0) break;
      bytes += n;
      count++;
    }
  }
  long long ns = now_ns() - t0;
  if (errno != EAGAIN && errno != EWOULDBLOCK) { perror("recv"); return 1; }
  printf("%lld %lld %lld\n", count, bytes, ns);
  return 0;
}
