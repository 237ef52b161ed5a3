// Readiness without libuv, for runtimes whose Node-API has no uv_poll (Bun
// aborts the process on uv_poll_init) or whose event loop is not libuv's
// (Deno), and on Node when BERKELEY_READINESS=epoll asks for it. One epoll
// instance per environment, watched by one helper thread; ready fds reach JS
// through one napi_threadsafe_function. The semantics are those of poll.c's
// uv_poll handles, which TypeScript cannot tell apart:
//
// - one registration per fd, kept in a table indexed by fd on the JS thread;
//   only the JS thread calls epoll_ctl, so a registration is always gone
//   from the epoll set before its fd is closed;
// - EPOLLONESHOT: an fd is reported once, then its reported directions stay
//   disarmed until JS waits on them again (pollStart is called for every
//   wait on this backend) and the other directions are re-armed at once. A
//   ready fd nobody waits on is never reported twice, so neither the thread
//   nor the JS thread can spin on it; one still ready when a wait starts is
//   reported at once, as a level-triggered uv_poll would;
// - each registration carries a generation in its epoll data: an event queued
//   for an fd that was released (and maybe reused) since is dropped;
// - the threadsafe function is referenced only while some fd is armed by a
//   referenced socket, as a uv_poll handle would keep the loop alive;
// - at environment teardown the thread is stopped and joined before
//   anything it uses is freed (sk_epoll_destroy, from poll.c's cleanup hook).
//
// No allocation per event: the queue between the threads grows only to the
// number of registrations (one-shot: an fd is in it at most once until
// re-armed), and events are passed in place, not as one object each.
#include <stdlib.h>
#include <string.h>
#include "poll.h"

#ifdef SK_HAVE_EPOLL
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#define SK_EPOLL_BATCH 64
#define SK_EPOLL_STOP UINT64_MAX  // epoll data of the eventfd that stops the thread

typedef struct {
  uint32_t gen;     // 0: no registration
  int events;       // the directions JS waits on (SK_READABLE|SK_WRITABLE)
  int armed;        // the directions armed in the kernel (events less those reported since)
  bool in_set;      // in the epoll set (possibly disarmed by EPOLLONESHOT)
  bool ref;
} sk_epoll_reg;

typedef struct {
  uint64_t key;     // generation << 32 | fd
  uint32_t events;  // EPOLL* bits
} sk_epoll_event;

struct sk_epoll {
  napi_env env;
  napi_threadsafe_function tsfn;
  int epfd;
  int stopfd;
  pthread_t thread;
  bool thread_started;
  // JS thread only:
  sk_epoll_reg *regs;
  size_t size;
  uint32_t next_gen;
  size_t refs;               // armed and referenced registrations
  bool tsfn_ref;
  // Shared with the helper thread, under `lock`:
  pthread_mutex_t lock;
  sk_epoll_event *queue;
  size_t queued, capacity;
  bool scheduled;            // a tsfn call is on its way and will drain the queue
};

static uint64_t sk__key(uint32_t gen, int fd) { return (uint64_t)gen << 32 | (uint32_t)fd; }

// Appends ready events and asks for one JS call if none is on its way. The
// queue is grown under the lock; it stays small (see the header).
static void sk__epoll_push(sk_epoll *ep, const struct epoll_event *ev, int n) {
  pthread_mutex_lock(&ep->lock);
  bool call = false;
  for (int i = 0; i < n; i++) {
    if (ev[i].data.u64 == SK_EPOLL_STOP) continue;
    if (ep->queued == ep->capacity) {
      size_t cap = ep->capacity ? ep->capacity * 2 : SK_EPOLL_BATCH;
      sk_epoll_event *q = realloc(ep->queue, cap * sizeof *q);
      if (!q) break;  // out of memory: the fds stay disarmed; a later pollStart re-arms them
      ep->queue = q;
      ep->capacity = cap;
    }
    ep->queue[ep->queued++] = (sk_epoll_event){ ev[i].data.u64, ev[i].events };
    call = true;
  }
  if (call && !ep->scheduled) {
    ep->scheduled = true;
    // Non-blocking: the queue of the tsfn is unbounded, so this never waits
    // on the JS thread (which may be joining this thread at teardown).
    if (napi_call_threadsafe_function(ep->tsfn, NULL, napi_tsfn_nonblocking) != napi_ok) ep->scheduled = false;
  }
  pthread_mutex_unlock(&ep->lock);
}

// The helper thread: epoll_wait until the stop eventfd is written.
static void *sk__epoll_thread(void *arg) {
  sk_epoll *ep = arg;
  struct epoll_event ev[SK_EPOLL_BATCH];
  for (;;) {
    int n = epoll_wait(ep->epfd, ev, SK_EPOLL_BATCH, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;  // EBADF/EINVAL cannot happen while the epoll fd is ours
    }
    bool stop = false;
    for (int i = 0; i < n; i++) stop |= ev[i].data.u64 == SK_EPOLL_STOP;
    if (stop) break;
    sk__epoll_push(ep, ev, n);
  }
  return NULL;
}

