// The services and protocols databases (/etc/services, /etc/protocols, or
// whatever nsswitch.conf names): getservbyname_r, getservbyport_r and
// getprotobyname_r, the reentrant forms, so no static libc buffer is shared
// with another thread. Each returns its result, undefined when the entry is
// not found, or -errno.
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "berkeley.h"

// Names longer than this are refused (TypeScript checks the same bound first).
#define SK_NETDB_NAME_MAX 256

#if !defined(SK_HAVE_GETSERV_R) || !defined(SK_HAVE_GETPROTOBYNAME_R)
// Where a lookup has no reentrant form, the libc walks its database with one
// static cursor and returns a static entry: calls from several threads
// (workers) take turns. The lock guards libc's state, not berkeley's.
static pthread_mutex_t sk__netdb_lock = PTHREAD_MUTEX_INITIALIZER;
#endif
// The scratch buffer starts here and doubles on ERANGE up to the limit.
#define SK_NETDB_BUF_START 1024
#define SK_NETDB_BUF_MAX (1 << 20)

// A name argument, or NULL for null/undefined when `nullable`.
static bool sk__name_arg(sk_args *a, size_t i, bool nullable, char *buf, const char **out) {
  napi_valuetype t = napi_undefined;
  if (i < a->argc) napi_typeof(a->env, a->argv[i], &t);
  if (nullable && (t == napi_undefined || t == napi_null)) {
    *out = NULL;
    return true;
  }
  size_t len;
  if (!sk_arg_string(a, i, buf, SK_NETDB_NAME_MAX + 1, &len)) return false;
  if (strlen(buf) != len) {  // an embedded NUL would silently shorten the name
    sk_throw_arg(a, i, false, "must not contain a null byte");
    return false;
  }
  *out = buf;
  return true;
}

// Calls `lookup` with a growing scratch buffer: its rc (0 or an errno value),
// with *found set when an entry came back. ERANGE beyond the limit is returned.
typedef int (*sk__lookup_fn)(void *ctx, char *buf, size_t size, bool *found);

static int sk__with_buffer(sk__lookup_fn lookup, void *ctx, bool *found) {
  for (size_t size = SK_NETDB_BUF_START; size <= SK_NETDB_BUF_MAX; size *= 2) {
    char *buf = malloc(size);
    if (!buf) return ENOMEM;
    int rc = lookup(ctx, buf, size, found);
    free(buf);
    if (rc != ERANGE) return rc;
  }
  return ERANGE;
}

// The result of a lookup: ENOENT (glibc's "no more records") is not found.
static napi_value sk__result(napi_env env, int rc, bool found, napi_value value) {
  if (rc != 0 && rc != ENOENT) return sk_int(env, -rc);
  return found ? value : sk_undefined(env);
}

typedef struct {
  const char *name;
  const char *proto;
  int port;  // network byte order, for getservbyport_r
  int result;
  char result_name[SK_NETDB_NAME_MAX + 1];
} sk__serv_ctx;

static int sk__servbyname(void *p, char *buf, size_t size, bool *found) {
  sk__serv_ctx *c = p;
#ifdef SK_HAVE_GETSERV_R
  struct servent ent, *res = NULL;
  int rc = getservbyname_r(c->name, c->proto, &ent, buf, size, &res);
  *found = rc == 0 && res != NULL;
  if (*found) c->result = ntohs((uint16_t)res->s_port);
  return rc;
#else
  (void)buf;
  (void)size;
  pthread_mutex_lock(&sk__netdb_lock);
  struct servent *res = getservbyname(c->name, c->proto);
  *found = res != NULL;
  if (*found) c->result = ntohs((uint16_t)res->s_port);
  pthread_mutex_unlock(&sk__netdb_lock);
  return 0;
#endif
}

