// The common producer of the line benchmark: for each connection, sends
// LINES short lines ("line 00000042 ...\n", 48 bytes each) and closes.
// Usage: line-source PORTFILE LINES
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
  for (long i = 0; i < lines; i++) snprintf(text + i * 48, 49, "line %08ld the quick brown fox jumps over...\n", i);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t len = sizeof a;
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 128) < 0 || getsockname(s, (struct sockaddr *)&a, &len) < 0) {
    perror("line-source");
    return 1;
  }
  FILE *f = fopen(argv[1], "w");
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
