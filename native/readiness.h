// Readiness on the runtime's event loop: one epoll set per environment
// (readiness.c) and the pump that tells the JavaScript thread when the set
// has something ready (pump.c): on Node a single uv_poll_t on the set's own
// fd, elsewhere (Bun, Deno, or BERKELEY_READINESS=epoll-thread) a helper
// thread and a threadsafe function. Either way the JS thread itself reads
// every ready fd (bounded) and hands them to JavaScript in one call.
#ifndef BERKELEY_READINESS_H
#define BERKELEY_READINESS_H

#include "berkeley.h"

#define SK_READABLE 1
#define SK_WRITABLE 2

// Ready fds read per wake-up and handed to JavaScript in one call: what a
// wake-up finds beyond this waits for the next loop turn, so one busy set
// cannot starve the loop (libuv reads 1024 events per epoll_wait too).
#define SK_HARVEST_MAX 1024
// Each ready fd takes three int32 in the shared events array: fd, generation, events.
#define SK_HARVEST_STRIDE 3

typedef struct sk_ready sk_ready;
typedef struct sk_pump sk_pump;

// Reads what the set has ready into the shared events array and calls the
// JS dispatch once with the count (readiness.c). From the pump, on the JS
// thread, inside an open handle scope; `make_callback` says whether the call
// goes through napi_make_callback (Node: microtasks run once after it) or
// napi_call_function (a threadsafe function's call, which the runtime wraps).
void sk_ready_harvest(sk_ready *s, napi_env env, napi_value dispatch, bool make_callback);
// The set's fd, for the pump to watch.
int sk_ready_fd(const sk_ready *s);

// The loop pump (a uv_poll_t on the set's fd, Node) or the thread pump; NULL
// and -errno in *err when it cannot start. Unreferenced until sk_pump_ref.
sk_pump *sk_pump_start_loop(sk_ready *s, napi_env env, void *loop, napi_value dispatch, int *err);
sk_pump *sk_pump_start_thread(sk_ready *s, napi_env env, napi_value dispatch, int *err);
// Whether the pump keeps the event loop alive (someone referenced waits).
void sk_pump_ref(sk_pump *p, bool ref);
// Stops the pump: the thread is joined, the uv handle closed; `done` runs
// (possibly later, from the loop) once nothing of the pump is in use.
void sk_pump_stop(sk_pump *p, void (*done)(void *), void *arg);

#endif
