// Socket options as raw bytes. Values are encoded and decoded in TypeScript
// from a table (int, bool, linger, timeval, mreq, ...) using the struct sizes
// the addon exports; here only the lengths are checked.
#include <string.h>
#include "berkeley.h"

// getsockopt(2): () -> 0 or -errno, of (fd, level, name, size) in the
// scratch's args: an option read is a small system call, and four N-API
// number arguments were 35-40 ns of it. The value lands in the scratch
// option buffer (its first `size` bytes zeroed first, so a shorter value
// reads as zero-extended), its length in results[0].
static napi_value sk_getsockopt(napi_env env, napi_callback_info info) {
  (void)info;
  sk_scratch *s = sk_scratch_env(env);
  if (!s) return NULL;
  int32_t fd = s->args[0], level = s->args[1], name = s->args[2];
  uint32_t n = (uint32_t)s->args[3];
  if (n > SK_OPTION_MAX) { sk_throw_range(env, "getsockopt: size (scratch.args[3]) must be at most 65536"); return NULL; }
  memset(s->option, 0, n);
  socklen_t len = (socklen_t)n;
  if (getsockopt(fd, level, name, s->option, &len) < 0) return sk_int(env, -errno);
  s->results[0] = (int32_t)(len > n ? n : len);
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
  { "getsockopt", sk_getsockopt, "" },
  { "setsockopt", sk_setsockopt, "fd,level,name,buf" },
  { NULL, NULL },
};
