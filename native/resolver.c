// Name and address translation: getaddrinfo/getnameinfo (blocking, and on
// libuv's thread pool through napi_async_work), interface names and indices,
// inet_pton/inet_ntop. Not hot paths: results are built as JS values here.
#include <stdlib.h>
#include <string.h>
#include "berkeley.h"

#define SK_HOST_MAX 1025   // NI_MAXHOST
#define SK_SERV_MAX 64

typedef struct {
  char host[SK_HOST_MAX];
  char serv[SK_SERV_MAX];
  bool has_host, has_serv;
  struct addrinfo hints;
  struct sockaddr_storage addr;
  socklen_t addrlen;
  int flags;
  // results
  int rc;
  int sys_errno;
  struct addrinfo *res;
  char out_host[SK_HOST_MAX];
  char out_serv[SK_SERV_MAX];
  // async only
  napi_async_work work;
  napi_deferred deferred;
} sk__gai_req;

// Failure as { eai, errno }: eai is the EAI_* code, errno is set for EAI_SYSTEM.
static napi_value sk__gai_error(napi_env env, int eai, int sys_errno) {
  napi_value o, v;
  napi_create_object(env, &o);
  napi_create_int32(env, eai, &v);
  napi_set_named_property(env, o, "eai", v);
  napi_create_int32(env, eai == EAI_SYSTEM ? -sys_errno : 0, &v);
  napi_set_named_property(env, o, "errno", v);
  return o;
}

// Success as [[family, socktype, protocol, sockaddr bytes, canonname?], ...].
static napi_value sk__gai_result(napi_env env, sk__gai_req *r) {
  if (r->rc != 0) return sk__gai_error(env, r->rc, r->sys_errno);
  napi_value list;
  napi_create_array(env, &list);
  uint32_t i = 0;
  for (struct addrinfo *ai = r->res; ai; ai = ai->ai_next) {
    if (ai->ai_addrlen > sizeof(struct sockaddr_storage)) continue;
    napi_value e, v;
    napi_create_array_with_length(env, 5, &e);
    napi_create_int32(env, ai->ai_family, &v);
    napi_set_element(env, e, 0, v);
    napi_create_int32(env, ai->ai_socktype, &v);
    napi_set_element(env, e, 1, v);
    napi_create_int32(env, ai->ai_protocol, &v);
    napi_set_element(env, e, 2, v);
    napi_create_buffer_copy(env, ai->ai_addrlen, ai->ai_addr, NULL, &v);
    napi_set_element(env, e, 3, v);
    if (ai->ai_canonname) {
      napi_create_string_utf8(env, ai->ai_canonname, NAPI_AUTO_LENGTH, &v);
      napi_set_element(env, e, 4, v);
    }
    napi_set_element(env, list, i++, e);
  }
  return list;
}

static napi_value sk__gni_result(napi_env env, sk__gai_req *r) {
  if (r->rc != 0) return sk__gai_error(env, r->rc, r->sys_errno);
  napi_value pair, v;
  napi_create_array_with_length(env, 2, &pair);
  napi_create_string_utf8(env, r->out_host, NAPI_AUTO_LENGTH, &v);
  napi_set_element(env, pair, 0, v);
  napi_create_string_utf8(env, r->out_serv, NAPI_AUTO_LENGTH, &v);
  napi_set_element(env, pair, 1, v);
  return pair;
}

static void sk__gai_run(sk__gai_req *r) {
  r->rc = getaddrinfo(r->has_host ? r->host : NULL, r->has_serv ? r->serv : NULL, &r->hints, &r->res);
  r->sys_errno = errno;
}

static void sk__gni_run(sk__gai_req *r) {
  r->rc = getnameinfo((struct sockaddr *)&r->addr, r->addrlen, r->out_host, sizeof r->out_host,
                      r->out_serv, sizeof r->out_serv, r->flags);
  r->sys_errno = errno;
}

static bool sk__opt_string(sk_args *a, size_t i, char *buf, size_t size, bool *present) {
  napi_valuetype t;
  napi_typeof(a->env, a->argv[i], &t);
  *present = !(t == napi_null || t == napi_undefined);
  return !*present || sk_arg_string(a, i, buf, size, NULL);
}

// Reads (host, service, family, socktype, protocol, flags).
static bool sk__gai_args(napi_env env, napi_callback_info info, sk__gai_req *r) {
  sk_args a;
  int32_t family, socktype, protocol, flags;
  if (!sk_args_get(env, info, 6, &a) || !sk__opt_string(&a, 0, r->host, sizeof r->host, &r->has_host) ||
      !sk__opt_string(&a, 1, r->serv, sizeof r->serv, &r->has_serv) || !sk_arg_int32(&a, 2, &family) ||
      !sk_arg_int32(&a, 3, &socktype) || !sk_arg_int32(&a, 4, &protocol) || !sk_arg_int32(&a, 5, &flags))
    return false;
  memset(&r->hints, 0, sizeof r->hints);
  r->hints.ai_family = family;
  r->hints.ai_socktype = socktype;
  r->hints.ai_protocol = protocol;
  r->hints.ai_flags = flags;
  return true;
}

