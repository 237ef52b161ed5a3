// The pumps of the readiness set (readiness.c): what tells the JS thread
// that the set's fd is readable, so that it reads the ready fds in one go.
//
// - The loop pump (Node): one uv_poll_t on the set's fd, on the runtime's own
//   libuv loop. Its callback runs the harvest on the JS thread and calls the
//   dispatch through napi_make_callback, so the continuations of every waiter
//   it wakes run in one microtask checkpoint.
// - The thread pump (Bun, whose Node-API aborts on uv_poll_init; Deno, whose
//   loop is not libuv's; Node when BERKELEY_READINESS=epoll-thread): a helper
//   thread waits in poll(2) for the set's fd, then asks the JS thread for one
//   harvest through a threadsafe function and waits until it has run, so a
//   set that stays ready is handed over once per harvest, never in a loop.
//   The thread never reads the set itself.
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include "readiness.h"

struct sk_pump {
  sk_ready *ready;
  napi_env env;
  bool thread;
  void (*done)(void *);
  void *done_arg;
  // loop pump
  uv_poll_t handle;
  napi_ref dispatch;
#ifdef SK_HAVE_EPOLL
  // thread pump
  napi_threadsafe_function tsfn;
  pthread_t tid;
  bool started;
  int stopfd;                // an eventfd written to stop the thread
  pthread_mutex_t lock;
  pthread_cond_t harvested;  // signalled when the JS thread has run the harvest asked for
  bool scheduled;            // a harvest was asked for and has not run yet
  bool stop;
#endif
};

// ---- the loop pump ----------------------------------------------------------

static void sk__loop_on_ready(uv_poll_t *h, int status, int events) {
  sk_pump *p = (sk_pump *)((char *)h - offsetof(sk_pump, handle));
  napi_handle_scope scope;
  if (napi_open_handle_scope(p->env, &scope) != napi_ok) return;
  napi_value fn;
  if (napi_get_reference_value(p->env, p->dispatch, &fn) == napi_ok && fn)
    sk_ready_harvest(p->ready, p->env, fn, true);
  napi_close_handle_scope(p->env, scope);
}

static void sk__loop_closed(uv_handle_t *h) {
  sk_pump *p = (sk_pump *)((char *)h - offsetof(sk_pump, handle));
  void (*done)(void *) = p->done;
  void *arg = p->done_arg;
  free(p);
  if (done) done(arg);
}

sk_pump *sk_pump_start_loop(sk_ready *s, napi_env env, void *loop, napi_value dispatch, int *err) {
  sk_pump *p = calloc(1, sizeof *p);
  if (!p) { *err = -ENOMEM; return NULL; }
  p->ready = s;
  p->env = env;
  int rc = uv_poll_init((uv_loop_t *)loop, &p->handle, sk_ready_fd(s));
  if (rc < 0) {  // nothing registered with the loop yet
    free(p);
    *err = rc;
    return NULL;
  }
  rc = uv_poll_start(&p->handle, UV_READABLE, sk__loop_on_ready);
  if (rc < 0) {
    uv_close((uv_handle_t *)&p->handle, sk__loop_closed);  // frees p; no `done` to call
    *err = rc;
    return NULL;
  }
  // Unreferenced until a socket waits: an idle library keeps nothing alive.
  uv_unref((uv_handle_t *)&p->handle);
  napi_create_reference(env, dispatch, 1, &p->dispatch);
  return p;
}

// ---- the thread pump ----------------------------------------------------------

#ifdef SK_HAVE_EPOLL
#include <poll.h>
#include <sys/eventfd.h>

static void sk__thread_call_js(napi_env env, napi_value fn, void *context, void *data) {
  (void)data;
  // No environment: the runtime is deleting the tsfn and drains what is
  // still queued, after sk_pump_stop joined the thread and freed the pump:
  // nothing waits for this call, and `context` must not be touched.
  if (env == NULL) return;
  sk_pump *p = context;
  if (fn != NULL) sk_ready_harvest(p->ready, env, fn, false);
  pthread_mutex_lock(&p->lock);
  p->scheduled = false;
  pthread_cond_signal(&p->harvested);
  pthread_mutex_unlock(&p->lock);
}

