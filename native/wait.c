// Blocking waits for the ...Sync calls and select(): poll(2) on one fd or on
// many, with a timeout in milliseconds (-1 = forever) measured against a
// monotonic deadline. A signal (EINTR) or an early wake-up resumes the wait
// with the time left, never the whole timeout again. Readiness is reported
// in the library's own bits: 1 readable, 2 writable, 4 error/hangup, 8
// invalid fd. poll(2) reports a state for as long as it holds, and some
// states no call can clear (an unread error queue, a hang-up, a datagram
// socket's read side shut down: readable, yet every read meets EAGAIN); so
// after a wake whose retried call met EAGAIN, the sync driver waits in an
// edge-triggered epoll set of the call's own (edgeSet, edgeWait), which
// reports what happens next, never the same state again.
#include <stdlib.h>
#include <time.h>
#include "berkeley.h"
#ifdef SK_HAVE_EPOLL
#include <sys/epoll.h>
#endif

#define SK_NS_PER_MS 1000000u

// clock_gettime(CLOCK_MONOTONIC), in nanoseconds.
static uint64_t sk__monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

// When a wait of timeout_ms (-1 = forever) ends on the monotonic clock.
typedef struct { bool forever; uint64_t at; } sk_deadline;

static sk_deadline sk__deadline(int64_t timeout_ms) {
  if (timeout_ms < 0) return (sk_deadline){ true, 0 };
  uint64_t now = sk__monotonic_ns();
  return (sk_deadline){ false, (uint64_t)timeout_ms > (UINT64_MAX - now) / SK_NS_PER_MS
                                 ? UINT64_MAX  // further away than the clock can count: as good as forever
                                 : now + (uint64_t)timeout_ms * SK_NS_PER_MS };
}

// The time left in whole milliseconds, rounded up so a wait never ends early
// and capped at INT_MAX (a wait that returns then goes on); -1 = forever.
static int sk__left_ms(const sk_deadline *d) {
  if (d->forever) return -1;
  uint64_t now = sk__monotonic_ns();
  uint64_t left = d->at > now ? d->at - now : 0;
  uint64_t ms = left / SK_NS_PER_MS + (left % SK_NS_PER_MS != 0);
  return ms > INT_MAX ? INT_MAX : (int)ms;
}

static bool sk__passed(const sk_deadline *d) { return !d->forever && sk__monotonic_ns() >= d->at; }

// poll(2) until an fd is ready or the deadline has passed. EINTR, and a poll
// that returns before the deadline, poll again for the time left. -> the
// number of fds ready, 0 on timeout, or -errno.
static int sk__poll_deadline(struct pollfd *pfd, nfds_t n, int64_t timeout_ms) {
  sk_deadline d = sk__deadline(timeout_ms);
  for (;;) {
    int rc = poll(pfd, n, sk__left_ms(&d));
    if (rc > 0) return rc;
    if (rc < 0 && errno != EINTR) return -errno;
    if (rc == 0 && sk__passed(&d)) return 0;
  }
}

// Our event bits (1 readable, 2 writable) as poll(2) events.
static short sk__poll_events(int32_t events) {
  return (short)(((events & 1) ? POLLIN : 0) | ((events & 2) ? POLLOUT : 0));
}

// poll(2) revents as our bits: 1 readable, 2 writable, 4 error/hangup, 8 invalid fd.
static int32_t sk__poll_revents(short revents) {
  return ((revents & POLLIN) ? 1 : 0) | ((revents & POLLOUT) ? 2 : 0) |
         ((revents & (POLLERR | POLLHUP)) ? 4 : 0) | ((revents & POLLNVAL) ? 8 : 0);
}

// poll(2) on one fd for the blocking (...Sync) calls: (fd, events, timeout ms,
// -1 = forever) -> revents (0 on timeout) or -errno; -EBADF for an invalid fd.
// events/revents use 1 = readable, 2 = writable, 4 = error/hangup.
// A negative fd is ignored by poll(2): pollWait(-1, 0, ms) is a plain sleep.
static napi_value sk_poll_wait(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd, events;
  int64_t timeout;
  if (!sk_args_get(env, info, 3, &a) || !sk_arg_int32(&a, 0, &fd) || !sk_arg_int32(&a, 1, &events) ||
      !sk_arg_int64(&a, 2, &timeout))
    return NULL;
  struct pollfd pfd = { .fd = fd, .events = sk__poll_events(events) };
  int rc = sk__poll_deadline(&pfd, 1, timeout);
  if (rc <= 0) return sk_int(env, rc);
  int32_t r = sk__poll_revents(pfd.revents);
  return sk_int(env, (r & 8) ? -EBADF : r);
}

