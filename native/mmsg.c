// Batched datagrams: recvmmsg/sendmmsg (a loop of recvmsg/sendmsg where the
// platform lacks them). Data lands in one caller-owned batch buffer, in fixed
// slots; lengths, address lengths, flags and control lengths come back
// through a caller-owned Int32Array. Nothing is allocated on the heap and no
// JS value is created per datagram.
#include <limits.h>
#include <string.h>
#include <sys/uio.h>
#include "berkeley.h"

#define SK_BATCH_MAX 256
#define SK_META 4  // per message: length, address length, msg_flags, control length

// recvmmsg(2): (fd, batch, slot, count, flags, addrs | null, control | null, ctlSlot, meta, pack)
// -> messages received or -errno. Message i is received into batch[i*slot];
// with pack, the messages are then moved to the front of the batch in order
// (message i follows i-1, min(length, slot) bytes each), so the caller can
// copy them out in one piece. Without it they stay in their slots: a
// caller-owned batch is read in place, and large datagrams are not moved.
// Message i's address is at addrs[i*storage], its control data at
// control[i*ctlSlot].
static napi_value sk_recvmmsg(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd, slot, count, flags, ctl_slot, pack, *meta;
  uint8_t *batch, *addrs, *ctl;
  size_t batch_len, addrs_len, ctl_len;
  if (!sk_args_get(env, info, 10, &a) || !sk_arg_int32(&a, 0, &fd) || !sk_arg_bytes(&a, 1, false, &batch, &batch_len) ||
      !sk_arg_int32(&a, 2, &slot) || !sk_arg_int32(&a, 3, &count) || !sk_arg_int32(&a, 4, &flags) ||
      !sk_arg_bytes(&a, 5, true, &addrs, &addrs_len) || !sk_arg_bytes(&a, 6, true, &ctl, &ctl_len) ||
      !sk_arg_int32(&a, 7, &ctl_slot) || !sk_arg_int32(&a, 9, &pack))
    return NULL;
  if (!sk_batch_fits(batch_len, slot, count, addrs, addrs_len, ctl, ctl_len, ctl_slot, SK_BATCH_MAX)) {
    sk_throw_arg(&a, 1, true, "with slot, count, addrs, control and ctlSlot does not fit the buffers");
    return NULL;
  }
  if (!sk_arg_int32_array(&a, 8, (size_t)count * SK_META, &meta)) return NULL;
  struct mmsghdr msgs[SK_BATCH_MAX];
  struct iovec iov[SK_BATCH_MAX];
  memset(msgs, 0, sizeof(struct mmsghdr) * (size_t)count);
  for (int i = 0; i < count; i++) {
    iov[i].iov_base = batch + (size_t)i * (size_t)slot;
    iov[i].iov_len = (size_t)slot;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    if (addrs) {
      msgs[i].msg_hdr.msg_name = addrs + (size_t)i * sizeof(struct sockaddr_storage);
      msgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_storage);
    }
    if (ctl && ctl_slot) {
      msgs[i].msg_hdr.msg_control = ctl + (size_t)i * (size_t)ctl_slot;
      msgs[i].msg_hdr.msg_controllen = (size_t)ctl_slot;
    }
  }
  int n;
#ifdef SK_HAVE_MMSG
  do { n = recvmmsg(fd, msgs, (unsigned)count, flags | SK_MSG_CMSG_CLOEXEC, NULL); } while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EINVAL && SK_MSG_CMSG_CLOEXEC != 0 && !(flags & SK_MSG_CMSG_CLOEXEC) &&
      sk_refuses_cmsg_cloexec(fd))
    do { n = recvmmsg(fd, msgs, (unsigned)count, flags, NULL); } while (n < 0 && errno == EINTR);
  if (n < 0) return sk_int(env, -errno);
#else
  for (n = 0; n < count; n++) {
    ssize_t r;
    do { r = recvmsg(fd, &msgs[n].msg_hdr, (n ? flags | MSG_DONTWAIT : flags) | SK_MSG_CMSG_CLOEXEC); } while (r < 0 && errno == EINTR);
    if (r < 0) {
      if (n == 0) return sk_int(env, -errno);
      break;
    }
    msgs[n].msg_len = (unsigned)r;
  }
#endif
  if (pack) sk_batch_pack(batch, (size_t)slot, msgs, n);
  for (int i = 0; i < n; i++) {
    struct msghdr *h = &msgs[i].msg_hdr;
    meta[i * SK_META + 0] = (int32_t)msgs[i].msg_len;
    meta[i * SK_META + 1] = addrs ? (int32_t)(h->msg_namelen > sizeof(struct sockaddr_storage) ? sizeof(struct sockaddr_storage) : h->msg_namelen) : 0;
    meta[i * SK_META + 2] = h->msg_flags & ~SK_MSG_CMSG_CLOEXEC;
    meta[i * SK_META + 3] = (ctl && ctl_slot) ? (int32_t)(h->msg_controllen > (size_t)ctl_slot ? (size_t)ctl_slot : h->msg_controllen) : 0;
  }
  return sk_int(env, n);
}

