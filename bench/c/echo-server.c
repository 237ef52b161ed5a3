// A minimal blocking TCP echo server used as the common peer of the
// request/response benchmarks: one thread per connection, echoes whatever
// arrives. Usage: echo-server PORTFILE (writes the port it listens on).
#include "bench.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static void *serve(void *arg) {
  int fd = (int)(long)arg;
  char buf[65536];
  int one = 1;
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

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: echo-server PORTFILE\n"); return 2; }
  return bench_serve(argv[1], serve);
}
