// Byte-level checks of what JS hands the kernel: sockaddrs, control-message
// buffers and recvmmsg batch geometry. Free of Node-API on purpose, so the
// libFuzzer harness in native/fuzz/ drives exactly the code the addon runs.
#ifndef BERKELEY_CODEC_H
#define BERKELEY_CODEC_H

#include "compat.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// A sockaddr of `len` bytes: 0, or -EINVAL when len is below the family field,
// above sockaddr_storage, or below the fixed part of a family the kernel
// would reject (inet, inet6, netlink) or above its size (unix).
int sk_sockaddr_check(const uint8_t *sa, size_t len);

// An outgoing control buffer, walked as the kernel walks it: the number of
// control messages, or -EINVAL when a header's cmsg_len is below CMSG_LEN(0)
// or runs past the buffer. Trailing bytes shorter than a header are ignored,
// as the kernel ignores them. `ctl` need not be aligned.
int sk_cmsg_check(const uint8_t *ctl, size_t len);

// recvmmsg geometry: `count` slots of `slot` bytes in the batch, one
// sockaddr_storage per message in addrs (when given), `ctl_slot` control bytes
// per message in ctl (when given). False when anything does not fit.
bool sk_batch_fits(size_t batch_len, int32_t slot, int32_t count, const void *addrs, size_t addrs_len,
                   const void *ctl, size_t ctl_len, int32_t ctl_slot, int32_t max_count);

// Packs `n` received messages (message i in batch[i*slot], msgs[i].msg_len
// bytes, at most `slot` kept) to the front of the batch in order; returns the
// bytes packed.
size_t sk_batch_pack(uint8_t *batch, size_t slot, const struct mmsghdr *msgs, int n);

#endif