// poll(2) on many fds for select(): (fds Int32Array, events Int32Array, timeout
// ms, -1 = forever) -> number ready (0 on timeout) or -errno; events[i] is
// replaced by the revents of fds[i] (1 readable, 2 writable, 4 error/hangup,
// 8 invalid fd).
static napi_value sk_poll_many(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t *fds, *events;
  int64_t timeout;
  size_t n, n2;
  if (!sk_args_get(env, info, 3, &a)) return NULL;
  napi_typedarray_type t1, t2;
  void *p1, *p2;
  bool ta1 = false, ta2 = false;
  napi_is_typedarray(env, a.argv[0], &ta1);
  napi_is_typedarray(env, a.argv[1], &ta2);
  if (!ta1 || !ta2) { sk_throw_arg(&a, ta1 ? 1 : 0, false, "must be an Int32Array"); return NULL; }
  napi_get_typedarray_info(env, a.argv[0], &t1, &n, &p1, NULL, NULL);
  napi_get_typedarray_info(env, a.argv[1], &t2, &n2, &p2, NULL, NULL);
  if (t1 != napi_int32_array || t2 != napi_int32_array || n != n2) {
    sk_throw_arg(&a, t1 != napi_int32_array ? 0 : 1, false, t1 != napi_int32_array || t2 != napi_int32_array ? "must be an Int32Array" : "must be as long as argument 1");
    return NULL;
  }
  if (n > 65536) { sk_throw_arg(&a, 0, true, "must hold at most 65536 fds"); return NULL; }
  if (!sk_arg_int64(&a, 2, &timeout)) return NULL;
  fds = p1;
  events = p2;
  struct pollfd *pfd = calloc(n ? n : 1, sizeof *pfd);
  if (!pfd) return sk_int(env, -ENOMEM);
  for (size_t i = 0; i < n; i++) {
    pfd[i].fd = fds[i];
    pfd[i].events = sk__poll_events(events[i]);
  }
  int rc = sk__poll_deadline(pfd, (nfds_t)n, timeout);
  if (rc >= 0)
    for (size_t i = 0; i < n; i++) events[i] = sk__poll_revents(pfd[i].revents);
  free(pfd);
  return sk_int(env, rc);
}

#ifdef SK_HAVE_EPOLL
// epoll_create1 + epoll_ctl(EPOLL_CTL_ADD, EPOLLET): (fd, events) -> a new
// epoll fd watching fd edge-triggered for events (1 readable, 2 writable),
// or -errno. Its first edgeWait reports the state that holds now (a state
// that came about after the caller's last try is never lost); every later
// one, only what happens next. The caller closes it.
static napi_value sk_edge_set(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd, events;
  if (!sk_args_get(env, info, 2, &a) || !sk_arg_int32(&a, 0, &fd) || !sk_arg_int32(&a, 1, &events)) return NULL;
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return sk_int(env, -errno);
  struct epoll_event ev = { .events = sk__poll_events(events) | EPOLLET, .data.fd = fd };  // POLLIN/POLLOUT = EPOLLIN/EPOLLOUT
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
    int err = errno;
    close(ep);
    return sk_int(env, -err);
  }
  return sk_int(env, ep);
}

// epoll_wait on an edgeSet: (epfd, timeout ms, -1 = forever) -> revents as
// pollWait's (0 on timeout) or -errno.
static napi_value sk_edge_wait(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t ep;
  int64_t timeout;
  if (!sk_args_get(env, info, 2, &a) || !sk_arg_int32(&a, 0, &ep) || !sk_arg_int64(&a, 1, &timeout)) return NULL;
  sk_deadline d = sk__deadline(timeout);
  struct epoll_event got;
  for (;;) {
    int n = epoll_wait(ep, &got, 1, sk__left_ms(&d));
    if (n > 0) return sk_int(env, sk__poll_revents((short)(got.events & (EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP))));
    if (n < 0 && errno != EINTR) return sk_int(env, -errno);
    if (n == 0 && sk__passed(&d)) return sk_int(env, 0);
  }
}
#else
static napi_value sk_edge_set(napi_env env, napi_callback_info info) { return sk_int(env, -ENOSYS); }
static napi_value sk_edge_wait(napi_env env, napi_callback_info info) { return sk_int(env, -ENOSYS); }
#endif

const sk_export sk_wait_exports[] = {
  { "pollWait", sk_poll_wait, "fd,events,timeoutMs" },
  { "pollMany", sk_poll_many, "fds,events,timeoutMs" },
  { "edgeSet", sk_edge_set, "fd,events" },
  { "edgeWait", sk_edge_wait, "epfd,timeoutMs" },
  { NULL, NULL },
};