// sendmmsg(2): (fd, datas: Uint8Array[], addrs | null, addrLens | null, controls: (Uint8Array|null)[] | null, flags)
// -> messages sent or -errno. Message i goes to addrs[i*storage] (length
// addrLens[i], 0 = none) with controls[i] as its cmsg buffer. MSG_NOSIGNAL always.
static napi_value sk_sendmmsg(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd, flags, *lens = NULL;
  uint8_t *addrs;
  size_t addrs_len;
  if (!sk_args_get(env, info, 6, &a) || !sk_arg_int32(&a, 0, &fd) || !sk_arg_bytes(&a, 2, true, &addrs, &addrs_len) ||
      !sk_arg_int32(&a, 5, &flags))
    return NULL;
  bool is_array = false, ctl_array = false;
  napi_is_array(env, a.argv[1], &is_array);
  napi_is_array(env, a.argv[4], &ctl_array);
  if (!is_array) { sk_throw_arg(&a, 1, false, "must be an array of Uint8Arrays"); return NULL; }
  uint32_t count;
  napi_get_array_length(env, a.argv[1], &count);
  if (count < 1 || count > SK_BATCH_MAX) { sk_throw_arg(&a, 1, true, "must hold 1 to 256 messages"); return NULL; }
  if (addrs) {
    if (!sk_arg_int32_array(&a, 3, count, &lens)) return NULL;
    if (addrs_len < (size_t)count * sizeof(struct sockaddr_storage)) {
      sk_throw_arg(&a, 2, true, "must hold a sockaddr_storage per message");
      return NULL;
    }
  }
  if (ctl_array) {
    uint32_t nctl;
    napi_get_array_length(env, a.argv[4], &nctl);
    if (nctl != count) { sk_throw_arg(&a, 4, true, "must have one entry per message"); return NULL; }
  }
  struct mmsghdr msgs[SK_BATCH_MAX];
  struct iovec iov[SK_BATCH_MAX];
  memset(msgs, 0, sizeof(struct mmsghdr) * count);
  for (uint32_t i = 0; i < count; i++) {
    uint8_t *p;
    size_t n;
    if (!sk_arg_element_bytes(&a, 1, i, false, &p, &n)) return NULL;
    iov[i].iov_base = p;
    iov[i].iov_len = n;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    if (addrs && lens[i] > 0) {
      if (sk_sockaddr_check(addrs + (size_t)i * sizeof(struct sockaddr_storage), (size_t)lens[i]) < 0) {
        sk_throw_arg(&a, 3, true, "has an invalid address length");
        return NULL;
      }
      msgs[i].msg_hdr.msg_name = addrs + (size_t)i * sizeof(struct sockaddr_storage);
      msgs[i].msg_hdr.msg_namelen = (socklen_t)lens[i];
    }
    if (ctl_array) {
      uint8_t *c;
      size_t cn;
      if (!sk_arg_element_bytes(&a, 4, i, true, &c, &cn)) return NULL;
      if (cn > INT_MAX || (cn && sk_cmsg_check(c, cn) < 0)) { sk_throw_arg(&a, 4, true, "has malformed control data"); return NULL; }
      if (c && cn) {
        msgs[i].msg_hdr.msg_control = c;
        msgs[i].msg_hdr.msg_controllen = cn;
      }
    }
  }
  int sent;
#ifdef SK_HAVE_MMSG
  do { sent = sendmmsg(fd, msgs, count, flags | SK_MSG_NOSIGNAL); } while (sent < 0 && errno == EINTR);
  if (sent < 0) sent = -errno;
#else
  for (sent = 0; sent < (int)count; sent++) {
    ssize_t r;
    do { r = sendmsg(fd, &msgs[sent].msg_hdr, flags | SK_MSG_NOSIGNAL); } while (r < 0 && errno == EINTR);
    if (r < 0) {
      if (sent == 0) sent = -errno;
      break;
    }
  }
#endif
  return sk_int(env, sent);
}

const sk_export sk_mmsg_exports[] = {
  { "recvmmsg", sk_recvmmsg, "fd,batch,slot,count,flags,addrs,control,ctlSlot,meta,pack" },
  { "sendmmsg", sk_sendmmsg, "fd,datas,addrs,addrLens,controls,flags" },
  { NULL, NULL },
};
