// Readiness on the runtime's event loop, and the fds Socket objects own.
//
// One epoll set per environment (main thread or worker), not one watcher per
// socket: the set's own fd is watched by a pump (pump.c), and when it is
// readable the JS thread reads every ready fd (up to SK_HARVEST_MAX) into a
// shared Int32Array and calls the JS dispatch once, which wakes each waiter;
// their continuations then share one microtask checkpoint.
//
// Per fd, one registration in a table indexed by fd, made on the first wait:
// - level-triggered, armed only for the directions JS asks for (readable at
//   the first wait, writable after EAGAIN; TypeScript decides and disarms
//   lazily); with nothing armed the fd leaves the set (EPOLL_CTL_DEL), since
//   epoll reports errors and hang-ups even for an empty event mask;
// - edge-triggered instead when TypeScript asks: a wait that follows a wake
//   whose retried call still met EAGAIN (an unread error queue, a hang-up, a
//   read side shut down: conditions epoll keeps reporting and no call can
//   clear) waits for something new, never in a loop (see io/engine.ts);
// - a generation in the epoll data and in each reported event, so an event
//   for an fd that was released (and its number reused) is recognised;
// - removed from the set before its fd may be closed (release, closeOwned).
// Only the JS thread touches the set and the table; the thread pump only
// waits for the set's fd to become readable.
// The blocking poll(2) waits of the ...Sync calls and select() are in wait.c.
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include "readiness.h"

#ifdef SK_HAVE_EPOLL
#include <sys/epoll.h>
#endif

typedef struct {
  uint32_t gen;    // 0: no registration
  uint8_t armed;   // the directions armed in the kernel (0: not in the set)
  bool edge;       // edge-triggered (EPOLLET)
  bool owned;      // a Socket owns the fd: closed at environment teardown
} sk_reg;

struct sk_ready {
  napi_env env;
  uv_loop_t *loop;           // the runtime's loop if it gave one (Bun and Deno give one that is not libuv's)
  int epfd;
  sk_pump *pump;
  napi_ref events_ref;       // the shared Int32Array the harvest writes
  int32_t *events;
  napi_async_context ctx;    // the dispatch's async context (napi_make_callback)
  sk_reg *regs;
  size_t size;
  uint32_t next_gen;
  size_t in_set;             // registrations in the set (armed)
  int sole;                  // the fd of the only one, when in_set is 1 and it is known; else -1
  bool set_up;               // readinessSetup chose the pump
  int setup_failed;          // -errno: a setup failed after its pump started; the set is closing
  bool libuv_loop;           // `loop` is libuv's own (Node): its watcher table may be read
  bool thread_pump;
  napi_async_cleanup_hook_handle hook;  // loop pump: teardown waits for the uv handle's close
  bool env_hook;             // thread pump: the plain cleanup hook has not run yet
  bool pump_live;            // the pump has not finished stopping
  bool tearing_down;
  bool finalized;
};

static void sk__ready_maybe_free(sk_ready *s) {
  if (s->finalized && s->hook == NULL && !s->env_hook && !s->pump_live) {
    free(s->regs);
    free(s);
  }
}

int sk_ready_fd(const sk_ready *s) { return s->epfd; }

#ifdef SK_HAVE_EPOLL

static uint64_t sk__key(uint32_t gen, int fd) { return (uint64_t)gen << 32 | (uint32_t)fd; }

static uint32_t sk__to_epoll(int events, bool edge) {
  return (events & SK_READABLE ? EPOLLIN : 0) | (events & SK_WRITABLE ? EPOLLOUT : 0) | (edge ? EPOLLET : 0);
}

// Puts the kernel's registration of fd in line with `events` and `edge`.
// -> 0 or -errno.
static int sk__ctl(sk_ready *s, int fd, sk_reg *r, int events, bool edge) {
  if (events == 0) {
    if (r->armed) {
      epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
      s->in_set--;
      s->sole = -1;  // which one is left, if one is, is not known here
    }
    r->armed = 0;
    r->edge = false;
    return 0;
  }
  struct epoll_event ev = { .events = sk__to_epoll(events, edge), .data.u64 = sk__key(r->gen, fd) };
  int op = r->armed ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  if (epoll_ctl(s->epfd, op, fd, &ev) < 0) {
    // The file left the set behind our back (closed through every
    // descriptor, the number reused), or is in it already: the other op.
    int other = op == EPOLL_CTL_MOD && errno == ENOENT ? EPOLL_CTL_ADD
              : op == EPOLL_CTL_ADD && errno == EEXIST ? EPOLL_CTL_MOD : 0;
    if (other == 0 || epoll_ctl(s->epfd, other, fd, &ev) < 0) return -errno;
  }
  if (r->armed == 0) s->sole = ++s->in_set == 1 ? fd : -1;
  r->armed = (uint8_t)events;
  r->edge = edge;
  return 0;
}

