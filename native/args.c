// Argument checking for every exported function. The TypeScript layer already
// validates user input; these checks make the addon safe on its own (it never
// trusts a length or an index it is handed).
//
// Every error names the function and the argument: "send: argument 2 (buf)
// must be a Uint8Array". The export tables give each function's argument
// names (sk_export.args); addon.c hands the entry to each call as its data.
#include <stdio.h>
#include <string.h>
#include "berkeley.h"

void sk_throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
}

void sk_throw_range(napi_env env, const char *msg) {
  napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
}

// Copies the name of argument i (0-based) out of the comma-separated list,
// or "" when the list does not have it.
static void sk__arg_name(const char *list, size_t i, char *buf, size_t size) {
  buf[0] = 0;
  for (; list && i > 0; i--) {
    list = strchr(list, ',');
    if (list) list++;
  }
  if (!list) return;
  size_t n = strcspn(list, ",");
  if (n >= size) n = size - 1;
  memcpy(buf, list, n);
  buf[n] = 0;
}

// Throws a TypeError (ERR_INVALID_ARG_TYPE) or RangeError (ERR_OUT_OF_RANGE)
// about argument i: "<function>: argument <i+1> (<name>) <what>".
void sk_throw_arg(sk_args *a, size_t i, bool range, const char *what) {
  char name[32], msg[192];
  sk__arg_name(a->names, i, name, sizeof name);
  snprintf(msg, sizeof msg, "%s: argument %zu%s%s%s %s", a->fn ? a->fn : "native call", i + 1,
           name[0] ? " (" : "", name, name[0] ? ")" : "", what);
  if (range) sk_throw_range(a->env, msg);
  else sk_throw_type(a->env, msg);
}

bool sk_args_get(napi_env env, napi_callback_info info, size_t min, sk_args *a) {
  void *data = NULL;
  a->env = env;
  a->argc = SK_MAX_ARGS;
  a->fn = NULL;
  a->names = NULL;
  if (napi_get_cb_info(env, info, &a->argc, a->argv, NULL, &data) != napi_ok) return false;
  if (data) {
    const sk_export *e = data;
    a->fn = e->name;
    a->names = e->args;
  }
  if (a->argc < min) {
    char msg[192];
    snprintf(msg, sizeof msg, "%s: %zu arguments expected%s%s%s, %zu given", a->fn ? a->fn : "native call", min,
             a->names ? " (" : "", a->names ? a->names : "", a->names ? ")" : "", a->argc);
    sk_throw_type(env, msg);
    return false;
  }
  return true;
}

// One call per number: napi_get_value_double itself refuses a non-number
// (napi_number_expected), so no napi_typeof first.
static bool sk__number(sk_args *a, size_t i, double *out) {
  if (i >= a->argc || napi_get_value_double(a->env, a->argv[i], out) != napi_ok) {
    sk_throw_arg(a, i, false, "must be a number");
    return false;
  }
  return true;
}

bool sk_arg_int32(sk_args *a, size_t i, int32_t *out) {
  double d;
  if (!sk__number(a, i, &d)) return false;
  if (!(d >= INT32_MIN && d <= INT32_MAX) || d != (double)(int32_t)d) {
    sk_throw_arg(a, i, true, "must be a 32-bit integer");
    return false;
  }
  *out = (int32_t)d;
  return true;
}

bool sk_arg_uint32(sk_args *a, size_t i, uint32_t *out) {
  double d;
  if (!sk__number(a, i, &d)) return false;
  if (!(d >= 0 && d <= UINT32_MAX) || d != (double)(uint32_t)d) {
    sk_throw_arg(a, i, true, "must be an unsigned 32-bit integer");
    return false;
  }
  *out = (uint32_t)d;
  return true;
}

bool sk_arg_int64(sk_args *a, size_t i, int64_t *out) {
  double d;
  if (!sk__number(a, i, &d)) return false;
  if (!(d >= -9007199254740991.0 && d <= 9007199254740991.0) || d != (double)(int64_t)d) {
    sk_throw_arg(a, i, true, "must be a safe integer");
    return false;
  }
  *out = (int64_t)d;
  return true;
}

bool sk_arg_bool(sk_args *a, size_t i, bool *out) {
  if (i >= a->argc || napi_get_value_bool(a->env, a->argv[i], out) != napi_ok) {
    sk_throw_arg(a, i, false, "must be a boolean");
    return false;
  }
  return true;
}

// The bytes of a Uint8Array-like value, without throwing; false when it is not one.
static bool sk__bytes(napi_env env, napi_value v, bool nullable, uint8_t **data, size_t *len) {
  *data = NULL;
  *len = 0;
  if (nullable) {
    napi_valuetype t;
    if (napi_typeof(env, v, &t) != napi_ok) return false;
    if (t == napi_null || t == napi_undefined) return true;
  }
  bool is_ta = false;
  napi_is_typedarray(env, v, &is_ta);
  if (!is_ta) return false;
  napi_typedarray_type tt;
  void *p;
  size_t n;
  if (napi_get_typedarray_info(env, v, &tt, &n, &p, NULL, NULL) != napi_ok ||
      (tt != napi_uint8_array && tt != napi_int8_array && tt != napi_uint8_clamped_array))
    return false;
  // An empty or detached array may report a NULL data pointer.
  static uint8_t empty;
  *data = p ? (uint8_t *)p : &empty;
  *len = n;
  return true;
}

