// Data transfer: send, recv, sendto, recvfrom, sendmsg, recvmsg (into one
// buffer or scattered). Data always moves through caller-owned buffers
// (buffer, offset, length); nothing is allocated per call. Sends always
// carry MSG_NOSIGNAL, receives of control data always MSG_CMSG_CLOEXEC.
#include <limits.h>
#include <string.h>
#include <sys/uio.h>
#include "berkeley.h"

// send(2): (fd, buffer, offset, length, flags) -> bytes sent or -errno.
static napi_value sk_send(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd, flags;
  uint8_t *p;
  size_t n;
  if (!sk_args_get(env, info, 5, &a) || !sk_arg_int32(&a, 0, &fd) || !sk_arg_region(&a, 1, &p, &n) ||
      !sk_arg_int32(&a, 4, &flags))
    return NULL;
  SK_RETRY(ssize_t, rc, send(fd, p, n, flags | SK_MSG_NOSIGNAL));
  return sk_int(env, rc);
}

// recv(2): (fd, buffer, offset, length, flags) -> bytes received or -errno.
static napi_value sk_recv(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd, flags;
  uint8_t *p;
  size_t n;
  if (!sk_args_get(env, info, 5, &a) || !sk_arg_int32(&a, 0, &fd) || !sk_arg_region(&a, 1, &p, &n) ||
      !sk_arg_int32(&a, 4, &flags))
    return NULL;
  SK_RETRY(ssize_t, rc, recv(fd, p, n, flags));
  return sk_int(env, rc);
}

// sendto(2): (fd, buffer, offset, length, flags, addr, addrlen) -> bytes or -errno.
static napi_value sk_sendto(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd, flags;
  uint8_t *p;
  size_t n;
  struct sockaddr *sa;
  socklen_t len;
  if (!sk_args_get(env, info, 7, &a) || !sk_arg_int32(&a, 0, &fd) || !sk_arg_region(&a, 1, &p, &n) ||
      !sk_arg_int32(&a, 4, &flags) || !sk_arg_sockaddr_in(&a, 5, &sa, &len))
    return NULL;
  SK_RETRY(ssize_t, rc, sendto(fd, p, n, flags | SK_MSG_NOSIGNAL, sa, len));
  return sk_int(env, rc);
}

// recvfrom(2): (fd, buffer, offset, length, flags, addr, out) -> bytes or -errno;
// out[0] = address length (0 when the peer is unnamed).
static napi_value sk_recvfrom(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd, flags, *out;
  uint8_t *p;
  size_t n;
  struct sockaddr *sa;
  if (!sk_args_get(env, info, 7, &a) || !sk_arg_int32(&a, 0, &fd) || !sk_arg_region(&a, 1, &p, &n) ||
      !sk_arg_int32(&a, 4, &flags) || !sk_arg_sockaddr_out(&a, 5, &sa) ||
      !sk_arg_int32_array(&a, 6, 1, &out))
    return NULL;
  socklen_t len = sizeof(struct sockaddr_storage);
  SK_RETRY(ssize_t, rc, recvfrom(fd, p, n, flags, sa, &len));
  out[0] = rc >= 0 ? (int32_t)(len > sizeof(struct sockaddr_storage) ? sizeof(struct sockaddr_storage) : len) : 0;
  return sk_int(env, rc);
}

// Fills iov from a Uint8Array or an array of them; returns the count or -1
// after throwing.
static int sk__gather(sk_args *a, size_t i, struct iovec *iov) {
  bool is_array = false;
  napi_is_array(a->env, a->argv[i], &is_array);
  if (!is_array) {
    uint8_t *p;
    size_t n;
    if (!sk_arg_bytes(a, i, false, &p, &n)) return -1;
    iov[0].iov_base = p;
    iov[0].iov_len = n;
    return 1;
  }
  uint32_t count;
  napi_get_array_length(a->env, a->argv[i], &count);
  if (count > IOV_MAX) {
    sk_throw_arg(a, i, true, "has more buffers than one call gathers (IOV_MAX)");
    return -1;
  }
  for (uint32_t k = 0; k < count; k++) {
    uint8_t *p;
    size_t n;
    if (!sk_arg_element_bytes(a, i, k, false, &p, &n)) return -1;
    iov[k].iov_base = p;
    iov[k].iov_len = n;
  }
  return (int)count;
}

// sendmsg(2): (fd, data | data[], addr, addrlen, control, flags) -> bytes or -errno.
// `control` is a ready-made cmsg buffer (built in TypeScript with the layout
// the addon exports) or null.
static napi_value sk_sendmsg(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd, flags;
  struct sockaddr *sa;
  socklen_t salen;
  uint8_t *ctl;
  size_t ctllen;
  if (!sk_args_get(env, info, 6, &a) || !sk_arg_int32(&a, 0, &fd) ||
      !sk_arg_sockaddr_in(&a, 2, &sa, &salen) || !sk_arg_bytes(&a, 4, true, &ctl, &ctllen) ||
      !sk_arg_int32(&a, 5, &flags))
    return NULL;
  struct iovec iov[IOV_MAX];
  int niov = sk__gather(&a, 1, iov);
  if (niov < 0) return NULL;
  if (ctllen > INT_MAX) { sk_throw_arg(&a, 4, true, "is too large"); return NULL; }
  if (ctllen && sk_cmsg_check(ctl, ctllen) < 0) { sk_throw_arg(&a, 4, true, "is malformed control data"); return NULL; }
  struct msghdr msg = {
    .msg_name = sa, .msg_namelen = salen,
    .msg_iov = iov, .msg_iovlen = (size_t)niov,
    .msg_control = ctllen ? ctl : NULL, .msg_controllen = ctllen,
  };
  SK_RETRY(ssize_t, rc, sendmsg(fd, &msg, flags | SK_MSG_NOSIGNAL));
  return sk_int(env, rc);
}

