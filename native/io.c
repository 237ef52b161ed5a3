// Data transfer: send, recv, sendto, recvfrom, sendmsg, recvmsg (into one
// buffer or scattered). Data moves through caller-owned buffers (buffer,
// offset, length), or for small reads (recvScratch, recvfromScratch) through
// the environment's data scratch, which saves checking a buffer argument per
// call; nothing is allocated per call. Sends always
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

// The length argument of a read into the data scratch: at most SK_DATA_MAX.
static bool sk__data_len(sk_args *a, size_t i, uint32_t *n) {
  if (!sk_arg_uint32(a, i, n)) return false;
  if (*n > SK_DATA_MAX) { sk_throw_arg(a, i, true, "must be at most 32768"); return false; }
  return true;
}

// The arguments of a read into the data scratch, (fd, length, flags): the
// scratch, or NULL after throwing.
static sk_scratch *sk__scratch_read_args(napi_env env, napi_callback_info info, int32_t *fd, uint32_t *n, int32_t *flags) {
  sk_args a;
  if (!sk_args_get(env, info, 3, &a) || !sk_arg_int32(&a, 0, fd) || !sk__data_len(&a, 1, n) ||
      !sk_arg_int32(&a, 2, flags))
    return NULL;
  return sk_scratch_of(&a);
}