static int sk__to_epoll(int events) {
  return (events & SK_READABLE ? EPOLLIN : 0) | (events & SK_WRITABLE ? EPOLLOUT : 0) | EPOLLONESHOT;
}

// The tsfn is referenced while at least one armed registration is.
static void sk__epoll_update_ref(sk_epoll *ep) {
  bool want = ep->refs > 0;
  if (want == ep->tsfn_ref) return;
  if ((want ? napi_ref_threadsafe_function : napi_unref_threadsafe_function)(ep->env, ep->tsfn) == napi_ok)
    ep->tsfn_ref = want;
}

static void sk__epoll_set_ref(sk_epoll *ep, sk_epoll_reg *r, bool ref) {
  bool counted = r->events && r->ref;
  bool counts = r->events && ref;
  r->ref = ref;
  if (counted != counts) ep->refs += counts ? 1 : (size_t)-1;
}

// Arms `armed` (a subset of r->events) in the kernel: ADD, MOD, or DEL when
// JS waits on nothing any more. -> 0 or -errno.
static int sk__epoll_arm(sk_epoll *ep, int fd, sk_epoll_reg *r, int armed) {
  if (r->events == 0) {
    if (r->in_set) epoll_ctl(ep->epfd, EPOLL_CTL_DEL, fd, NULL);
    r->in_set = false;
  } else if (armed == 0) {
    // Everything armed was just reported: EPOLLONESHOT disarmed it already.
  } else if (armed != r->armed || !r->in_set) {
    struct epoll_event ev = { .events = (uint32_t)sk__to_epoll(armed), .data.u64 = sk__key(r->gen, fd) };
    if (epoll_ctl(ep->epfd, r->in_set ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) < 0) {
      // MOD after the fd left the set behind our back (its file closed
      // through every descriptor): add it again.
      if (!(r->in_set && errno == ENOENT && epoll_ctl(ep->epfd, EPOLL_CTL_ADD, fd, &ev) == 0)) return -errno;
    }
    r->in_set = true;
  }
  r->armed = r->events ? armed : 0;
  return 0;
}

// The JS side of the tsfn: drains the queue, dispatching each event whose
// registration is still the one it was armed for. The directions reported
// stay disarmed until JS waits on them again; the others are re-armed.
static void sk__epoll_call_js(napi_env env, napi_value fn, void *context, void *data) {
  (void)data;
  sk_epoll *ep = context;
  if (env == NULL || fn == NULL) return;  // the environment is going away
  sk_epoll_event batch[SK_EPOLL_BATCH];
  for (;;) {
    pthread_mutex_lock(&ep->lock);
    size_t n = ep->queued < SK_EPOLL_BATCH ? ep->queued : SK_EPOLL_BATCH;
    memcpy(batch, ep->queue, n * sizeof *batch);
    memmove(ep->queue, ep->queue + n, (ep->queued - n) * sizeof *batch);
    ep->queued -= n;
    if (n == 0) ep->scheduled = false;
    pthread_mutex_unlock(&ep->lock);
    if (n == 0) return;
    for (size_t i = 0; i < n; i++) {
      int fd = (int)(uint32_t)batch[i].key;
      uint32_t gen = (uint32_t)(batch[i].key >> 32);
      if ((size_t)fd >= ep->size || ep->regs[fd].gen != gen || ep->regs[fd].armed == 0) continue;
      sk_epoll_reg *r = &ep->regs[fd];
      uint32_t e = batch[i].events;
      int events = (e & EPOLLIN ? SK_READABLE : 0) | (e & EPOLLOUT ? SK_WRITABLE : 0);
      // Error or hangup: wake what is armed; the retried call reports it.
      if (e & (EPOLLERR | EPOLLHUP)) events |= r->armed;
      events &= r->armed;
      // One-shot: the kernel disarmed the fd; re-arm what was not reported.
      sk__epoll_arm(ep, fd, r, r->armed & ~events);
      if (events == 0) continue;
      napi_handle_scope scope;
      if (napi_open_handle_scope(env, &scope) != napi_ok) return;
      napi_value recv, argv[3], result;
      napi_get_global(env, &recv);
      napi_create_int32(env, fd, &argv[0]);
      napi_create_int32(env, 0, &argv[1]);
      napi_create_int32(env, events, &argv[2]);
      // JS may release, re-arm or replace the registration during the call.
      if (napi_call_function(env, recv, fn, 3, argv, &result) == napi_pending_exception) {
        napi_value err;
        if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
      }
      napi_close_handle_scope(env, scope);
    }
  }
}