// recvmsg(2): (fd, buffer, offset, length, flags, addr | null, control | null, out)
// -> bytes or -errno; out = [address length, control length, msg_flags].
static napi_value sk_recvmsg(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd, flags, *out;
  uint8_t *p, *ctl, *sa;
  size_t n, ctllen, salen;
  if (!sk_args_get(env, info, 8, &a) || !sk_arg_int32(&a, 0, &fd) || !sk_arg_region(&a, 1, &p, &n) ||
      !sk_arg_int32(&a, 4, &flags) || !sk_arg_bytes(&a, 5, true, &sa, &salen) ||
      !sk_arg_bytes(&a, 6, true, &ctl, &ctllen) || !sk_arg_int32_array(&a, 7, 3, &out))
    return NULL;
  if (sa && salen < sizeof(struct sockaddr_storage)) {
    sk_throw_arg(&a, 5, true, "must hold a sockaddr_storage");
    return NULL;
  }
  if (ctllen > INT_MAX) { sk_throw_arg(&a, 6, true, "is too large"); return NULL; }
  struct iovec iov = { .iov_base = p, .iov_len = n };
  struct msghdr msg = {
    .msg_name = sa, .msg_namelen = sa ? sizeof(struct sockaddr_storage) : 0,
    .msg_iov = &iov, .msg_iovlen = 1,
    .msg_control = ctllen ? ctl : NULL, .msg_controllen = ctllen,
  };
  SK_RETRY(ssize_t, rc, recvmsg(fd, &msg, flags | SK_MSG_CMSG_CLOEXEC));
  if (rc >= 0) {
    out[0] = (int32_t)(msg.msg_namelen > sizeof(struct sockaddr_storage) ? sizeof(struct sockaddr_storage) : msg.msg_namelen);
    out[1] = (int32_t)(msg.msg_controllen > ctllen ? ctllen : msg.msg_controllen);
    out[2] = msg.msg_flags & ~SK_MSG_CMSG_CLOEXEC;  // the kernel echoes our own flag
  }
  return sk_int(env, rc);
}

// recvmsg(2) scattering into several buffers, filled in order (Python's
// recvmsg_into): (fd, buffers[], flags, addr | null, control | null, out)
// -> bytes or -errno; out as recvmsg's.
static napi_value sk_recvmsgv(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd, flags, *out;
  uint8_t *ctl, *sa;
  size_t ctllen, salen;
  if (!sk_args_get(env, info, 6, &a) || !sk_arg_int32(&a, 0, &fd) || !sk_arg_int32(&a, 2, &flags) ||
      !sk_arg_bytes(&a, 3, true, &sa, &salen) || !sk_arg_bytes(&a, 4, true, &ctl, &ctllen) ||
      !sk_arg_int32_array(&a, 5, 3, &out))
    return NULL;
  if (sa && salen < sizeof(struct sockaddr_storage)) {
    sk_throw_arg(&a, 3, true, "must hold a sockaddr_storage");
    return NULL;
  }
  if (ctllen > INT_MAX) { sk_throw_arg(&a, 4, true, "is too large"); return NULL; }
  struct iovec iov[IOV_MAX];
  int niov = sk__gather(&a, 1, iov);
  if (niov < 0) return NULL;
  struct msghdr msg = {
    .msg_name = sa, .msg_namelen = sa ? sizeof(struct sockaddr_storage) : 0,
    .msg_iov = iov, .msg_iovlen = (size_t)niov,
    .msg_control = ctllen ? ctl : NULL, .msg_controllen = ctllen,
  };
  SK_RETRY(ssize_t, rc, recvmsg(fd, &msg, flags | SK_MSG_CMSG_CLOEXEC));
  if (rc >= 0) {
    out[0] = (int32_t)(msg.msg_namelen > sizeof(struct sockaddr_storage) ? sizeof(struct sockaddr_storage) : msg.msg_namelen);
    out[1] = (int32_t)(msg.msg_controllen > ctllen ? ctllen : msg.msg_controllen);
    out[2] = msg.msg_flags & ~SK_MSG_CMSG_CLOEXEC;
  }
  return sk_int(env, rc);
}

const sk_export sk_io_exports[] = {
  { "send", sk_send, "fd,buf,off,len,flags" },
  { "recv", sk_recv, "fd,buf,off,len,flags" },
  { "sendto", sk_sendto, "fd,buf,off,len,flags,addr,addrlen" },
  { "recvfrom", sk_recvfrom, "fd,buf,off,len,flags,addr,out" },
  { "sendmsg", sk_sendmsg, "fd,data,addr,addrlen,control,flags" },
  { "recvmsg", sk_recvmsg, "fd,buf,off,len,flags,addr,control,out" },
  { "recvmsgv", sk_recvmsgv, "fd,buffers,flags,addr,control,out" },
  { NULL, NULL },
};
