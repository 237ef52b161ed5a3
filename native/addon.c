// Module entry: one export table per concern, plus the constants, struct
// layouts and feature flags of this platform.
#include "berkeley.h"

static bool sk__register(napi_env env, napi_value exports, const sk_export *table) {
  for (const sk_export *e = table; e->name; e++) {
    napi_value fn;
    // The entry itself is the call's data: argument errors name it (args.c).
    if (napi_create_function(env, e->name, NAPI_AUTO_LENGTH, e->fn, (void *)e, &fn) != napi_ok ||
        napi_set_named_property(env, exports, e->name, fn) != napi_ok)
      return false;
  }
  return true;
}

static napi_value sk__init(napi_env env, napi_value exports) {
  const sk_export *tables[] = {
    sk_socket_exports, sk_io_exports, sk_sockopt_exports, sk_resolver_exports,
    sk_readiness_exports, sk_wait_exports, sk_mmsg_exports, sk_netdb_exports, sk_file_exports, sk_capture_exports,
  };
  for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
    if (!sk__register(env, exports, tables[i])) return NULL;
  if (!sk_readiness_init(env, exports)) return NULL;
  napi_value scratch = sk_scratch_init(env);
  if (!scratch) return NULL;
  napi_set_named_property(env, exports, "scratch", scratch);
  napi_set_named_property(env, exports, "constants", sk_constants(env));
  napi_set_named_property(env, exports, "layout", sk_layout(env));
  napi_set_named_property(env, exports, "features", sk_features(env));
  napi_set_named_property(env, exports, "tcpInfo", sk_tcp_info_layout(env));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, sk__init)