// recv(2) into the data scratch: (fd, length, flags) -> bytes received or
// -errno. No buffer argument: small reads are copied out by TypeScript.
static napi_value sk_recv_scratch(napi_env env, napi_callback_info info) {
  int32_t fd, flags;
  uint32_t n;
  sk_scratch *s = sk__scratch_read_args(env, info, &fd, &n, &flags);
  if (!s) return NULL;
  SK_RETRY(ssize_t, rc, recv(fd, s->data, n, flags));
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

// recvfrom(2) into p: -> bytes or -errno; the sender in the scratch
// sockaddr, its length in results[0] (0 when unnamed).
static napi_value sk__recvfrom(napi_env env, sk_scratch *s, int fd, void *p, size_t n, int flags) {
  socklen_t len = sizeof(struct sockaddr_storage);
  SK_RETRY(ssize_t, rc, recvfrom(fd, p, n, flags, (struct sockaddr *)s->sockaddr, &len));
  s->results[0] = rc >= 0 ? (int32_t)(len > sizeof(struct sockaddr_storage) ? sizeof(struct sockaddr_storage) : len) : 0;
  return sk_int(env, rc);
}

// recvfrom(2): (fd, buffer, offset, length, flags) -> bytes or -errno.
static napi_value sk_recvfrom(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd, flags;
  uint8_t *p;
  size_t n;
  sk_scratch *s;
  if (!sk_args_get(env, info, 5, &a) || !sk_arg_int32(&a, 0, &fd) || !sk_arg_region(&a, 1, &p, &n) ||
      !sk_arg_int32(&a, 4, &flags) || !(s = sk_scratch_of(&a)))
    return NULL;
  return sk__recvfrom(env, s, fd, p, n, flags);
}

// recvfrom(2) into the data scratch: (fd, length, flags) -> bytes or -errno.
static napi_value sk_recvfrom_scratch(napi_env env, napi_callback_info info) {
  int32_t fd, flags;
  uint32_t n;
  sk_scratch *s = sk__scratch_read_args(env, info, &fd, &n, &flags);
  if (!s) return NULL;
  return sk__recvfrom(env, s, fd, s->data, n, flags);
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

// recvmsg(2) into `niov` buffers: the sender in the scratch sockaddr,
// results = [address length, control length, msg_flags].
static napi_value sk__recvmsg(napi_env env, sk_scratch *s, int fd, struct iovec *iov, int niov, int flags,
                              uint8_t *ctl, size_t ctllen) {
  struct msghdr msg = {
    .msg_name = s->sockaddr, .msg_namelen = sizeof(struct sockaddr_storage),
    .msg_iov = iov, .msg_iovlen = (size_t)niov,
    .msg_control = ctllen ? ctl : NULL, .msg_controllen = ctllen,
  };
  SK_RETRY(ssize_t, rc, recvmsg(fd, &msg, flags | SK_MSG_CMSG_CLOEXEC));
  if (rc == -EINVAL && SK_MSG_CMSG_CLOEXEC != 0 && !(flags & SK_MSG_CMSG_CLOEXEC) && sk_refuses_cmsg_cloexec(fd)) {
    msg.msg_namelen = sizeof(struct sockaddr_storage);
    msg.msg_controllen = ctllen;
    SK_RETRY(ssize_t, again, recvmsg(fd, &msg, flags));
    rc = again;
  }
  if (rc >= 0) {
    s->results[0] = (int32_t)(msg.msg_namelen > sizeof(struct sockaddr_storage) ? sizeof(struct sockaddr_storage) : msg.msg_namelen);
    s->results[1] = (int32_t)(msg.msg_controllen > ctllen ? ctllen : msg.msg_controllen);
    s->results[2] = msg.msg_flags & ~SK_MSG_CMSG_CLOEXEC;  // the kernel echoes our own flag
  }
  return sk_int(env, rc);
}

// recvmsg(2): (fd, buffer, offset, length, flags, control | null) -> bytes or -errno.
static napi_value sk_recvmsg(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd, flags;
  uint8_t *p, *ctl;
  size_t n, ctllen;
  sk_scratch *s;
  if (!sk_args_get(env, info, 6, &a) || !sk_arg_int32(&a, 0, &fd) || !sk_arg_region(&a, 1, &p, &n) ||
      !sk_arg_int32(&a, 4, &flags) || !sk_arg_bytes(&a, 5, true, &ctl, &ctllen) || !(s = sk_scratch_of(&a)))
    return NULL;
  if (ctllen > INT_MAX) { sk_throw_arg(&a, 5, true, "is too large"); return NULL; }
  struct iovec iov = { .iov_base = p, .iov_len = n };
  return sk__recvmsg(env, s, fd, &iov, 1, flags, ctl, ctllen);
}

// recvmsg(2) scattering into several buffers, filled in order (Python's
// recvmsg_into): (fd, buffers[], flags, control | null) -> bytes or -errno.
static napi_value sk_recvmsgv(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd, flags;
  uint8_t *ctl;
  size_t ctllen;
  sk_scratch *s;
  if (!sk_args_get(env, info, 4, &a) || !sk_arg_int32(&a, 0, &fd) || !sk_arg_int32(&a, 2, &flags) ||
      !sk_arg_bytes(&a, 3, true, &ctl, &ctllen) || !(s = sk_scratch_of(&a)))
    return NULL;
  if (ctllen > INT_MAX) { sk_throw_arg(&a, 3, true, "is too large"); return NULL; }
  struct iovec iov[IOV_MAX];
  int niov = sk__gather(&a, 1, iov);
  if (niov < 0) return NULL;
  return sk__recvmsg(env, s, fd, iov, niov, flags, ctl, ctllen);
}

const sk_export sk_io_exports[] = {
  { "send", sk_send, "fd,buf,off,len,flags" },
  { "recv", sk_recv, "fd,buf,off,len,flags" },
  { "sendto", sk_sendto, "fd,buf,off,len,flags,addr,addrlen" },
  { "recvfrom", sk_recvfrom, "fd,buf,off,len,flags" },
  { "recvScratch", sk_recv_scratch, "fd,len,flags" },
  { "recvfromScratch", sk_recvfrom_scratch, "fd,len,flags" },
  { "sendmsg", sk_sendmsg, "fd,data,addr,addrlen,control,flags" },
  { "recvmsg", sk_recvmsg, "fd,buf,off,len,flags,control" },
  { "recvmsgv", sk_recvmsgv, "fd,buffers,flags,control" },
  { NULL, NULL },
};