// Reads (addr, addrlen, flags).
static bool sk__gni_args(napi_env env, napi_callback_info info, sk__gai_req *r) {
  sk_args a;
  struct sockaddr *sa;
  socklen_t len;
  int32_t flags;
  if (!sk_args_get(env, info, 3, &a) || !sk_arg_sockaddr_in(&a, 0, &sa, &len) || !sk_arg_int32(&a, 2, &flags))
    return false;
  if (!sa) { sk_throw_arg(&a, 0, false, "must be a Uint8Array"); return false; }
  memcpy(&r->addr, sa, len);
  r->addrlen = len;
  r->flags = flags;
  return true;
}

// getaddrinfo(3), blocking.
static napi_value sk_getaddrinfo(napi_env env, napi_callback_info info) {
  sk__gai_req *r = calloc(1, sizeof *r);
  if (!r) return sk_int(env, -ENOMEM);
  napi_value result = NULL;
  if (sk__gai_args(env, info, r)) {
    sk__gai_run(r);
    result = sk__gai_result(env, r);
  }
  if (r->res) freeaddrinfo(r->res);
  free(r);
  return result;
}

// getnameinfo(3), blocking.
static napi_value sk_getnameinfo(napi_env env, napi_callback_info info) {
  sk__gai_req r;
  if (!sk__gni_args(env, info, &r)) return NULL;
  sk__gni_run(&r);
  return sk__gni_result(env, &r);
}

static void sk__gai_execute(napi_env env, void *data) {
  (void)env;
  sk__gai_run(data);
}

static void sk__gni_execute(napi_env env, void *data) {
  (void)env;
  sk__gni_run(data);
}

// Runs on the JS thread when the lookup is done. It creates JS values, so it
// opens its own handle scope: Node happens to open one around completion
// callbacks, but Node-API does not promise it, and another runtime need not.
static void sk__lookup_complete(napi_env env, napi_status status, void *data, bool is_gai) {
  sk__gai_req *r = data;
  napi_handle_scope scope;
  bool scoped = napi_open_handle_scope(env, &scope) == napi_ok;
  if (status == napi_ok) {
    napi_value v = is_gai ? sk__gai_result(env, r) : sk__gni_result(env, r);
    napi_resolve_deferred(env, r->deferred, v);
  } else {
    // Cancelled (environment teardown): settle with EAI_CANCELED-like failure.
    napi_resolve_deferred(env, r->deferred, sk__gai_error(env, EAI_SYSTEM, ECANCELED));
  }
  if (scoped) napi_close_handle_scope(env, scope);
  napi_delete_async_work(env, r->work);
  if (r->res) freeaddrinfo(r->res);
  free(r);
}

static void sk__gai_complete(napi_env env, napi_status status, void *data) {
  sk__lookup_complete(env, status, data, true);
}

static void sk__gni_complete(napi_env env, napi_status status, void *data) {
  sk__lookup_complete(env, status, data, false);
}

static napi_value sk__queue(napi_env env, sk__gai_req *r, const char *name, napi_async_execute_callback exec,
                            napi_async_complete_callback done) {
  napi_value promise, resource_name;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource_name);
  if (napi_create_promise(env, &r->deferred, &promise) != napi_ok ||
      napi_create_async_work(env, NULL, resource_name, exec, done, r, &r->work) != napi_ok) {
    free(r);
    return NULL;
  }
  if (napi_queue_async_work(env, r->work) != napi_ok) {
    napi_delete_async_work(env, r->work);
    free(r);
    return NULL;
  }
  return promise;
}

// getaddrinfo(3) on the thread pool: a Promise of the same result as the blocking form.
static napi_value sk_getaddrinfo_async(napi_env env, napi_callback_info info) {
  sk__gai_req *r = calloc(1, sizeof *r);
  if (!r) { napi_throw_error(env, "ENOMEM", "out of memory"); return NULL; }
  if (!sk__gai_args(env, info, r)) { free(r); return NULL; }
  return sk__queue(env, r, "berkeley:getaddrinfo", sk__gai_execute, sk__gai_complete);
}

// getnameinfo(3) on the thread pool.
static napi_value sk_getnameinfo_async(napi_env env, napi_callback_info info) {
  sk__gai_req *r = calloc(1, sizeof *r);
  if (!r) { napi_throw_error(env, "ENOMEM", "out of memory"); return NULL; }
  if (!sk__gni_args(env, info, r)) { free(r); return NULL; }
  return sk__queue(env, r, "berkeley:getnameinfo", sk__gni_execute, sk__gni_complete);
}

