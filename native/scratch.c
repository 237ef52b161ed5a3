// The scratch: memory the calls that return an address, counts, an option
// value or a small read's data write into, made once per environment and
// read by TypeScript right after each call (binding.scratch: sockaddr,
// results, option, data), and the integer arguments of getsockopt, written
// by TypeScript right before it (args). Passing these as arguments cost a
// typed-array check per argument per call, about as much as a small system
// call (getsockopt took 557 ns with two of them, 250 ns without); a number
// argument costs 10-13 ns.
//
// Each environment has its own JavaScript thread, so the scratch is found
// through a thread-local list, checked against the calling environment. A
// thread usually holds one: a second comes when the same addon file is
// loaded again under another path (two package directories that are hard
// links of one store, as pnpm makes them), which Node-API gives an
// environment of its own on the same thread. The newest is first.
#include <stdlib.h>
#include <string.h>
#include "berkeley.h"

typedef struct sk__scratch_node {
  sk_scratch scratch;  // first: a node and its scratch share an address
  struct sk__scratch_node *next;
} sk__scratch_node;

static _Thread_local sk__scratch_node *sk__scratches;

static void sk__scratch_cleanup(void *arg) {
  sk__scratch_node *node = arg;
  for (sk__scratch_node **p = &sk__scratches; *p; p = &(*p)->next) {
    if (*p == node) { *p = node->next; break; }
  }
  napi_delete_reference(node->scratch.env, node->scratch.ref);
  free(node);
}

// Creates this environment's scratch and returns { sockaddr, results, args, option, data }.
napi_value sk_scratch_init(napi_env env) {
  sk__scratch_node *node = calloc(1, sizeof *node);
  sk_scratch *s = node ? &node->scratch : NULL;
  if (!s) { napi_throw_error(env, "ERR_MEMORY_ALLOCATION_FAILED", "berkeley: no memory for the scratch"); return NULL; }
  s->env = env;
  napi_value obj, sa, res_ab, res, args_ab, args, opt, data;
  void *p;
  if (napi_create_object(env, &obj) != napi_ok ||
      napi_create_buffer(env, sizeof(struct sockaddr_storage), &p, &sa) != napi_ok) goto fail;
  s->sockaddr = p;
  if (napi_create_arraybuffer(env, SK_RESULTS * sizeof(int32_t), &p, &res_ab) != napi_ok ||
      napi_create_typedarray(env, napi_int32_array, SK_RESULTS, res_ab, 0, &res) != napi_ok) goto fail;
  s->results = p;
  if (napi_create_arraybuffer(env, SK_ARGS * sizeof(int32_t), &p, &args_ab) != napi_ok ||
      napi_create_typedarray(env, napi_int32_array, SK_ARGS, args_ab, 0, &args) != napi_ok) goto fail;
  s->args = p;
  if (napi_create_buffer(env, SK_OPTION_MAX, &p, &opt) != napi_ok) goto fail;
  s->option = p;
  if (napi_create_buffer(env, SK_DATA_MAX, &p, &data) != napi_ok) goto fail;
  s->data = p;
  if (napi_set_named_property(env, obj, "sockaddr", sa) != napi_ok ||
      napi_set_named_property(env, obj, "results", res) != napi_ok ||
      napi_set_named_property(env, obj, "args", args) != napi_ok ||
      napi_set_named_property(env, obj, "option", opt) != napi_ok ||
      napi_set_named_property(env, obj, "data", data) != napi_ok ||
      // Held until the environment ends, so the memory outlives every call.
      napi_create_reference(env, obj, 1, &s->ref) != napi_ok) goto fail;
  if (napi_add_env_cleanup_hook(env, sk__scratch_cleanup, node) != napi_ok) {
    napi_delete_reference(env, s->ref);
    goto fail;
  }
  node->next = sk__scratches;
  sk__scratches = node;
  return obj;
fail:
  free(node);
  return NULL;
}

sk_scratch *sk_scratch_env(napi_env env) {
  sk__scratch_node *node = sk__scratches;
  while (node != NULL && node->scratch.env != env) node = node->next;
  sk_scratch *s = node ? &node->scratch : NULL;
  if (s == NULL) {
    napi_throw_error(env, "ERR_INVALID_STATE", "berkeley: called from an environment without its scratch");
    return NULL;
  }
  return s;
}

sk_scratch *sk_scratch_of(sk_args *a) { return sk_scratch_env(a->env); }