void sk_ready_harvest(sk_ready *s, napi_env env, napi_value dispatch, bool make_callback) {
  if (s->tearing_down) return;
  int32_t *out = s->events;
  int count = 0;
  int n = 0;
  struct epoll_event ev[SK_HARVEST_MAX];
  if (!s->thread_pump && s->in_set == 1 && s->sole >= 0 && !s->regs[s->sole].edge &&
      (s->regs[s->sole].armed == SK_READABLE || s->regs[s->sole].armed == SK_WRITABLE)) {
    // The set's only member, level-triggered and armed in one direction, is
    // ready in it: the loop pump saw the set readable just now, and a set is
    // readable only while a member really is (polling it prunes the
    // others). Told so without an epoll_wait of our own: a program waiting
    // on one socket pays no system call more per wake-up than with the
    // socket on the loop itself. Not for the thread pump, whose poll of the
    // set may be older than the reads JavaScript did since; and not with
    // both directions armed, as which one is ready is not known.
    sk_reg *r = &s->regs[s->sole];
    out[0] = s->sole;
    out[1] = (int32_t)r->gen;
    out[2] = r->armed;
    count = 1;
  } else {
    do n = epoll_wait(s->epfd, ev, SK_HARVEST_MAX, 0); while (n < 0 && errno == EINTR);
  }
  for (int i = 0; i < n; i++) {
    int fd = (int)(uint32_t)ev[i].data.u64;
    uint32_t gen = (uint32_t)(ev[i].data.u64 >> 32);
    if ((size_t)fd >= s->size || s->regs[fd].gen != gen || s->regs[fd].armed == 0) continue;
    sk_reg *r = &s->regs[fd];
    uint32_t e = ev[i].events;
    int ready = ((e & EPOLLIN) ? SK_READABLE : 0) | ((e & EPOLLOUT) ? SK_WRITABLE : 0);
    // An error or a hang-up wakes what is armed: the retried call reports it.
    if (e & (EPOLLERR | EPOLLHUP)) ready = r->armed;
    ready &= r->armed;
    if (ready == 0) continue;
    out[count * SK_HARVEST_STRIDE] = fd;
    out[count * SK_HARVEST_STRIDE + 1] = (int32_t)gen;
    out[count * SK_HARVEST_STRIDE + 2] = ready;
    count++;
  }
  if (count == 0) return;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value recv, argv[1], result;
  napi_get_global(env, &recv);  // MakeCallback needs an object receiver
  napi_create_int32(env, count, &argv[0]);
  // JS may arm, release or close any fd during the call (the events were
  // copied out first), and its microtasks run once after it on Node.
  napi_status st = make_callback ? napi_make_callback(env, s->ctx, recv, dispatch, 1, argv, &result)
                                 : napi_call_function(env, recv, dispatch, 1, argv, &result);
  if (st == napi_pending_exception) {
    napi_value err;
    if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

static int sk__create_set(void) { return epoll_create1(EPOLL_CLOEXEC); }

#else  // no epoll: readinessSetup reports ENOSYS; these keep the file compiling

static int sk__ctl(sk_ready *s, int fd, sk_reg *r, int events, bool edge) { return -ENOSYS; }
void sk_ready_harvest(sk_ready *s, napi_env env, napi_value dispatch, bool make_callback) {}
static int sk__create_set(void) { errno = ENOSYS; return -1; }

#endif

// Environment teardown (worker terminated, process exiting): the set stops,
// and the fds Socket objects still own, which no JS code will ever close
// now, are closed.
static void sk__teardown(sk_ready *s) {
  s->tearing_down = true;
  for (size_t fd = 0; fd < s->size; fd++) {
    if (s->regs[fd].owned) close((int)fd);
    s->regs[fd] = (sk_reg){ 0 };
  }
  s->in_set = 0;
  s->sole = -1;
  if (s->ctx) napi_async_destroy(s->env, s->ctx);
  s->ctx = NULL;
  if (s->events_ref) napi_delete_reference(s->env, s->events_ref);
  s->events_ref = NULL;
}

static void sk__pump_done(void *arg) {
  sk_ready *s = arg;
  s->pump_live = false;
  if (s->epfd >= 0) close(s->epfd);
  s->epfd = -1;
  if (s->hook) {
    napi_remove_async_cleanup_hook(s->hook);
    s->hook = NULL;
  }
  sk__ready_maybe_free(s);
}

// Loop pump: an async hook, because the uv handle's close callback must run
// before the environment is gone.
static void sk__cleanup_async(napi_async_cleanup_hook_handle hook, void *arg) {
  sk_ready *s = arg;
  sk__teardown(s);
  sk_pump_stop(s->pump, sk__pump_done, s);  // removes the hook when the handle has closed
}

// Thread pump: a plain hook; the thread is joined before it returns. Deno
// (2.9) double-frees in napi_remove_async_cleanup_hook at exit, and it always
// runs this pump, so it never sees the async hook.
static void sk__cleanup_env(void *arg) {
  sk_ready *s = arg;
  sk__teardown(s);
  sk_pump_stop(s->pump, sk__pump_done, s);
  s->env_hook = false;
  sk__ready_maybe_free(s);
}

static void sk__finalize(napi_env env, void *data, void *hint) {
  sk_ready *s = data;
  s->finalized = true;
  if (!s->set_up && s->epfd >= 0) {
    close(s->epfd);
    s->epfd = -1;
  }
  sk__ready_maybe_free(s);
}

// Module init: this environment's state and the shared events array, which
// the addon's exports carry as readyEvents.
bool sk_readiness_init(napi_env env, napi_value exports) {
  sk_ready *s = calloc(1, sizeof *s);
  if (!s) return false;
  s->env = env;
  s->epfd = -1;
  s->next_gen = 1;
  s->sole = -1;
  // Bun and Deno answer with a loop that is not libuv's: kept, but used only
  // when readinessSetup says it is.
  if (napi_get_uv_event_loop(env, &s->loop) != napi_ok) s->loop = NULL;
  napi_value ab, events;
  void *p;
  if (napi_create_arraybuffer(env, SK_HARVEST_MAX * SK_HARVEST_STRIDE * sizeof(int32_t), &p, &ab) != napi_ok ||
      napi_create_typedarray(env, napi_int32_array, SK_HARVEST_MAX * SK_HARVEST_STRIDE, ab, 0, &events) != napi_ok ||
      napi_create_reference(env, events, 1, &s->events_ref) != napi_ok ||
      napi_set_named_property(env, exports, "readyEvents", events) != napi_ok) {
    if (s->events_ref) napi_delete_reference(env, s->events_ref);
    free(s);
    return false;
  }
  s->events = p;
  if (napi_set_instance_data(env, s, sk__finalize, NULL) != napi_ok) {
    napi_delete_reference(env, s->events_ref);
    free(s);
    return false;
  }
  return true;
}

static sk_ready *sk__state(napi_env env) {
  void *s = NULL;
  napi_get_instance_data(env, &s);
  return s;
}

// (dispatch, thread, libuvLoop) -> 0 or -errno. Creates the set and starts
// its pump, once: the loop pump where libuvLoop says the runtime's loop is
// libuv's and thread is false, the thread pump otherwise. dispatch(count)
// then receives each wake-up's ready fds in readyEvents, as (fd, generation,
// events) triples. libuvLoop also allows own() to look into the loop's
// watchers. -EALREADY when this environment was set up before.
static napi_value sk_readiness_setup(napi_env env, napi_callback_info info) {
  sk_args a;
  bool thread, libuv_loop;
  if (!sk_args_get(env, info, 3, &a) || !sk_arg_bool(&a, 1, &thread) || !sk_arg_bool(&a, 2, &libuv_loop))
    return NULL;
  napi_valuetype t;
  napi_typeof(env, a.argv[0], &t);
  if (t != napi_function) { sk_throw_arg(&a, 0, false, "must be a function"); return NULL; }
  sk_ready *s = sk__state(env);
  if (s->set_up) return sk_int(env, -EALREADY);
  if (s->setup_failed) return sk_int(env, s->setup_failed);  // its set is closing
  if (!thread && (!libuv_loop || !s->loop)) return sk_int(env, -ENOTSUP);
  if (s->epfd < 0 && (s->epfd = sk__create_set()) < 0) return sk_int(env, -errno);
  // The loop pump calls the dispatch through napi_make_callback, with this
  // async context; the thread pump's calls are the runtime's own (Deno
  // cannot destroy a context at teardown: no handle scope is open there).
  napi_value res, name;
  if (!thread && (napi_create_object(env, &res) != napi_ok ||
                  napi_create_string_utf8(env, "berkeley:readiness", NAPI_AUTO_LENGTH, &name) != napi_ok ||
                  napi_async_init(env, res, name, &s->ctx) != napi_ok))
    return sk_int(env, -ENOMEM);
  int err = 0;
  s->pump = thread ? sk_pump_start_thread(s, env, a.argv[0], &err)
                   : sk_pump_start_loop(s, env, s->loop, a.argv[0], &err);
  if (!s->pump) {
    if (s->ctx) napi_async_destroy(env, s->ctx);
    s->ctx = NULL;
    return sk_int(env, err);
  }
  s->pump_live = true;
  // Added after the pump's threadsafe function, so it runs before the
  // runtime's own teardown of that function (hooks run last-in, first-out).
  bool hooked = thread ? napi_add_env_cleanup_hook(env, sk__cleanup_env, s) == napi_ok
                       : napi_add_async_cleanup_hook(env, sk__cleanup_async, s, &s->hook) == napi_ok;
  if (!hooked) {
    sk_pump_stop(s->pump, sk__pump_done, s);  // closes the set, now or when the handle has closed
    s->pump = NULL;
    if (s->ctx) napi_async_destroy(env, s->ctx);
    s->ctx = NULL;
    s->setup_failed = -ENOMEM;
    return sk_int(env, -ENOMEM);
  }
  s->env_hook = thread;
  s->thread_pump = thread;
  s->set_up = true;
  s->libuv_loop = libuv_loop && s->loop;
  return sk_int(env, 0);
}

// Grows the per-fd table to hold `fd`: 0, -EBADF when no such fd is open
// (a number from Socket.from could be anything: 2e9 would ask for a 16 GiB
// table), -ENOMEM.
static int sk__grow(sk_ready *s, int fd) {
  if ((size_t)fd < s->size) return 0;
  if (fcntl(fd, F_GETFD) < 0) return -EBADF;
  size_t size = s->size ? s->size : 64;
  while (size <= (size_t)fd) {
    if (size > SIZE_MAX / 2 / sizeof(sk_reg)) return -ENOMEM;
    size *= 2;
  }
  sk_reg *t = realloc(s->regs, size * sizeof *t);
  if (!t) return -ENOMEM;
  memset(t + s->size, 0, (size - s->size) * sizeof *t);
  s->regs = t;
  s->size = size;
  return 0;
}

static bool sk__fd_arg(sk_args *a, int32_t *fd) {
  if (!sk_arg_int32(a, 0, fd)) return false;
  if (*fd < 0) { sk_throw_arg(a, 0, true, "must not be negative"); return false; }
  return true;
}

// epoll_ctl: (fd, events, edge) -> the registration's generation (> 0) or
// -errno. events is a mask of readable (1) and writable (2); 0 takes the fd
// out of the set but keeps its registration (and generation) for the next
// wait. edge: report new events only (EPOLLET), not a state that holds.
static napi_value sk_readiness_arm(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd, events;
  bool edge;
  if (!sk_args_get(env, info, 3, &a) || !sk__fd_arg(&a, &fd) || !sk_arg_int32(&a, 1, &events) ||
      !sk_arg_bool(&a, 2, &edge))
    return NULL;
  events &= SK_READABLE | SK_WRITABLE;
  sk_ready *s = sk__state(env);
  if (!s->set_up) return sk_int(env, -ENOTCONN);  // readinessSetup was not called
  if (s->tearing_down) return sk_int(env, -ESHUTDOWN);
  int grown = sk__grow(s, fd);
  if (grown < 0) return sk_int(env, grown);
  sk_reg *r = &s->regs[fd];
  if (r->gen == 0) {
    // Generations stay positive int32s: readyEvents is an Int32Array, and
    // TypeScript compares what it reads there with what this returned.
    r->gen = s->next_gen++;
    if (s->next_gen > INT32_MAX) s->next_gen = 1;
  }
  if (events != r->armed || (events && edge != r->edge)) {
    int rc = sk__ctl(s, fd, r, events, edge);
    if (rc < 0) return sk_int(env, rc);
  }
  return sk_int(env, r->gen);
}

// Whether the pump keeps the event loop alive: TypeScript counts the waits
// of referenced sockets and calls this when the count leaves or reaches 0.
static napi_value sk_readiness_ref(napi_env env, napi_callback_info info) {
  sk_args a;
  bool ref;
  if (!sk_args_get(env, info, 1, &a) || !sk_arg_bool(&a, 0, &ref)) return NULL;
  sk_ready *s = sk__state(env);
  if (s->pump && !s->tearing_down) sk_pump_ref(s->pump, ref);
  return sk_undefined(env);
}

// Whether the event loop already watches `fd` through another handle (the
// uv_tcp_t of a node:net socket, say). A second watcher on one fd makes
// libuv deliver its events to one of them only, so the other spins or
// starves. libuv keeps its watchers by fd in the loop (unix).
static bool sk__loop_watches(uv_loop_t *loop, int fd) {
  return (unsigned)fd < loop->nwatchers && loop->watchers[fd] != NULL;
}

// Marks an fd as owned by a Socket: it is closed if the environment is torn
// down first. -> 0; -EEXIST when a Socket already owns it or the event loop
// watches it through another handle; -ENOMEM.
static napi_value sk_own(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd;
  if (!sk_args_get(env, info, 1, &a) || !sk__fd_arg(&a, &fd)) return NULL;
  sk_ready *s = sk__state(env);
  if ((size_t)fd < s->size && s->regs[fd].owned) return sk_int(env, -EEXIST);
  if (s->libuv_loop && sk__loop_watches(s->loop, fd)) return sk_int(env, -EEXIST);
  int grown = sk__grow(s, fd);
  if (grown < 0) return sk_int(env, grown);
  s->regs[fd].owned = true;
  return sk_int(env, 0);
}

// Gives up an fd: takes it out of the set and forgets its registration and
// ownership, without closing it (detach, or just before close).
static void sk__release_fd(sk_ready *s, int fd) {
  if ((size_t)fd >= s->size) return;
  sk_reg *r = &s->regs[fd];
  if (r->armed) sk__ctl(s, fd, r, 0, false);
  *r = (sk_reg){ 0 };
}

static napi_value sk_release(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd;
  if (!sk_args_get(env, info, 1, &a) || !sk__fd_arg(&a, &fd)) return NULL;
  sk__release_fd(sk__state(env), fd);
  return sk_undefined(env);
}

// release + close(2) in one call: the fd always leaves the set first.
static napi_value sk_close_owned(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd;
  if (!sk_args_get(env, info, 1, &a) || !sk__fd_arg(&a, &fd)) return NULL;
  sk__release_fd(sk__state(env), fd);
  int rc = close(fd);
  return sk_int(env, rc < 0 && errno != EINTR ? -errno : 0);
}

// For tests: the generation the next registration gets (1..INT32_MAX), so
// that wrapping past INT32_MAX is tested without 2^31 registrations first.
static napi_value sk_readiness_next_generation(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t gen;
  if (!sk_args_get(env, info, 1, &a) || !sk_arg_int32(&a, 0, &gen)) return NULL;
  if (gen < 1) { sk_throw_arg(&a, 0, true, "must be positive"); return NULL; }
  sk__state(env)->next_gen = (uint32_t)gen;
  return sk_undefined(env);
}

const sk_export sk_readiness_exports[] = {
  { "readinessSetup", sk_readiness_setup, "dispatch,thread,libuvLoop" },
  { "readinessArm", sk_readiness_arm, "fd,events,edge" },
  { "readinessRef", sk_readiness_ref, "ref" },
  { "readinessNextGeneration", sk_readiness_next_generation, "generation" },
  { "own", sk_own, "fd" },
  { "release", sk_release, "fd" },
  { "closeOwned", sk_close_owned, "fd" },
  { NULL, NULL },
};
