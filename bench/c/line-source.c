// The common producer of the line benchmark: for each connection, sends
// LINES short lines ("line 00000042 ...\n", 48 bytes each) and closes.
// Usage: line-source PORTFILE LINES
#include "bench.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char *text;
static size_t text_len;

static void *serve(void *arg) {
  int fd = (int)(long)arg;
  for (size_t off = 0; off < text_len;) {
    ssize_t w = send(fd, text + off, text_len - off, MSG_NOSIGNAL);
    if (w <= 0) break;
    off += (size_t)w;
  }
  close(fd);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: line-source PORTFILE LINES\n"); return 2; }
  long lines = atol(argv[2]);
  text_len = (size_t)lines * 48;
  text = malloc(text_len + 1);
  for (long i = 0; i < lines; i++) snprintf(text + i * 48, 49, "line %08ld the quick brown fox jumps over...\n", i % 100000000);
  return bench_serve(argv[1], serve);
}
