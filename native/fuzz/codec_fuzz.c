// libFuzzer harness for native/codec.c, the byte-level checks the addon runs
// on every sockaddr, control buffer and recvmmsg batch it is handed. The
// first input byte picks the target; the rest is its input, copied into a
// buffer of exactly that size so AddressSanitizer sees any read past it.
// Build and run: npm run fuzz:native (scripts/fuzz-native.sh).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../codec.h"

#define CHECK(cond)                                                   \
  do {                                                                \
    if (!(cond)) {                                                    \
      fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                        \
    }                                                                 \
  } while (0)

static void fuzz_sockaddr(const uint8_t *data, size_t size) {
  uint8_t *sa = malloc(size ? size : 1);
  memcpy(sa, data, size);
  int rc = sk_sockaddr_check(sa, size);
  CHECK(rc == 0 || rc == -EINVAL);
  if (rc == 0) CHECK(size >= sizeof(sa_family_t) && size <= sizeof(struct sockaddr_storage));
  free(sa);
}

// An independent walk, written the way the kernel's __scm_send reads the
// buffer (CMSG_OK, then __cmsg_nxthdr), to compare the count with.
static int reference_cmsg_count(const uint8_t *ctl, size_t len) {
  int count = 0;
  for (size_t off = 0; off + sizeof(struct cmsghdr) <= len;) {
    struct cmsghdr h;
    memcpy(&h, ctl + off, sizeof h);
    if (h.cmsg_len < sizeof(struct cmsghdr) || h.cmsg_len > len - off) return -EINVAL;
    count++;
    size_t next = off + CMSG_ALIGN((size_t)h.cmsg_len);
    if (next < off || next > len) break;
    off = next;
  }
  return count;
}

static void fuzz_cmsg(const uint8_t *data, size_t size) {
  uint8_t *ctl = malloc(size ? size : 1);
  memcpy(ctl, data, size);
  int rc = sk_cmsg_check(ctl, size);
  CHECK(rc == reference_cmsg_count(ctl, size));
  if (rc > 0) CHECK((size_t)rc * CMSG_LEN(0) <= size);
  free(ctl);
}

// Input: slot (2 bytes), count (1), batch_len (12 bits, which keeps runs fast), then one 2-byte msg_len per
// message. Packing must equal the concatenation of each slot's first
// min(msg_len, slot) bytes, computed from a copy taken before.
static void fuzz_batch(const uint8_t *data, size_t size) {
  if (size < 5) return;
  int32_t slot = data[0] | data[1] << 8;
  int32_t count = data[2] + 1;
  size_t batch_len = (size_t)(data[3] | (data[4] & 0x0f) << 8);
  data += 5, size -= 5;
  if (!sk_batch_fits(batch_len, slot, count, NULL, 0, NULL, 0, 0, 256)) {
    CHECK((size_t)slot * (size_t)count > batch_len);
    return;
  }
  int n = (int)(size / 2 < (size_t)count ? size / 2 : (size_t)count);
  struct mmsghdr *msgs = calloc((size_t)count, sizeof *msgs);
  uint8_t *batch = malloc(batch_len ? batch_len : 1), *before = malloc(batch_len ? batch_len : 1);
  uint8_t *want = malloc(batch_len ? batch_len : 1);
  for (size_t i = 0; i < batch_len; i++) batch[i] = (uint8_t)(i * 131 + 7);
  memcpy(before, batch, batch_len);
  size_t expect = 0;
  for (int i = 0; i < n; i++) {
    msgs[i].msg_len = (unsigned)(data[2 * i] | data[2 * i + 1] << 8);
    size_t keep = msgs[i].msg_len > (unsigned)slot ? (size_t)slot : msgs[i].msg_len;
    memcpy(want + expect, before + (size_t)i * (size_t)slot, keep);
    expect += keep;
  }
  size_t packed = sk_batch_pack(batch, (size_t)slot, msgs, n);
  CHECK(packed == expect);
  CHECK(packed <= batch_len);
  CHECK(memcmp(batch, want, packed) == 0);
  free(msgs), free(batch), free(before), free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  switch (data[0] % 3) {
  case 0: fuzz_sockaddr(data + 1, size - 1); break;
  case 1: fuzz_cmsg(data + 1, size - 1); break;
  case 2: fuzz_batch(data + 1, size - 1); break;
  }
  return 0;
}
