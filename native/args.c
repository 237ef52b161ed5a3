// Argument checking for every exported function. The TypeScript layer already
// validates user input; these checks make the addon safe on its own (it never
// trusts a length or an index it is handed).
#include <string.h>
#include "berkeley.h"

void sk_throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
}

void sk_throw_range(napi_env env, const char *msg) {
  napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
}

bool sk_args_get(napi_env env, napi_callback_info info, size_t min, sk_args *a) {
  a->env = env;
  a->argc = SK_MAX_ARGS;
  if (napi_get_cb_info(env, info, &a->argc, a->argv, NULL, NULL) != napi_ok) return false;
  if (a->argc < min) {
    sk_throw_type(env, "native call: too few arguments");
    return false;
  }
  return true;
}

static bool sk__number(sk_args *a, size_t i, double *out) {
  napi_valuetype t;
  if (i >= a->argc || napi_typeof(a->env, a->argv[i], &t) != napi_ok || t != napi_number) {
    sk_throw_type(a->env, "native call: expected a number");
    return false;
  }
  napi_get_value_double(a->env, a->argv[i], out);
  return true;
}

bool sk_arg_int32(sk_args *a, size_t i, int32_t *out) {
  double d;
  if (!sk__number(a, i, &d)) return false;
  if (!(d >= INT32_MIN && d <= INT32_MAX) || d != (double)(int32_t)d) {
    sk_throw_range(a->env, "native call: expected a 32-bit integer");
    return false;
  }
  *out = (int32_t)d;
  return true;
}

bool sk_arg_uint32(sk_args *a, size_t i, uint32_t *out) {
  double d;
  if (!sk__number(a, i, &d)) return false;
  if (!(d >= 0 && d <= UINT32_MAX) || d != (double)(uint32_t)d) {
    sk_throw_range(a->env, "native call: expected an unsigned 32-bit integer");
    return false;
  }
  *out = (uint32_t)d;
  return true;
}

bool sk_arg_int64(sk_args *a, size_t i, int64_t *out) {
  double d;
  if (!sk__number(a, i, &d)) return false;
  if (!(d >= -9007199254740991.0 && d <= 9007199254740991.0) || d != (double)(int64_t)d) {
    sk_throw_range(a->env, "native call: expected a safe integer");
    return false;
  }
  *out = (int64_t)d;
  return true;
}

bool sk_arg_bool(sk_args *a, size_t i, bool *out) {
  if (i >= a->argc || napi_get_value_bool(a->env, a->argv[i], out) != napi_ok) {
    sk_throw_type(a->env, "native call: expected a boolean");
    return false;
  }
  return true;
}

bool sk_arg_bytes(sk_args *a, size_t i, bool nullable, uint8_t **data, size_t *len) {
  *data = NULL;
  *len = 0;
  if (i >= a->argc) {
    if (nullable) return true;
    sk_throw_type(a->env, "native call: expected a Uint8Array");
    return false;
  }
  napi_valuetype t;
  napi_typeof(a->env, a->argv[i], &t);
  if (nullable && (t == napi_null || t == napi_undefined)) return true;
  bool is_ta = false;
  napi_is_typedarray(a->env, a->argv[i], &is_ta);
  if (is_ta) {
    napi_typedarray_type tt;
    void *p;
    size_t n;
    if (napi_get_typedarray_info(a->env, a->argv[i], &tt, &n, &p, NULL, NULL) == napi_ok &&
        (tt == napi_uint8_array || tt == napi_int8_array || tt == napi_uint8_clamped_array)) {
      // An empty or detached array may report a NULL data pointer.
      static uint8_t empty;
      *data = p ? (uint8_t *)p : &empty;
      *len = n;
      return true;
    }
  }
  sk_throw_type(a->env, "native call: expected a Uint8Array");
  return false;
}

bool sk_arg_region(sk_args *a, size_t i, uint8_t **data, size_t *len) {
  uint8_t *base;
  size_t size;
  int64_t off, n;
  if (!sk_arg_bytes(a, i, false, &base, &size)) return false;
  if (!sk_arg_int64(a, i + 1, &off) || !sk_arg_int64(a, i + 2, &n)) return false;
  if (off < 0 || n < 0 || (uint64_t)off > size || (uint64_t)n > size - (uint64_t)off) {
    sk_throw_range(a->env, "native call: region outside the buffer");
    return false;
  }
  *data = base + off;
  *len = (size_t)n;
  return true;
}

bool sk_arg_sockaddr_out(sk_args *a, size_t i, struct sockaddr **sa) {
  uint8_t *p;
  size_t n;
  if (!sk_arg_bytes(a, i, false, &p, &n)) return false;
  if (n < sizeof(struct sockaddr_storage)) {
    sk_throw_range(a->env, "native call: sockaddr buffer too small");
    return false;
  }
  *sa = (struct sockaddr *)p;
  return true;
}

bool sk_arg_sockaddr_in(sk_args *a, size_t i, struct sockaddr **sa, socklen_t *len) {
  uint8_t *p;
  size_t n;
  uint32_t l;
  if (!sk_arg_bytes(a, i, true, &p, &n) || !sk_arg_uint32(a, i + 1, &l)) return false;
  if (l > n || (p != NULL && sk_sockaddr_check(p, l) < 0)) {
    sk_throw_range(a->env, "native call: bad sockaddr length");
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
  sk_throw_type(a->env, "native call: expected an Int32Array");
  return false;
}

bool sk_arg_string(sk_args *a, size_t i, char *buf, size_t size, size_t *len) {
  size_t n = 0;
  if (i >= a->argc || napi_get_value_string_utf8(a->env, a->argv[i], NULL, 0, &n) != napi_ok) {
    sk_throw_type(a->env, "native call: expected a string");
    return false;
  }
  if (n + 1 > size) {
    sk_throw_range(a->env, "native call: string too long");
    return false;
  }
  napi_get_value_string_utf8(a->env, a->argv[i], buf, size, &n);
  if (len) *len = n;
  return true;
}

napi_value sk_int(napi_env env, int64_t v) {
  napi_value r;
  napi_create_int64(env, v, &r);
  return r;
}

napi_value sk_undefined(napi_env env) {
  napi_value r;
  napi_get_undefined(env, &r);
  return r;
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
