// The two readiness backends behind the poll* exports of poll.c: libuv's
// uv_poll_t (poll.c itself, Node) and an epoll thread (epoll.c, runtimes
// without uv_poll). Both report (fd, status, events) to one JS dispatch
// function, with events in SK_READABLE / SK_WRITABLE bits.
#ifndef BERKELEY_POLL_H
#define BERKELEY_POLL_H

#include "berkeley.h"

#define SK_READABLE 1  // = UV_READABLE
#define SK_WRITABLE 2  // = UV_WRITABLE

typedef struct sk_epoll sk_epoll;

// A started backend (thread running, nothing armed), or NULL with -errno in *err.
sk_epoll *sk_epoll_create(napi_env env, napi_value dispatch, int *err);
// Arms `events` on fd (0 disarms, keeping the registration); ref says whether
// an armed fd keeps the process alive. -> 0 or -errno.
int sk_epoll_start(sk_epoll *ep, int fd, int events, bool ref);
void sk_epoll_ref(sk_epoll *ep, int fd, bool ref);
// Forgets the fd's registration (the fd may be closed right after).
void sk_epoll_release(sk_epoll *ep, int fd);
// Stops the thread and frees everything (environment teardown).
void sk_epoll_destroy(sk_epoll *ep);

#endif
