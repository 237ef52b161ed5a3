// Socket lifecycle: socket, socketpair, bind, listen, accept, connect,
// shutdown, close, getsockname, getpeername and the blocking flag.
#include "berkeley.h"

// socket(2), always close-on-exec; `type` may carry SOCK_NONBLOCK.
static napi_value sk_socket(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t domain, type, protocol;
  if (!sk_args_get(env, info, 3, &a) || !sk_arg_int32(&a, 0, &domain) ||
      !sk_arg_int32(&a, 1, &type) || !sk_arg_int32(&a, 2, &protocol))
    return NULL;
#ifdef SK_HAVE_SOCK_FLAGS
  int fd = socket(domain, type | SOCK_CLOEXEC, protocol);
  if (fd < 0) return sk_int(env, -errno);
#else
  int fd = socket(domain, type, protocol);
  if (fd < 0) return sk_int(env, -errno);
  int rc = sk_set_fd_flags(fd, false);
  if (rc < 0) { close(fd); return sk_int(env, rc); }
#endif
  return sk_int(env, fd);
}

// socketpair(2), both ends close-on-exec; the fds go into scratch results[0], results[1].
static napi_value sk_socketpair(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t domain, type, protocol;
  sk_scratch *s;
  if (!sk_args_get(env, info, 3, &a) || !sk_arg_int32(&a, 0, &domain) ||
      !sk_arg_int32(&a, 1, &type) || !sk_arg_int32(&a, 2, &protocol) || !(s = sk_scratch_of(&a)))
    return NULL;
  int32_t *out = s->results;
  int fds[2];
#ifdef SK_HAVE_SOCK_FLAGS
  if (socketpair(domain, type | SOCK_CLOEXEC, protocol, fds) < 0) return sk_int(env, -errno);
#else
  if (socketpair(domain, type, protocol, fds) < 0) return sk_int(env, -errno);
  int rc = sk_set_fd_flags(fds[0], false);
  if (rc == 0) rc = sk_set_fd_flags(fds[1], false);
  if (rc < 0) { close(fds[0]); close(fds[1]); return sk_int(env, rc); }
#endif
  out[0] = fds[0];
  out[1] = fds[1];
  return sk_int(env, 0);
}

// bind(2)
static napi_value sk_bind(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd;
  struct sockaddr *sa;
  socklen_t len;
  if (!sk_args_get(env, info, 3, &a) || !sk_arg_int32(&a, 0, &fd) ||
      !sk_arg_sockaddr_in(&a, 1, &sa, &len))
    return NULL;
  if (!sa) { sk_throw_arg(&a, 1, false, "must be a Uint8Array"); return NULL; }
  SK_RETRY(int, rc, bind(fd, sa, len));
  return sk_int(env, rc);
}

// listen(2)
static napi_value sk_listen(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd, backlog;
  if (!sk_args_get(env, info, 2, &a) || !sk_arg_int32(&a, 0, &fd) || !sk_arg_int32(&a, 1, &backlog))
    return NULL;
  int rc = listen(fd, backlog);
  return sk_int(env, rc < 0 ? -errno : 0);
}

// accept4(2) with SOCK_CLOEXEC (plus the caller's flags, e.g. SOCK_NONBLOCK);
// the peer address goes into the scratch sockaddr, its length into results[0].
static napi_value sk_accept(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd, flags;
  sk_scratch *s;
  if (!sk_args_get(env, info, 2, &a) || !sk_arg_int32(&a, 0, &fd) || !sk_arg_int32(&a, 1, &flags) ||
      !(s = sk_scratch_of(&a)))
    return NULL;
  struct sockaddr *sa = (struct sockaddr *)s->sockaddr;
  int32_t *out = s->results;
  socklen_t len = sizeof(struct sockaddr_storage);
#ifdef SK_HAVE_ACCEPT4
  SK_RETRY(int, cfd, accept4(fd, sa, &len, flags | SOCK_CLOEXEC));
#else
  SK_RETRY(int, cfd, accept(fd, sa, &len));
  if (cfd >= 0) {
    int rc = sk_set_fd_flags(cfd, (flags & SK_SOCK_NONBLOCK) != 0);
    if (rc < 0) { close(cfd); cfd = rc; }
  }
#endif
  out[0] = cfd >= 0 ? (int32_t)len : 0;
  return sk_int(env, cfd);
}

// connect(2). An interrupted connect goes on in the kernel and must not be
// restarted: a blocking socket waits for it to finish, a non-blocking one
// reports EINPROGRESS as it would have anyway.
static napi_value sk_connect(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd;
  struct sockaddr *sa;
  socklen_t len;
  if (!sk_args_get(env, info, 3, &a) || !sk_arg_int32(&a, 0, &fd) ||
      !sk_arg_sockaddr_in(&a, 1, &sa, &len))
    return NULL;
  if (!sa) { sk_throw_arg(&a, 1, false, "must be a Uint8Array"); return NULL; }
  if (connect(fd, sa, len) == 0) return sk_int(env, 0);
  if (errno != EINTR) return sk_int(env, -errno);
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0 && (fl & O_NONBLOCK)) return sk_int(env, -EINPROGRESS);
  struct pollfd p = { .fd = fd, .events = POLLOUT };
  int n;
  do { n = poll(&p, 1, -1); } while (n < 0 && errno == EINTR);
  if (n < 0) return sk_int(env, -errno);
  int err = 0;
  socklen_t elen = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0) return sk_int(env, -errno);
  return sk_int(env, -err);
}

