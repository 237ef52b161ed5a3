// Shared declarations of the native core: argument helpers and the export
// tables of each concern. Every exported function wraps one system call,
// returns its result or -errno, and holds no policy.
#ifndef BERKELEY_H
#define BERKELEY_H

#include "compat.h"  // first: it sets _GNU_SOURCE before any system header
#include "codec.h"
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Retries a system call expression while it fails with EINTR; yields the
// result or -errno.
#define SK_RETRY(type, var, expr) \
  type var;                       \
  do { var = (expr); } while (var < 0 && errno == EINTR); \
  if (var < 0) var = -errno

#define SK_MAX_ARGS 10

typedef struct {
  napi_env env;
  size_t argc;
  napi_value argv[SK_MAX_ARGS];
  const char *fn;     // the exported name, for error messages
  const char *names;  // its argument names, comma-separated (may be NULL)
} sk_args;

typedef struct {
  const char *name;
  napi_callback fn;
  const char *args;   // argument names, comma-separated, for error messages
} sk_export;

// Parses the call's arguments; throws a TypeError and returns false when fewer
// than `min` were passed.
bool sk_args_get(napi_env env, napi_callback_info info, size_t min, sk_args *a);
bool sk_arg_int32(sk_args *a, size_t i, int32_t *out);
bool sk_arg_uint32(sk_args *a, size_t i, uint32_t *out);
bool sk_arg_int64(sk_args *a, size_t i, int64_t *out);
bool sk_arg_bool(sk_args *a, size_t i, bool *out);
// A Uint8Array (or Buffer); with `nullable`, null/undefined give NULL and 0.
bool sk_arg_bytes(sk_args *a, size_t i, bool nullable, uint8_t **data, size_t *len);
// Element k of the array argument i, as sk_arg_bytes (the caller checked it is an array).
bool sk_arg_element_bytes(sk_args *a, size_t i, uint32_t k, bool nullable, uint8_t **data, size_t *len);
// A region [off, off+len) of a Uint8Array passed as three arguments i, i+1, i+2;
// throws RangeError when the region does not lie inside the array.
bool sk_arg_region(sk_args *a, size_t i, uint8_t **data, size_t *len);
// A sockaddr given as bytes plus a length, both checked.
bool sk_arg_sockaddr_in(sk_args *a, size_t i, struct sockaddr **sa, socklen_t *len);
// An Int32Array of at least `min` elements for results returned by reference.
bool sk_arg_int32_array(sk_args *a, size_t i, size_t min, int32_t **data);
// A string copied into buf (NUL-terminated); throws RangeError if it does not fit.
bool sk_arg_string(sk_args *a, size_t i, char *buf, size_t size, size_t *len);

// The per-environment scratch (scratch.c): what calls return by reference.
#define SK_RESULTS 4             // [0] address or value length, [1] control length / second fd, [2] msg_flags
#define SK_ARGS 4                // the integers of a call that takes no N-API arguments (getsockopt)
#define SK_OPTION_MAX 65536      // the largest option value read
#define SK_DATA_MAX 32768        // the largest read into the data scratch (TypeScript copies it out at once)
typedef struct {
  napi_env env;
  napi_ref ref;
  uint8_t *sockaddr;             // a struct sockaddr_storage
  int32_t *results;              // SK_RESULTS counts
  int32_t *args;                 // SK_ARGS integers, written by TypeScript just before the call
  uint8_t *option;               // SK_OPTION_MAX bytes
  uint8_t *data;                 // SK_DATA_MAX bytes
} sk_scratch;
napi_value sk_scratch_init(napi_env env);
// The calling environment's scratch, or NULL after throwing.
sk_scratch *sk_scratch_of(sk_args *a);
sk_scratch *sk_scratch_env(napi_env env);

napi_value sk_int(napi_env env, int64_t v);
napi_value sk_undefined(napi_env env);
void sk_throw_type(napi_env env, const char *msg);
void sk_throw_range(napi_env env, const char *msg);
// A TypeError (range false) or RangeError naming the function and argument i.
void sk_throw_arg(sk_args *a, size_t i, bool range, const char *what);

// Sets close-on-exec (and non-blocking when asked) on an fd made by a call that
// cannot take flags itself.
int sk_set_fd_flags(int fd, bool nonblock);

// Whether a receive on `fd` refuses MSG_CMSG_CLOEXEC with EINVAL and carries
// no fds (AF_PACKET): only then is it asked again without the flag. Any
// other EINVAL stands, so no socket ever receives an fd without
// close-on-exec.
bool sk_refuses_cmsg_cloexec(int fd);

extern const sk_export sk_socket_exports[];
extern const sk_export sk_io_exports[];
extern const sk_export sk_sockopt_exports[];
extern const sk_export sk_resolver_exports[];
extern const sk_export sk_readiness_exports[];   // readiness.c
extern const sk_export sk_wait_exports[];
extern const sk_export sk_mmsg_exports[];
extern const sk_export sk_netdb_exports[];  // netdb.c
extern const sk_export sk_file_exports[];   // file.c
extern const sk_export sk_capture_exports[];  // capture.c

napi_value sk_constants(napi_env env);
napi_value sk_layout(napi_env env);
napi_value sk_features(napi_env env);
napi_value sk_tcp_info_layout(napi_env env);  // tcpinfo.c
bool sk_readiness_init(napi_env env, napi_value exports);  // readiness.c

#endif
