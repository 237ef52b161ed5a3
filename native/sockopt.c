// Socket options as raw bytes. Values are encoded and decoded in TypeScript
// from a table (int, bool, linger, timeval, mreq, ...) using the struct sizes
// the addon exports; here only the lengths are checked.
#include "berkeley.h"

// getsockopt(2): (fd, level, name, buffer, out) -> 0 or -errno; out[0] = length.
static napi_value sk_getsockopt(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd, level, name, *out;
  uint8_t *p;
  size_t n;
  if (!sk_args_get(env, info, 5, &a) || !sk_arg_int32(&a, 0, &fd) || !sk_arg_int32(&a, 1, &level) ||
      !sk_arg_int32(&a, 2, &name) || !sk_arg_bytes(&a, 3, false, &p, &n) ||
      !sk_arg_int32_array(&a, 4, 1, &out))
    return NULL;
  if (n > 65536) { sk_throw_arg(&a, 3, true, "must be at most 65536 bytes"); return NULL; }
  socklen_t len = (socklen_t)n;
  if (getsockopt(fd, level, name, p, &len) < 0) return sk_int(env, -errno);
  out[0] = (int32_t)(len > n ? n : len);
  return sk_int(env, 0);
}

// setsockopt(2): (fd, level, name, buffer) -> 0 or -errno.
static napi_value sk_setsockopt(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd, level, name;
  uint8_t *p;
  size_t n;
  if (!sk_args_get(env, info, 4, &a) || !sk_arg_int32(&a, 0, &fd) || !sk_arg_int32(&a, 1, &level) ||
      !sk_arg_int32(&a, 2, &name) || !sk_arg_bytes(&a, 3, false, &p, &n))
    return NULL;
  if (n > 65536) { sk_throw_arg(&a, 3, true, "must be at most 65536 bytes"); return NULL; }
  if (setsockopt(fd, level, name, n ? p : NULL, (socklen_t)n) < 0) return sk_int(env, -errno);
  return sk_int(env, 0);
}

const sk_export sk_sockopt_exports[] = {
  { "getsockopt", sk_getsockopt, "fd,level,name,buf,out" },
  { "setsockopt", sk_setsockopt, "fd,level,name,buf" },
  { NULL, NULL },
};