// shutdown(2)
static napi_value sk_shutdown(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd, how;
  if (!sk_args_get(env, info, 2, &a) || !sk_arg_int32(&a, 0, &fd) || !sk_arg_int32(&a, 1, &how))
    return NULL;
  return sk_int(env, shutdown(fd, how) < 0 ? -errno : 0);
}

// close(2). Never retried: on Linux the fd is gone even when EINTR is reported,
// and retrying could close a number another thread was just handed.
static napi_value sk_close(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd;
  if (!sk_args_get(env, info, 1, &a) || !sk_arg_int32(&a, 0, &fd)) return NULL;
  int rc = close(fd);
  return sk_int(env, rc < 0 && errno != EINTR ? -errno : 0);
}

typedef int (*sk__name_fn)(int, struct sockaddr *, socklen_t *);

static napi_value sk__name(napi_env env, napi_callback_info info, sk__name_fn fn) {
  sk_args a;
  int32_t fd;
  sk_scratch *s;
  if (!sk_args_get(env, info, 1, &a) || !sk_arg_int32(&a, 0, &fd) || !(s = sk_scratch_of(&a))) return NULL;
  struct sockaddr *sa = (struct sockaddr *)s->sockaddr;
  int32_t *out = s->results;
  socklen_t len = sizeof(struct sockaddr_storage);
  if (fn(fd, sa, &len) < 0) return sk_int(env, -errno);
  out[0] = (int32_t)(len > sizeof(struct sockaddr_storage) ? sizeof(struct sockaddr_storage) : len);
  return sk_int(env, 0);
}

// getsockname(2); the address length goes into out[0].
static napi_value sk_getsockname(napi_env env, napi_callback_info info) {
  return sk__name(env, info, getsockname);
}

// getpeername(2); the address length goes into out[0].
static napi_value sk_getpeername(napi_env env, napi_callback_info info) {
  return sk__name(env, info, getpeername);
}

// fcntl(F_SETFL) toggling O_NONBLOCK.
static napi_value sk_setblocking(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd;
  bool blocking;
  if (!sk_args_get(env, info, 2, &a) || !sk_arg_int32(&a, 0, &fd) || !sk_arg_bool(&a, 1, &blocking))
    return NULL;
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) return sk_int(env, -errno);
  int nfl = blocking ? (fl & ~O_NONBLOCK) : (fl | O_NONBLOCK);
  if (nfl != fl && fcntl(fd, F_SETFL, nfl) < 0) return sk_int(env, -errno);
  return sk_int(env, 0);
}

// fcntl(F_GETFL) and fcntl(F_GETFD) packed: bit 0 = O_NONBLOCK, bit 1 = FD_CLOEXEC.
static napi_value sk_fdflags(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd;
  if (!sk_args_get(env, info, 1, &a) || !sk_arg_int32(&a, 0, &fd)) return NULL;
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) return sk_int(env, -errno);
  int fdf = fcntl(fd, F_GETFD);
  if (fdf < 0) return sk_int(env, -errno);
  return sk_int(env, ((fl & O_NONBLOCK) ? 1 : 0) | ((fdf & FD_CLOEXEC) ? 2 : 0));
}

// fcntl(F_DUPFD_CLOEXEC): a close-on-exec duplicate (used to adopt Node's fds).
static napi_value sk_dup(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd;
  if (!sk_args_get(env, info, 1, &a) || !sk_arg_int32(&a, 0, &fd)) return NULL;
  int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  return sk_int(env, nfd < 0 ? -errno : nfd);
}

// fcntl(F_SETFD) setting or clearing FD_CLOEXEC (a socket handed to a child on purpose).
static napi_value sk_setcloexec(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd;
  bool on;
  if (!sk_args_get(env, info, 2, &a) || !sk_arg_int32(&a, 0, &fd) || !sk_arg_bool(&a, 1, &on)) return NULL;
  int fdf = fcntl(fd, F_GETFD);
  if (fdf < 0) return sk_int(env, -errno);
  int nfdf = on ? (fdf | FD_CLOEXEC) : (fdf & ~FD_CLOEXEC);
  if (nfdf != fdf && fcntl(fd, F_SETFD, nfdf) < 0) return sk_int(env, -errno);
  return sk_int(env, 0);
}

const sk_export sk_socket_exports[] = {
  { "socket", sk_socket, "domain,type,protocol" },
  { "socketpair", sk_socketpair, "domain,type,protocol" },
  { "bind", sk_bind, "fd,addr,addrlen" },
  { "listen", sk_listen, "fd,backlog" },
  { "accept", sk_accept, "fd,flags" },
  { "connect", sk_connect, "fd,addr,addrlen" },
  { "shutdown", sk_shutdown, "fd,how" },
  { "close", sk_close, "fd" },
  { "getsockname", sk_getsockname, "fd" },
  { "getpeername", sk_getpeername, "fd" },
  { "setblocking", sk_setblocking, "fd,blocking" },
  { "fdflags", sk_fdflags, "fd" },
  { "dup", sk_dup, "fd" },
  { "setcloexec", sk_setcloexec, "fd,on" },
  { NULL, NULL },
};