static int sk__servbyport(void *p, char *buf, size_t size, bool *found) {
  sk__serv_ctx *c = p;
#ifdef SK_HAVE_GETSERV_R
  struct servent ent, *res = NULL;
  int rc = getservbyport_r(c->port, c->proto, &ent, buf, size, &res);
#else
  (void)buf;
  (void)size;
  int rc = 0;
  pthread_mutex_lock(&sk__netdb_lock);
  struct servent *res = getservbyport(c->port, c->proto);
#endif
  *found = rc == 0 && res != NULL && res->s_name != NULL;
  if (*found) {
    // Copied out of the scratch buffer (or libc's static entry), which is
    // not ours after return; a name that does not fit our bound is cut at it
    // (no service name comes near).
    strncpy(c->result_name, res->s_name, SK_NETDB_NAME_MAX);
    c->result_name[SK_NETDB_NAME_MAX] = '\0';
  }
#ifndef SK_HAVE_GETSERV_R
  pthread_mutex_unlock(&sk__netdb_lock);
#endif
  return rc;
}

static int sk__protobyname(void *p, char *buf, size_t size, bool *found) {
  sk__serv_ctx *c = p;
#ifdef SK_HAVE_GETPROTOBYNAME_R
  struct protoent ent, *res = NULL;
  int rc = getprotobyname_r(c->name, &ent, buf, size, &res);
  *found = rc == 0 && res != NULL;
  if (*found) c->result = res->p_proto;
  return rc;
#else
  // No reentrant form (musl, macOS): see sk__netdb_lock.
  (void)buf;
  (void)size;
  pthread_mutex_lock(&sk__netdb_lock);
  struct protoent *res = getprotobyname(c->name);
  *found = res != NULL;
  if (*found) c->result = res->p_proto;
  pthread_mutex_unlock(&sk__netdb_lock);
  return 0;
#endif
}

// getservbyname_r(3): (name, proto or null) -> port in host order.
static napi_value sk_getservbyname(napi_env env, napi_callback_info info) {
  sk_args a;
  char name[SK_NETDB_NAME_MAX + 1], proto[SK_NETDB_NAME_MAX + 1];
  sk__serv_ctx c = { 0 };
  if (!sk_args_get(env, info, 1, &a) || !sk__name_arg(&a, 0, false, name, &c.name) ||
      !sk__name_arg(&a, 1, true, proto, &c.proto))
    return NULL;
  bool found = false;
  int rc = sk__with_buffer(sk__servbyname, &c, &found);
  return sk__result(env, rc, found, sk_int(env, c.result));
}

// getservbyport_r(3): (port in host order, proto or null) -> the service's name.
static napi_value sk_getservbyport(napi_env env, napi_callback_info info) {
  sk_args a;
  char proto[SK_NETDB_NAME_MAX + 1];
  int32_t port;
  sk__serv_ctx c = { 0 };
  if (!sk_args_get(env, info, 1, &a) || !sk_arg_int32(&a, 0, &port) || !sk__name_arg(&a, 1, true, proto, &c.proto))
    return NULL;
  if (port < 0 || port > 65535) {
    sk_throw_arg(&a, 0, true, "must be >= 0 && <= 65535");
    return NULL;
  }
  c.port = htons((uint16_t)port);
  bool found = false;
  int rc = sk__with_buffer(sk__servbyport, &c, &found);
  napi_value s = NULL;
  if (rc == 0 && found && napi_create_string_utf8(env, c.result_name, NAPI_AUTO_LENGTH, &s) != napi_ok) return NULL;
  return sk__result(env, rc, found, s);
}

// getprotobyname_r(3): name -> protocol number.
static napi_value sk_getprotobyname(napi_env env, napi_callback_info info) {
  sk_args a;
  char name[SK_NETDB_NAME_MAX + 1];
  sk__serv_ctx c = { 0 };
  if (!sk_args_get(env, info, 1, &a) || !sk__name_arg(&a, 0, false, name, &c.name)) return NULL;
  bool found = false;
  int rc = sk__with_buffer(sk__protobyname, &c, &found);
  return sk__result(env, rc, found, sk_int(env, c.result));
}

const sk_export sk_netdb_exports[] = {
  { "getservbyname", sk_getservbyname, "name,proto" },
  { "getservbyport", sk_getservbyport, "port,proto" },
  { "getprotobyname", sk_getprotobyname, "name" },
  { NULL, NULL, NULL },
};
