// Byte-level checks of sockaddrs, control buffers and recvmmsg batches (see
// codec.h). Every read goes through memcpy: JS buffers need not be aligned.
#include <string.h>
#include "codec.h"

int sk_sockaddr_check(const uint8_t *sa, size_t len) {
  if (len < offsetof(struct sockaddr, sa_family) + sizeof(sa_family_t) || len > sizeof(struct sockaddr_storage))
    return -EINVAL;
  sa_family_t family;
  memcpy(&family, sa + offsetof(struct sockaddr, sa_family), sizeof family);
  switch (family) {
  case AF_INET: return len >= sizeof(struct sockaddr_in) ? 0 : -EINVAL;
  // RFC 2133's sockaddr_in6 (no scope id) is the smallest the kernel takes.
  case AF_INET6: return len >= offsetof(struct sockaddr_in6, sin6_scope_id) ? 0 : -EINVAL;
  case AF_UNIX: return len <= sizeof(struct sockaddr_un) ? 0 : -EINVAL;
#ifdef SK_HAVE_NETLINK
  case AF_NETLINK: return len >= sizeof(struct sockaddr_nl) ? 0 : -EINVAL;
#endif
  default: return 0;  // AF_UNSPEC and families this library has no layout for
  }
}

int sk_cmsg_check(const uint8_t *ctl, size_t len) {
  const size_t hdr = sizeof(struct cmsghdr);
  int count = 0;
  size_t off = 0;
  while (len - off >= hdr) {
    struct cmsghdr h;
    memcpy(&h, ctl + off, hdr);
    size_t rest = len - off;
    if (h.cmsg_len < CMSG_LEN(0) || h.cmsg_len > rest) return -EINVAL;
    count++;
    size_t step = CMSG_ALIGN((size_t)h.cmsg_len);
    if (step >= rest) break;
    off += step;
  }
  return count;
}

bool sk_batch_fits(size_t batch_len, int32_t slot, int32_t count, const void *addrs, size_t addrs_len,
                   const void *ctl, size_t ctl_len, int32_t ctl_slot, int32_t max_count) {
  if (count < 1 || count > max_count || slot < 0 || ctl_slot < 0) return false;
  if ((size_t)slot * (size_t)count > batch_len) return false;
  if (addrs && addrs_len / sizeof(struct sockaddr_storage) < (size_t)count) return false;
  if (ctl && (size_t)ctl_slot * (size_t)count > ctl_len) return false;
  return true;
}

size_t sk_batch_pack(uint8_t *batch, size_t slot, const struct mmsghdr *msgs, int n) {
  size_t packed = 0;
  for (int i = 0; i < n; i++) {
    size_t len = msgs[i].msg_len > slot ? slot : msgs[i].msg_len;
    if (packed != (size_t)i * slot) memmove(batch + packed, batch + (size_t)i * slot, len);
    packed += len;
  }
  return packed;
}
