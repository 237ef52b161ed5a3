// Readiness on the runtime's event loop, and the fds Socket objects own.
// Two backends, chosen once per environment by pollSetup: libuv's uv_poll_t
// (here; Node), or an epoll thread (epoll.c; Bun and Deno, whose Node-API has
// no usable uv_poll, or any runtime when BERKELEY_READINESS=epoll). With
// uv_poll: exactly one uv_poll_t per fd, kept in a per-environment table
// indexed by fd, so a second watcher on one fd cannot exist. Readable is
// armed only while an operation waits, writable only after EAGAIN
// (TypeScript decides; this file just starts and stops). A handle is stopped
// before its fd may be closed and freed in its uv_close callback. A cleanup
// hook stops whatever is left and closes the fds Sockets still own when a
// worker or the process exits. Events reach JS through one dispatch function
// called with napi_make_callback and the handle's async context. The
// blocking poll(2) waits of the ...Sync calls and select() are in wait.c.
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include "poll.h"

typedef struct sk_poll_env sk_poll_env;

typedef struct {
  uv_poll_t handle;        // first member: the uv handle casts back to this
  sk_poll_env *state;
  int fd;
  int events;
  napi_async_context ctx;
} sk_poll;

struct sk_poll_env {
  napi_env env;
  uv_loop_t *loop;
  napi_ref dispatch;
  napi_ref resource;       // async resource object shared by the contexts
  sk_poll **by_fd;
  uint8_t *owned;          // fds that Socket objects own: closed at teardown
  size_t size;
  size_t closing;          // handles whose close callback has not run yet
  sk_epoll *epoll;         // the epoll backend, or NULL for uv_poll
  bool set_up;             // pollSetup chose the backend
  bool libuv_loop;         // `loop` is libuv's own (Node): its watcher table may be read
  napi_async_cleanup_hook_handle hook;  // uv_poll backend
  bool env_hook;           // epoll backend: the plain cleanup hook has not run yet
  bool tearing_down;
  bool finalized;
};

static void sk__poll_env_maybe_free(sk_poll_env *s) {
  if (s->finalized && s->hook == NULL && !s->env_hook && s->closing == 0) {
    free(s->by_fd);
    free(s->owned);
    free(s);
  }
}

static void sk__poll_on_close(uv_handle_t *h) {
  sk_poll *p = (sk_poll *)h;
  sk_poll_env *s = p->state;
  free(p);
  s->closing--;
  if (s->tearing_down && s->closing == 0 && s->hook) {
    napi_remove_async_cleanup_hook(s->hook);
    s->hook = NULL;
  }
  sk__poll_env_maybe_free(s);
}

// Stops and closes the handle of an fd; the fd may be closed right after
// (uv_poll_stop removes it from epoll at once).
static void sk__poll_release(sk_poll_env *s, int fd) {
  sk_poll *p = s->by_fd[fd];
  s->by_fd[fd] = NULL;
  uv_poll_stop(&p->handle);
  if (p->ctx) napi_async_destroy(s->env, p->ctx);
  p->ctx = NULL;
  s->closing++;
  uv_close((uv_handle_t *)&p->handle, sk__poll_on_close);
}