// gai_strerror(3)
static napi_value sk_gai_strerror(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t code;
  if (!sk_args_get(env, info, 1, &a) || !sk_arg_int32(&a, 0, &code)) return NULL;
  napi_value s;
  napi_create_string_utf8(env, gai_strerror(code), NAPI_AUTO_LENGTH, &s);
  return s;
}

// if_nametoindex(3) -> index or -errno.
static napi_value sk_if_nametoindex(napi_env env, napi_callback_info info) {
  sk_args a;
  char name[IF_NAMESIZE + 1];
  if (!sk_args_get(env, info, 1, &a) || !sk_arg_string(&a, 0, name, sizeof name, NULL)) return NULL;
  unsigned idx = if_nametoindex(name);
  return sk_int(env, idx ? (int64_t)idx : -(errno ? errno : ENODEV));
}

// if_indextoname(3) -> name or -errno.
static napi_value sk_if_indextoname(napi_env env, napi_callback_info info) {
  sk_args a;
  uint32_t idx;
  if (!sk_args_get(env, info, 1, &a) || !sk_arg_uint32(&a, 0, &idx)) return NULL;
  char name[IF_NAMESIZE + 1];
  if (!if_indextoname(idx, name)) return sk_int(env, -(errno ? errno : ENXIO));
  napi_value s;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &s);
  return s;
}

// if_nameindex(3) -> [[index, name], ...] or -errno.
static napi_value sk_if_nameindex(napi_env env, napi_callback_info info) {
  (void)info;
  struct if_nameindex *list = if_nameindex();
  if (!list) return sk_int(env, -errno);
  napi_value arr;
  napi_create_array(env, &arr);
  uint32_t i = 0;
  for (struct if_nameindex *p = list; p->if_index != 0; p++) {
    napi_value e, v;
    napi_create_array_with_length(env, 2, &e);
    napi_create_uint32(env, p->if_index, &v);
    napi_set_element(env, e, 0, v);
    napi_create_string_utf8(env, p->if_name, NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, e, 1, v);
    napi_set_element(env, arr, i++, e);
  }
  if_freenameindex(list);
  return arr;
}

// inet_pton(3): (family, text, out[16]) -> 1 parsed, 0 not an address, -errno.
static napi_value sk_inet_pton(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t family;
  char text[64];
  uint8_t *out;
  size_t outlen;
  if (!sk_args_get(env, info, 3, &a) || !sk_arg_int32(&a, 0, &family) || !sk_arg_bytes(&a, 2, false, &out, &outlen))
    return NULL;
  if (outlen < 16) { sk_throw_arg(&a, 2, true, "must hold 16 bytes"); return NULL; }
  size_t tlen = 0;
  napi_get_value_string_utf8(env, a.argv[1], NULL, 0, &tlen);
  if (tlen >= sizeof text) return sk_int(env, 0);  // too long to be an address
  if (!sk_arg_string(&a, 1, text, sizeof text, NULL)) return NULL;
  int rc = inet_pton(family, text, out);
  return sk_int(env, rc < 0 ? -errno : rc);
}

// inet_ntop(3): (family, bytes) -> text or -errno.
static napi_value sk_inet_ntop(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t family;
  uint8_t *p;
  size_t n;
  if (!sk_args_get(env, info, 2, &a) || !sk_arg_int32(&a, 0, &family) || !sk_arg_bytes(&a, 1, false, &p, &n))
    return NULL;
  size_t need = family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
  if (need == 0) return sk_int(env, -EAFNOSUPPORT);
  if (n != need) { sk_throw_arg(&a, 1, true, "must be 4 bytes (AF_INET) or 16 (AF_INET6)"); return NULL; }
  char text[INET6_ADDRSTRLEN];
  if (!inet_ntop(family, p, text, sizeof text)) return sk_int(env, -errno);
  napi_value s;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &s);
  return s;
}

const sk_export sk_resolver_exports[] = {
  { "getaddrinfo", sk_getaddrinfo, "host,service,family,socktype,protocol,flags" },
  { "getnameinfo", sk_getnameinfo, "addr,addrlen,flags" },
  { "getaddrinfoAsync", sk_getaddrinfo_async, "host,service,family,socktype,protocol,flags" },
  { "getnameinfoAsync", sk_getnameinfo_async, "addr,addrlen,flags" },
  { "gaiStrerror", sk_gai_strerror, "code" },
  { "if_nametoindex", sk_if_nametoindex, "name" },
  { "if_indextoname", sk_if_indextoname, "index" },
  { "if_nameindex", sk_if_nameindex },
  { "inet_pton", sk_inet_pton, "family,text,out" },
  { "inet_ntop", sk_inet_ntop, "family,bytes" },
  { NULL, NULL },
};