bool sk_arg_bytes(sk_args *a, size_t i, bool nullable, uint8_t **data, size_t *len) {
  *data = NULL;
  *len = 0;
  if (i >= a->argc) {
    if (nullable) return true;
  } else if (sk__bytes(a->env, a->argv[i], nullable, data, len)) {
    return true;
  }
  sk_throw_arg(a, i, false, nullable ? "must be a Uint8Array or null" : "must be a Uint8Array");
  return false;
}

bool sk_arg_element_bytes(sk_args *a, size_t i, uint32_t k, bool nullable, uint8_t **data, size_t *len) {
  napi_value v;
  if (napi_get_element(a->env, a->argv[i], k, &v) == napi_ok && sk__bytes(a->env, v, nullable, data, len)) return true;
  char what[64];
  snprintf(what, sizeof what, "element %u must be a Uint8Array%s", k, nullable ? " or null" : "");
  sk_throw_arg(a, i, false, what);
  return false;
}

bool sk_arg_region(sk_args *a, size_t i, uint8_t **data, size_t *len) {
  uint8_t *base;
  size_t size;
  int64_t off, n;
  if (!sk_arg_bytes(a, i, false, &base, &size)) return false;
  if (!sk_arg_int64(a, i + 1, &off) || !sk_arg_int64(a, i + 2, &n)) return false;
  if (off < 0 || n < 0 || (uint64_t)off > size || (uint64_t)n > size - (uint64_t)off) {
    char buf[32], off_name[32], len_name[32], what[128];
    sk__arg_name(a->names, i, buf, sizeof buf);
    sk__arg_name(a->names, i + 1, off_name, sizeof off_name);
    sk__arg_name(a->names, i + 2, len_name, sizeof len_name);
    snprintf(what, sizeof what, "and argument %zu (%s) must give a region inside argument %zu (%s)", i + 3, len_name,
             i + 1, buf);
    sk_throw_arg(a, i + 1, true, what);
    return false;
  }
  *data = base + off;
  *len = (size_t)n;
  return true;
}

bool sk_arg_sockaddr_in(sk_args *a, size_t i, struct sockaddr **sa, socklen_t *len) {
  uint8_t *p;
  size_t n;
  uint32_t l;
  if (!sk_arg_bytes(a, i, true, &p, &n) || !sk_arg_uint32(a, i + 1, &l)) return false;
  if (l > n || (p != NULL && sk_sockaddr_check(p, l) < 0)) {
    sk_throw_arg(a, i + 1, true, "must be a valid sockaddr length for the address before it");
    return false;
  }
  *sa = p ? (struct sockaddr *)p : NULL;
  *len = p ? (socklen_t)l : 0;
  return true;
}

bool sk_arg_int32_array(sk_args *a, size_t i, size_t min, int32_t **data) {
  bool is_ta = false;
  if (i < a->argc) napi_is_typedarray(a->env, a->argv[i], &is_ta);
  if (is_ta) {
    napi_typedarray_type tt;
    size_t n;
    void *p;
    napi_get_typedarray_info(a->env, a->argv[i], &tt, &n, &p, NULL, NULL);
    if (tt == napi_int32_array && n >= min) {
      *data = (int32_t *)p;
      return true;
    }
  }
  sk_throw_arg(a, i, false, min > 1 ? "must be an Int32Array of enough elements" : "must be an Int32Array");
  return false;
}

bool sk_arg_string(sk_args *a, size_t i, char *buf, size_t size, size_t *len) {
  size_t n = 0;
  if (i >= a->argc || napi_get_value_string_utf8(a->env, a->argv[i], NULL, 0, &n) != napi_ok) {
    sk_throw_arg(a, i, false, "must be a string");
    return false;
  }
  if (n + 1 > size) {
    sk_throw_arg(a, i, true, "is too long");
    return false;
  }
  napi_get_value_string_utf8(a->env, a->argv[i], buf, size, &n);
  if (len) *len = n;
  return true;
}

napi_value sk_int(napi_env env, int64_t v) {
  napi_value r;
  // Most results (fds, counts, -errno) fit an int32: a small integer, no heap number.
  if (v >= INT32_MIN && v <= INT32_MAX) napi_create_int32(env, (int32_t)v, &r);
  else napi_create_int64(env, v, &r);
  return r;
}

napi_value sk_undefined(napi_env env) {
  napi_value r;
  napi_get_undefined(env, &r);
  return r;
}

bool sk_refuses_cmsg_cloexec(int fd) {
#if defined(SO_DOMAIN) && defined(AF_PACKET)
  int domain = 0;
  socklen_t len = sizeof domain;
  return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain == AF_PACKET;
#else
  (void)fd;
  return false;
#endif
}

int sk_set_fd_flags(int fd, bool nonblock) {
  int fdf = fcntl(fd, F_GETFD);
  if (fdf < 0 || fcntl(fd, F_SETFD, fdf | FD_CLOEXEC) < 0) return -errno;
  if (nonblock) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return -errno;
  }
  return 0;
}