static void sk__poll_on_event(uv_poll_t *h, int status, int events) {
  sk_poll *p = (sk_poll *)h;
  sk_poll_env *s = p->state;
  if (s->tearing_down) return;
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, recv, argv[3], result;
  napi_get_reference_value(env, s->dispatch, &fn);
  napi_get_global(env, &recv);  // MakeCallback needs an object receiver
  napi_create_int32(env, p->fd, &argv[0]);
  napi_create_int32(env, status, &argv[1]);
  napi_create_int32(env, events, &argv[2]);
  // Note: the JS side may release this very handle during the call; p must
  // not be touched afterwards.
  if (napi_make_callback(env, p->ctx, recv, fn, 3, argv, &result) == napi_pending_exception) {
    napi_value err;
    if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

// Environment teardown (worker terminated, process exiting): stop every
// watcher and close the fds Socket objects still owned, which no JS code
// will ever close now.
static void sk__poll_teardown(sk_poll_env *s) {
  s->tearing_down = true;
  if (s->epoll) sk_epoll_destroy(s->epoll);
  s->epoll = NULL;
  for (size_t fd = 0; fd < s->size; fd++) {
    if (s->by_fd[fd]) sk__poll_release(s, (int)fd);
    if (s->owned[fd]) {
      s->owned[fd] = 0;
      close((int)fd);
    }
  }
}

// uv_poll backend: an async hook, because the uv_close callbacks of the
// handles must run before the environment is gone.
static void sk__poll_cleanup(napi_async_cleanup_hook_handle hook, void *arg) {
  sk_poll_env *s = arg;
  sk__poll_teardown(s);
  if (s->closing == 0) {
    napi_remove_async_cleanup_hook(hook);
    s->hook = NULL;
    sk__poll_env_maybe_free(s);
  }
}

// epoll backend: a plain hook; everything it stops is stopped synchronously.
// Deno (2.9) double-frees in napi_remove_async_cleanup_hook at exit, and it
// always runs this backend, so it never sees the async hook.
static void sk__poll_env_cleanup(void *arg) {
  sk_poll_env *s = arg;
  sk__poll_teardown(s);
  s->env_hook = false;
  sk__poll_env_maybe_free(s);
}

static void sk__poll_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  sk_poll_env *s = data;
  if (s->dispatch) napi_delete_reference(env, s->dispatch);
  if (s->resource) napi_delete_reference(env, s->resource);
  s->dispatch = s->resource = NULL;
  s->finalized = true;
  sk__poll_env_maybe_free(s);
}

bool sk_poll_init(napi_env env) {
  sk_poll_env *s = calloc(1, sizeof *s);
  if (!s) return false;
  s->env = env;
  // Bun and Deno answer with a loop that is not libuv's: kept, but used only
  // when pollSetup says it is.
  if (napi_get_uv_event_loop(env, &s->loop) != napi_ok) s->loop = NULL;
  if (napi_set_instance_data(env, s, sk__poll_finalize, NULL) != napi_ok) {
    free(s);
    return false;
  }
  return true;
}

static sk_poll_env *sk__state(napi_env env) {
  void *s = NULL;
  napi_get_instance_data(env, &s);
  return s;
}

// (dispatch, epoll, libuvLoop) -> 0 or -errno. Registers the JS function that
// receives (fd, status, events) and chooses the backend, once: epoll (true)
// or uv_poll (false, only where libuvLoop says the runtime's loop is
// libuv's). libuvLoop also allows own() to look into the loop's watchers.
static napi_value sk_poll_setup(napi_env env, napi_callback_info info) {
  sk_args a;
  bool use_epoll, libuv_loop;
  if (!sk_args_get(env, info, 3, &a) || !sk_arg_bool(&a, 1, &use_epoll) || !sk_arg_bool(&a, 2, &libuv_loop))
    return NULL;
  napi_valuetype t;
  napi_typeof(env, a.argv[0], &t);
  if (t != napi_function) { sk_throw_arg(&a, 0, false, "must be a function"); return NULL; }
  sk_poll_env *s = sk__state(env);
  if (s->set_up) return sk_int(env, -EALREADY);
  if (!use_epoll && (!libuv_loop || !s->loop)) return sk_int(env, -ENOTSUP);
  if (use_epoll) {
    int err;
    s->epoll = sk_epoll_create(env, a.argv[0], &err);
    if (!s->epoll) return sk_int(env, err);
    // Added after the threadsafe function, so it runs before the runtime's
    // own teardown of that function (hooks run last-in, first-out).
    if (napi_add_env_cleanup_hook(env, sk__poll_env_cleanup, s) != napi_ok) {
      sk_epoll_destroy(s->epoll);
      s->epoll = NULL;
      return sk_int(env, -ENOMEM);
    }
    s->env_hook = true;
  } else {
    if (napi_add_async_cleanup_hook(env, sk__poll_cleanup, s, &s->hook) != napi_ok) return sk_int(env, -ENOMEM);
    napi_create_reference(env, a.argv[0], 1, &s->dispatch);
    napi_value res;
    napi_create_object(env, &res);
    napi_create_reference(env, res, 1, &s->resource);
  }
  s->set_up = true;
  s->libuv_loop = libuv_loop && s->loop;
  return sk_int(env, 0);
}

// Grows the per-fd tables to hold `fd`; false when out of memory.
static bool sk__grow(sk_poll_env *s, int fd) {
  if ((size_t)fd < s->size) return true;
  size_t size = s->size ? s->size : 64;
  while (size <= (size_t)fd) size *= 2;
  sk_poll **t = realloc(s->by_fd, size * sizeof *t);
  if (!t) return false;
  s->by_fd = t;
  uint8_t *o = realloc(s->owned, size);
  if (!o) return false;
  s->owned = o;
  memset(t + s->size, 0, (size - s->size) * sizeof *t);
  memset(o + s->size, 0, size - s->size);
  s->size = size;
  return true;
}

static bool sk__fd_arg(sk_args *a, int32_t *fd) {
  if (!sk_arg_int32(a, 0, fd)) return false;
  if (*fd < 0) { sk_throw_arg(a, 0, true, "must not be negative"); return false; }
  return true;
}

// uv_poll_start / uv_poll_stop: (fd, events, ref) -> 0 or -errno. events is a
// mask of UV_READABLE (1) and UV_WRITABLE (2); 0 stops watching but keeps the
// handle for the next wait. The handle is created on first use.
static napi_value sk_poll_start(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd, events;
  bool ref;
  if (!sk_args_get(env, info, 3, &a) || !sk__fd_arg(&a, &fd) || !sk_arg_int32(&a, 1, &events) ||
      !sk_arg_bool(&a, 2, &ref))
    return NULL;
  events &= SK_READABLE | SK_WRITABLE;
  sk_poll_env *s = sk__state(env);
  if (!s->set_up) return sk_int(env, -ENOTCONN);  // pollSetup was not called
  if (s->epoll) return sk_int(env, sk_epoll_start(s->epoll, fd, events, ref));
  if ((size_t)fd >= s->size) {
    if (events == 0) return sk_int(env, 0);
    if (!sk__grow(s, fd)) return sk_int(env, -ENOMEM);
  }
  sk_poll *p = s->by_fd[fd];
  if (!p) {
    if (events == 0) return sk_int(env, 0);
    p = calloc(1, sizeof *p);
    if (!p) return sk_int(env, -ENOMEM);
    int rc = uv_poll_init(s->loop, &p->handle, fd);
    if (rc < 0) { free(p); return sk_int(env, rc); }
    p->state = s;
    p->fd = fd;
    napi_value res, name;
    napi_get_reference_value(env, s->resource, &res);
    napi_create_string_utf8(env, "berkeley:socket", NAPI_AUTO_LENGTH, &name);
    napi_async_init(env, res, name, &p->ctx);
    s->by_fd[fd] = p;
  }
  if (ref) uv_ref((uv_handle_t *)&p->handle);
  else uv_unref((uv_handle_t *)&p->handle);
  if (events == p->events) return sk_int(env, 0);
  int rc = events ? uv_poll_start(&p->handle, events, sk__poll_on_event) : uv_poll_stop(&p->handle);
  if (rc == 0) p->events = events;
  return sk_int(env, rc);
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
  sk_poll_env *s = sk__state(env);
  if ((size_t)fd < s->size && s->owned[fd]) return sk_int(env, -EEXIST);
  if (s->libuv_loop && sk__loop_watches(s->loop, fd)) return sk_int(env, -EEXIST);
  if (!sk__grow(s, fd)) return sk_int(env, -ENOMEM);
  s->owned[fd] = 1;
  return sk_int(env, 0);
}

// Gives up an fd: releases its poll handle (stop + uv_close) and ownership,
// without closing it (detach, or just before close).
static void sk__release_fd(sk_poll_env *s, int fd) {
  if (s->epoll) sk_epoll_release(s->epoll, fd);
  if ((size_t)fd < s->size) {
    if (s->by_fd[fd]) sk__poll_release(s, fd);
    s->owned[fd] = 0;
  }
}

static napi_value sk_release(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd;
  if (!sk_args_get(env, info, 1, &a) || !sk__fd_arg(&a, &fd)) return NULL;
  sk__release_fd(sk__state(env), fd);
  return sk_undefined(env);
}

// release + close(2) in one call: the poll handle always stops first.
static napi_value sk_close_owned(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd;
  if (!sk_args_get(env, info, 1, &a) || !sk__fd_arg(&a, &fd)) return NULL;
  sk__release_fd(sk__state(env), fd);
  int rc = close(fd);
  return sk_int(env, rc < 0 && errno != EINTR ? -errno : 0);
}

// uv_ref / uv_unref on the fd's handle (or the epoll registration's
// equivalent), if it has one.
static napi_value sk_poll_ref(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd;
  bool ref;
  if (!sk_args_get(env, info, 2, &a) || !sk__fd_arg(&a, &fd) || !sk_arg_bool(&a, 1, &ref)) return NULL;
  sk_poll_env *s = sk__state(env);
  if (s->epoll) sk_epoll_ref(s->epoll, fd, ref);
  else if ((size_t)fd < s->size && s->by_fd[fd]) {
    if (ref) uv_ref((uv_handle_t *)&s->by_fd[fd]->handle);
    else uv_unref((uv_handle_t *)&s->by_fd[fd]->handle);
  }
  return sk_undefined(env);
}

const sk_export sk_poll_exports[] = {
  { "pollSetup", sk_poll_setup, "dispatch,epoll,libuvLoop" },
  { "pollStart", sk_poll_start, "fd,events,ref" },
  { "own", sk_own, "fd" },
  { "release", sk_release, "fd" },
  { "closeOwned", sk_close_owned, "fd" },
  { "pollRef", sk_poll_ref, "fd,ref" },
  { NULL, NULL },
};