sk_epoll *sk_epoll_create(napi_env env, napi_value dispatch, int *err) {
  sk_epoll *ep = calloc(1, sizeof *ep);
  if (!ep) { *err = -ENOMEM; return NULL; }
  ep->env = env;
  ep->next_gen = 1;
  ep->epfd = epoll_create1(EPOLL_CLOEXEC);
  ep->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  pthread_mutex_init(&ep->lock, NULL);
  *err = 0;
  struct epoll_event stop = { .events = EPOLLIN, .data.u64 = SK_EPOLL_STOP };
  if (ep->epfd < 0 || ep->stopfd < 0 || epoll_ctl(ep->epfd, EPOLL_CTL_ADD, ep->stopfd, &stop) < 0) *err = -errno;
  napi_value name;
  if (*err == 0) {
    napi_create_string_utf8(env, "berkeley:readiness", NAPI_AUTO_LENGTH, &name);
    if (napi_create_threadsafe_function(env, dispatch, NULL, name, 0, 1, NULL, NULL, ep, sk__epoll_call_js,
                                        &ep->tsfn) != napi_ok)
      *err = -ENOMEM;
  }
  if (*err == 0) {
    // Unreferenced until a socket waits: an idle library keeps nothing alive.
    napi_unref_threadsafe_function(env, ep->tsfn);
    // Every signal blocked in the helper thread: the runtime's handlers run
    // on its own threads, never on ours.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&ep->thread, NULL, sk__epoll_thread, ep);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) *err = -rc;
    else ep->thread_started = true;
  }
  if (*err != 0) {
    sk_epoll_destroy(ep);
    return NULL;
  }
  return ep;
}

static bool sk__epoll_grow(sk_epoll *ep, int fd) {
  if ((size_t)fd < ep->size) return true;
  size_t size = ep->size ? ep->size : 64;
  while (size <= (size_t)fd) size *= 2;
  sk_epoll_reg *t = realloc(ep->regs, size * sizeof *t);
  if (!t) return false;
  memset(t + ep->size, 0, (size - ep->size) * sizeof *t);
  ep->regs = t;
  ep->size = size;
  return true;
}

int sk_epoll_start(sk_epoll *ep, int fd, int events, bool ref) {
  if ((size_t)fd >= ep->size) {
    if (events == 0) return 0;
    if (!sk__epoll_grow(ep, fd)) return -ENOMEM;
  }
  sk_epoll_reg *r = &ep->regs[fd];
  if (r->gen == 0) {
    if (events == 0) return 0;
    r->gen = ep->next_gen++;
    if (ep->next_gen == 0) ep->next_gen = 1;
  }
  // Each wait re-arms its direction, reported or not since.
  sk__epoll_set_ref(ep, r, false);  // uncounted under the old directions,
  r->events = events;
  sk__epoll_set_ref(ep, r, ref);    // counted under the new ones
  int rc = sk__epoll_arm(ep, fd, r, events);
  sk__epoll_update_ref(ep);
  return rc;
}

void sk_epoll_ref(sk_epoll *ep, int fd, bool ref) {
  if ((size_t)fd >= ep->size || ep->regs[fd].gen == 0) return;
  sk__epoll_set_ref(ep, &ep->regs[fd], ref);
  sk__epoll_update_ref(ep);
}

void sk_epoll_release(sk_epoll *ep, int fd) {
  if ((size_t)fd >= ep->size || ep->regs[fd].gen == 0) return;
  sk_epoll_reg *r = &ep->regs[fd];
  sk__epoll_set_ref(ep, r, false);
  r->events = 0;
  sk__epoll_arm(ep, fd, r, 0);
  *r = (sk_epoll_reg){ 0 };
  sk__epoll_update_ref(ep);
}

// Stops and joins the thread first, so nothing below is used by it any more.
// Called at environment teardown, when the tsfn is released by the runtime
// as well: releasing it here too is allowed (it only drops our reference).
void sk_epoll_destroy(sk_epoll *ep) {
  if (ep->thread_started) {
    uint64_t one = 1;
    while (write(ep->stopfd, &one, sizeof one) < 0 && errno == EINTR) {}
    pthread_join(ep->thread, NULL);
  }
  if (ep->tsfn) napi_release_threadsafe_function(ep->tsfn, napi_tsfn_abort);
  if (ep->epfd >= 0) close(ep->epfd);
  if (ep->stopfd >= 0) close(ep->stopfd);
  pthread_mutex_destroy(&ep->lock);
  free(ep->queue);
  free(ep->regs);
  free(ep);
}

#else  // no epoll: the backend is unavailable and pollSetup says so

sk_epoll *sk_epoll_create(napi_env env, napi_value dispatch, int *err) { *err = -ENOSYS; return NULL; }
int sk_epoll_start(sk_epoll *ep, int fd, int events, bool ref) { return -ENOSYS; }
void sk_epoll_ref(sk_epoll *ep, int fd, bool ref) {}
void sk_epoll_release(sk_epoll *ep, int fd) {}
void sk_epoll_destroy(sk_epoll *ep) {}

#endif
