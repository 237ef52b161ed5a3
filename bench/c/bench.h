// Shared by the C peers of the benchmarks: a loopback TCP listener whose port
// goes to a file, serving each connection on a thread of its own.
#ifndef BERKELEY_BENCH_H
#define BERKELEY_BENCH_H
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

// Listens on 127.0.0.1 (an ephemeral port, written to portfile) and runs
// serve(fd) on a new thread for every connection. Returns only on failure.
static int bench_serve(const char *portfile, void *(*serve)(void *)) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t len = sizeof a;
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 128) < 0 || getsockname(s, (struct sockaddr *)&a, &len) < 0) {
    perror("listen");
    return 1;
  }
  FILE *f = fopen(portfile, "w");
  if (!f) { perror(portfile); return 1; }
  fprintf(f, "%d\n", ntohs(a.sin_port));
  fclose(f);
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) continue;
    pthread_t t;
    pthread_create(&t, NULL, serve, (void *)(long)c);
    pthread_detach(t);
  }
}
#endif