static void *sk__thread_main(void *arg) {
  sk_pump *p = arg;
  struct pollfd pfd[2] = { { .fd = sk_ready_fd(p->ready), .events = POLLIN }, { .fd = p->stopfd, .events = POLLIN } };
  for (;;) {
    int n = poll(pfd, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;  // EFAULT/EINVAL/ENOMEM: nothing a retry would mend
    }
    if (pfd[1].revents) break;
    pthread_mutex_lock(&p->lock);
    bool asked = false;
    if (!p->stop) {
      p->scheduled = true;
      // Non-blocking: the queue of the tsfn is unbounded, so this never waits
      // on the JS thread (which may be joining this thread at teardown).
      asked = napi_call_threadsafe_function(p->tsfn, NULL, napi_tsfn_nonblocking) == napi_ok;
      if (!asked) p->scheduled = false;
      while (p->scheduled && !p->stop) pthread_cond_wait(&p->harvested, &p->lock);
    }
    bool stop = p->stop || !asked;  // a tsfn that refuses calls is closing: so is the environment
    pthread_mutex_unlock(&p->lock);
    if (stop) break;
  }
  return NULL;
}

sk_pump *sk_pump_start_thread(sk_ready *s, napi_env env, napi_value dispatch, int *err) {
  sk_pump *p = calloc(1, sizeof *p);
  if (!p) { *err = -ENOMEM; return NULL; }
  p->ready = s;
  p->env = env;
  p->thread = true;
  p->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->harvested, NULL);
  *err = p->stopfd < 0 ? -errno : 0;
  napi_value name;
  if (*err == 0) {
    napi_create_string_utf8(env, "berkeley:readiness", NAPI_AUTO_LENGTH, &name);
    if (napi_create_threadsafe_function(env, dispatch, NULL, name, 0, 1, NULL, NULL, p, sk__thread_call_js,
                                        &p->tsfn) != napi_ok)
      *err = -ENOMEM;
  }
  if (*err == 0) {
    // Unreferenced until a socket waits: an idle library keeps nothing alive.
    napi_unref_threadsafe_function(env, p->tsfn);
    // Every signal blocked in the helper thread: the runtime's handlers run
    // on its own threads, never on ours.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&p->tid, NULL, sk__thread_main, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) *err = -rc;
    else p->started = true;
  }
  if (*err != 0) {
    sk_pump_stop(p, NULL, NULL);
    return NULL;
  }
  return p;
}

// Stops and joins the thread first, so nothing below is used by it any more.
// Called at environment teardown, when the tsfn is released by the runtime
// as well: releasing it here too is allowed (it only drops our reference).
static void sk__thread_stop(sk_pump *p) {
  if (p->started) {
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_signal(&p->harvested);
    pthread_mutex_unlock(&p->lock);
    uint64_t one = 1;
    while (write(p->stopfd, &one, sizeof one) < 0 && errno == EINTR) {}
    pthread_join(p->tid, NULL);
  }
  if (p->tsfn) napi_release_threadsafe_function(p->tsfn, napi_tsfn_abort);
  if (p->stopfd >= 0) close(p->stopfd);
  pthread_cond_destroy(&p->harvested);
  pthread_mutex_destroy(&p->lock);
}

#else

sk_pump *sk_pump_start_thread(sk_ready *s, napi_env env, napi_value dispatch, int *err) { *err = -ENOSYS; return NULL; }
static void sk__thread_stop(sk_pump *p) {}

#endif

// ---- both ---------------------------------------------------------------------

void sk_pump_ref(sk_pump *p, bool ref) {
#ifdef SK_HAVE_EPOLL
  if (p->thread) {
    (ref ? napi_ref_threadsafe_function : napi_unref_threadsafe_function)(p->env, p->tsfn);
    return;
  }
#endif
  if (ref) uv_ref((uv_handle_t *)&p->handle);
  else uv_unref((uv_handle_t *)&p->handle);
}

void sk_pump_stop(sk_pump *p, void (*done)(void *), void *arg) {
  if (p->thread) {
    sk__thread_stop(p);
    free(p);
    if (done) done(arg);
    return;
  }
  if (p->dispatch) napi_delete_reference(p->env, p->dispatch);
  p->dispatch = NULL;
  p->done = done;
  p->done_arg = arg;
  uv_poll_stop(&p->handle);
  uv_close((uv_handle_t *)&p->handle, sk__loop_closed);
}
