// Packet capture: what TypeScript cannot do itself. SO_ATTACH_FILTER takes a
// struct sock_fprog holding a pointer; the TPACKET_V3 ring is mapped memory
// shared with the kernel, whose blocks change hands through a status word
// that must be read with acquire and written with release ordering. Every
// length and index from JavaScript is checked here again.
//
// A ring's memory stays mapped while anything can see it: the ring handle
// (an External) and each block handed out (an external Buffer over the
// block) hold a count on it. Returning a block to the kernel detaches its
// Buffer first, so every view of it (each packet's `data`) reads as empty
// rather than as whatever the kernel writes next; ringUnmap detaches what
// is still out, then unmaps. A handle or Buffer collected without that
// drops its count, and the last one unmaps.
#include <stdlib.h>
#include <string.h>
#include "berkeley.h"

#ifdef SK_HAVE_PACKET
#include <linux/filter.h>
#include <sys/mman.h>

// The largest ring mapped (all blocks together), and the most blocks.
#define SK_RING_MAX_BYTES ((size_t)1 << 31)
#define SK_RING_MAX_BLOCKS 65536u
// The longest a partly filled block waits before the kernel hands it over.
#define SK_RING_MAX_RETIRE_MS 60000u

typedef struct {
  uint8_t *base;          // NULL once unmapped
  size_t size;
  uint32_t block_size;
  uint32_t block_count;
  uint32_t refs;          // the handle, plus each block Buffer not yet collected
  napi_ref *views;        // per block: a weak reference to the Buffer handed out, or NULL
} sk__ring;

static void sk__ring_drop(napi_env env, sk__ring *r) {
  if (--r->refs > 0) return;
  if (r->base) munmap(r->base, r->size);
  for (uint32_t i = 0; i < r->block_count; i++)
    if (r->views[i]) napi_delete_reference(env, r->views[i]);
  free(r->views);
  free(r);
}

// The handle was collected: no more calls can come through it.
static void sk__ring_handle_gone(napi_env env, void *data, void *hint) {
  (void)hint;
  sk__ring_drop(env, data);
}

// A block Buffer was collected (its views with it).
static void sk__ring_view_gone(napi_env env, void *data, void *hint) {
  (void)data;
  sk__ring_drop(env, hint);
}

static uint32_t *sk__block_status(sk__ring *r, uint32_t i) {
  struct tpacket_block_desc *bd = (struct tpacket_block_desc *)(r->base + (size_t)i * r->block_size);
  return &bd->hdr.bh1.block_status;
}

// Detaches the Buffer handed out for block i, if it is still alive.
static void sk__ring_detach(napi_env env, sk__ring *r, uint32_t i) {
  if (!r->views[i]) return;
  napi_value buf;
  if (napi_get_reference_value(env, r->views[i], &buf) == napi_ok && buf) {
    napi_value ab;
    if (napi_get_typedarray_info(env, buf, NULL, NULL, NULL, &ab, NULL) == napi_ok) napi_detach_arraybuffer(env, ab);
  }
  napi_delete_reference(env, r->views[i]);
  r->views[i] = NULL;
}

// The ring behind argument i, or NULL after throwing.
static sk__ring *sk__arg_ring(sk_args *a, size_t i) {
  void *p = NULL;
  napi_valuetype t;
  if (i >= a->argc || napi_typeof(a->env, a->argv[i], &t) != napi_ok || t != napi_external ||
      napi_get_value_external(a->env, a->argv[i], &p) != napi_ok || !p) {
    sk_throw_arg(a, i, false, "must be a ring from ringMap");
    return NULL;
  }
  return p;
}

// The (ring, index) arguments of ringblock and ringrelease, checked; false after throwing.
static bool sk__ring_block_args(napi_env env, napi_callback_info info, sk__ring **r, uint32_t *i) {
  sk_args a;
  if (!sk_args_get(env, info, 2, &a) || !(*r = sk__arg_ring(&a, 0)) || !sk_arg_uint32(&a, 1, i)) return false;
  if (*i >= (*r)->block_count) { sk_throw_arg(&a, 1, true, "must be a block index of the ring"); return false; }
  return true;
}

// setsockopt(SO_ATTACH_FILTER or SO_ATTACH_REUSEPORT_CBPF): (fd, option, program) -> 0 or -errno.
// The program is packed struct sock_filter, 1 to BPF_MAXINSNS of them.
static napi_value sk_setfilter(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd, option;
  uint8_t *p;
  size_t n;
  if (!sk_args_get(env, info, 3, &a) || !sk_arg_int32(&a, 0, &fd) || !sk_arg_int32(&a, 1, &option) ||
      !sk_arg_bytes(&a, 2, false, &p, &n))
    return NULL;
  bool known = option == SO_ATTACH_FILTER;
#ifdef SO_ATTACH_REUSEPORT_CBPF
  known = known || option == SO_ATTACH_REUSEPORT_CBPF;
#endif
  if (!known) { sk_throw_arg(&a, 1, true, "must be SO_ATTACH_FILTER or SO_ATTACH_REUSEPORT_CBPF"); return NULL; }
  if (n == 0 || n % sizeof(struct sock_filter) != 0 || n / sizeof(struct sock_filter) > BPF_MAXINSNS) {
    sk_throw_arg(&a, 2, true, "must hold 1 to 4096 packed instructions (8 bytes each)");
    return NULL;
  }
  struct sock_fprog prog = { .len = (unsigned short)(n / sizeof(struct sock_filter)), .filter = (struct sock_filter *)p };
  if (setsockopt(fd, SOL_SOCKET, option, &prog, sizeof prog) < 0) return sk_int(env, -errno);
  return sk_int(env, 0);
}

// setsockopt(PACKET_RX_RING) with a struct tpacket_req3:
// (fd, blockSize, blockCount, frameSize, retireMs) -> 0 or -errno.
static napi_value sk_packetring(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd;
  uint32_t block_size, block_count, frame_size, retire;
  if (!sk_args_get(env, info, 5, &a) || !sk_arg_int32(&a, 0, &fd) || !sk_arg_uint32(&a, 1, &block_size) ||
      !sk_arg_uint32(&a, 2, &block_count) || !sk_arg_uint32(&a, 3, &frame_size) || !sk_arg_uint32(&a, 4, &retire))
    return NULL;
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0) page = 4096;
  if (block_size < (uint32_t)page || block_size % (uint32_t)page != 0 || block_size > SK_RING_MAX_BYTES) {
    sk_throw_arg(&a, 1, true, "must be a multiple of the page size");
    return NULL;
  }
  if (block_count == 0 || block_count > SK_RING_MAX_BLOCKS || (size_t)block_size * block_count > SK_RING_MAX_BYTES) {
    sk_throw_arg(&a, 2, true, "must be 1 or more, with at most 2 GiB in all blocks");
    return NULL;
  }
  if (frame_size < TPACKET3_HDRLEN || frame_size % TPACKET_ALIGNMENT != 0 || frame_size > block_size) {
    sk_throw_arg(&a, 3, true, "must be a multiple of 16 from TPACKET3_HDRLEN to the block size");
    return NULL;
  }
  if (retire > SK_RING_MAX_RETIRE_MS) { sk_throw_arg(&a, 4, true, "must be at most 60000 ms"); return NULL; }
  struct tpacket_req3 req;
  memset(&req, 0, sizeof req);
  req.tp_block_size = block_size;
  req.tp_block_nr = block_count;
  req.tp_frame_size = frame_size;
  req.tp_frame_nr = (block_size / frame_size) * block_count;
  req.tp_retire_blk_tov = retire;
  if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) return sk_int(env, -errno);
  return sk_int(env, 0);
}

// mmap(2) of the ring: (fd, blockSize, blockCount) -> a ring handle, or -errno.
static napi_value sk_ringmap(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd;
  uint32_t block_size, block_count;
  if (!sk_args_get(env, info, 3, &a) || !sk_arg_int32(&a, 0, &fd) || !sk_arg_uint32(&a, 1, &block_size) ||
      !sk_arg_uint32(&a, 2, &block_count))
    return NULL;
  if (block_size < sizeof(struct tpacket_block_desc) || block_count == 0 || block_count > SK_RING_MAX_BLOCKS ||
      (size_t)block_size * block_count > SK_RING_MAX_BYTES) {
    sk_throw_arg(&a, 1, true, "and blockCount must describe a ring of at most 2 GiB");
    return NULL;
  }
  size_t size = (size_t)block_size * block_count;
  sk__ring *r = calloc(1, sizeof *r);
  napi_ref *views = calloc(block_count, sizeof *views);
  if (!r || !views) { free(r); free(views); return sk_int(env, -ENOMEM); }
  void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) { int err = errno; free(r); free(views); return sk_int(env, -err); }
  *r = (sk__ring){ .base = base, .size = size, .block_size = block_size, .block_count = block_count, .refs = 1, .views = views };
  napi_value handle;
  if (napi_create_external(env, r, sk__ring_handle_gone, NULL, &handle) != napi_ok) {
    munmap(base, size);
    free(views);
    free(r);
    return NULL;
  }
  return handle;
}

// The block's status word, read with acquire ordering: (ring, index) -> a
// Buffer over the block when the kernel has handed it to user space
// (TP_STATUS_USER), else null. Asked again before release, it returns the
// same block's memory in a new Buffer (the first is detached).
static napi_value sk_ringblock(napi_env env, napi_callback_info info) {
  sk__ring *r;
  uint32_t i;
  if (!sk__ring_block_args(env, info, &r, &i)) return NULL;
  napi_value result;
  if (!r->base || !(__atomic_load_n(sk__block_status(r, i), __ATOMIC_ACQUIRE) & TP_STATUS_USER)) {
    napi_get_null(env, &result);
    return result;
  }
  sk__ring_detach(env, r, i);
  uint8_t *block = r->base + (size_t)i * r->block_size;
  if (napi_create_external_buffer(env, r->block_size, block, sk__ring_view_gone, r, &result) != napi_ok) return NULL;
  r->refs++;
  if (napi_create_reference(env, result, 0, &r->views[i]) != napi_ok) r->views[i] = NULL;
  return result;
}

// Returns a block to the kernel: its Buffer detached, then TP_STATUS_KERNEL
// stored with release ordering. (ring, index) -> 0.
static napi_value sk_ringrelease(napi_env env, napi_callback_info info) {
  sk__ring *r;
  uint32_t i;
  if (!sk__ring_block_args(env, info, &r, &i)) return NULL;
  sk__ring_detach(env, r, i);
  if (r->base) __atomic_store_n(sk__block_status(r, i), TP_STATUS_KERNEL, __ATOMIC_RELEASE);
  return sk_int(env, 0);
}

// munmap(2) of the ring, every Buffer still out detached first. Idempotent: (ring) -> 0 or -errno.
static napi_value sk_ringunmap(napi_env env, napi_callback_info info) {
  sk_args a;
  sk__ring *r;
  if (!sk_args_get(env, info, 1, &a) || !(r = sk__arg_ring(&a, 0))) return NULL;
  if (!r->base) return sk_int(env, 0);
  for (uint32_t i = 0; i < r->block_count; i++) sk__ring_detach(env, r, i);
  int rc = munmap(r->base, r->size);
  r->base = NULL;
  return sk_int(env, rc < 0 ? -errno : 0);
}

// What packetrecv reports besides the bytes, by index into its Int32Array.
enum {
  SK_PR_LEN, SK_PR_IFINDEX, SK_PR_PROTOCOL, SK_PR_PKTTYPE, SK_PR_HATYPE, SK_PR_HALEN, SK_PR_ADDR0, SK_PR_ADDR1,
  SK_PR_STATUS, SK_PR_VLAN_TCI, SK_PR_VLAN_TPID, SK_PR_SEC_LO, SK_PR_SEC_HI, SK_PR_NSEC, SK_PR_COUNT
};

// recvmsg(2) of one packet with MSG_TRUNC, its PACKET_AUXDATA and
// SCM_TIMESTAMPNS read into `meta` (a packet socket refuses
// MSG_CMSG_CLOEXEC, which the generic recvmsg passes, and carries no fds):
// (fd, buffer, meta) -> bytes copied (at most the buffer's length), or -errno.
// meta gets the packet's length on the wire, the sockaddr_ll fields, the
// auxdata status and VLAN tag, and the timestamp (0 when none came).
static napi_value sk_packetrecv(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd;
  uint8_t *buf;
  size_t len;
  int32_t *meta;
  if (!sk_args_get(env, info, 3, &a) || !sk_arg_int32(&a, 0, &fd) || !sk_arg_bytes(&a, 1, false, &buf, &len) ||
      !sk_arg_int32_array(&a, 2, SK_PR_COUNT, &meta))
    return NULL;
  struct sockaddr_ll sll;
  union { struct cmsghdr align; uint8_t bytes[CMSG_SPACE(sizeof(struct tpacket_auxdata)) + CMSG_SPACE(sizeof(struct timespec))]; } control;
  struct iovec iov = { .iov_base = buf, .iov_len = len };
  struct msghdr msg = { .msg_name = &sll, .msg_namelen = sizeof sll, .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = control.bytes, .msg_controllen = sizeof control.bytes };
  memset(&sll, 0, sizeof sll);
  SK_RETRY(ssize_t, n, recvmsg(fd, &msg, MSG_TRUNC));
  if (n < 0) return sk_int(env, n);
  memset(meta, 0, SK_PR_COUNT * sizeof *meta);
  meta[SK_PR_LEN] = (int32_t)(n > INT32_MAX ? INT32_MAX : n);
  meta[SK_PR_IFINDEX] = sll.sll_ifindex;
  meta[SK_PR_PROTOCOL] = ntohs(sll.sll_protocol);
  meta[SK_PR_PKTTYPE] = sll.sll_pkttype;
  meta[SK_PR_HATYPE] = sll.sll_hatype;
  meta[SK_PR_HALEN] = sll.sll_halen > 8 ? 8 : sll.sll_halen;
  memcpy(&meta[SK_PR_ADDR0], sll.sll_addr, 8);
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA && c->cmsg_len >= CMSG_LEN(sizeof(struct tpacket_auxdata))) {
      struct tpacket_auxdata aux;
      memcpy(&aux, CMSG_DATA(c), sizeof aux);
      meta[SK_PR_LEN] = (int32_t)(aux.tp_len > INT32_MAX ? INT32_MAX : aux.tp_len);
      meta[SK_PR_STATUS] = (int32_t)aux.tp_status;
      meta[SK_PR_VLAN_TCI] = aux.tp_vlan_tci;
      meta[SK_PR_VLAN_TPID] = aux.tp_vlan_tpid;
    } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS && c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
      struct timespec ts;
      memcpy(&ts, CMSG_DATA(c), sizeof ts);
      meta[SK_PR_SEC_LO] = (int32_t)(uint32_t)((uint64_t)ts.tv_sec & 0xffffffffu);
      meta[SK_PR_SEC_HI] = (int32_t)(uint32_t)((uint64_t)ts.tv_sec >> 32);
      meta[SK_PR_NSEC] = (int32_t)ts.tv_nsec;
    }
  }
  return sk_int(env, (size_t)n > len ? (int64_t)len : n);
}

static void sk__set(napi_env env, napi_value obj, const char *name, int64_t v) {
  napi_value n;
  napi_create_int64(env, v, &n);
  napi_set_named_property(env, obj, name, n);
}

#define SK__OFF(obj, type, field, key) sk__set(env, obj, key, (int64_t)offsetof(type, field))

// The layouts and constants the capture code reads blocks with: () -> object.
static napi_value sk_capturelayout(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value o;
  napi_create_object(env, &o);
  sk__set(env, o, "pageSize", sysconf(_SC_PAGESIZE));
  sk__set(env, o, "blockDescSize", sizeof(struct tpacket_block_desc));
  SK__OFF(o, struct tpacket_block_desc, hdr.bh1.block_status, "blockStatus");
  SK__OFF(o, struct tpacket_block_desc, hdr.bh1.num_pkts, "blockPackets");
  SK__OFF(o, struct tpacket_block_desc, hdr.bh1.offset_to_first_pkt, "blockFirst");
  SK__OFF(o, struct tpacket_block_desc, hdr.bh1.blk_len, "blockLength");
  SK__OFF(o, struct tpacket_block_desc, hdr.bh1.seq_num, "blockSeq");
  sk__set(env, o, "hdrSize", TPACKET3_HDRLEN);
  sk__set(env, o, "hdrLlOffset", TPACKET_ALIGN(sizeof(struct tpacket3_hdr)));
  SK__OFF(o, struct tpacket3_hdr, tp_next_offset, "hdrNext");
  SK__OFF(o, struct tpacket3_hdr, tp_sec, "hdrSec");
  SK__OFF(o, struct tpacket3_hdr, tp_nsec, "hdrNsec");
  SK__OFF(o, struct tpacket3_hdr, tp_snaplen, "hdrSnaplen");
  SK__OFF(o, struct tpacket3_hdr, tp_len, "hdrLen");
  SK__OFF(o, struct tpacket3_hdr, tp_status, "hdrStatus");
  SK__OFF(o, struct tpacket3_hdr, tp_mac, "hdrMac");
  SK__OFF(o, struct tpacket3_hdr, tp_net, "hdrNet");
  SK__OFF(o, struct tpacket3_hdr, hv1.tp_vlan_tci, "hdrVlanTci");
  SK__OFF(o, struct tpacket3_hdr, hv1.tp_vlan_tpid, "hdrVlanTpid");
  sk__set(env, o, "statsSize", sizeof(struct tpacket_stats_v3));
  SK__OFF(o, struct tpacket_stats_v3, tp_packets, "statsPackets");
  SK__OFF(o, struct tpacket_stats_v3, tp_drops, "statsDrops");
  sk__set(env, o, "mreqSize", sizeof(struct packet_mreq));
  SK__OFF(o, struct packet_mreq, mr_ifindex, "mreqIfindex");
  SK__OFF(o, struct packet_mreq, mr_type, "mreqType");
  sk__set(env, o, "auxSize", sizeof(struct tpacket_auxdata));
  SK__OFF(o, struct tpacket_auxdata, tp_status, "auxStatus");
  SK__OFF(o, struct tpacket_auxdata, tp_len, "auxLen");
  SK__OFF(o, struct tpacket_auxdata, tp_vlan_tci, "auxVlanTci");
  SK__OFF(o, struct tpacket_auxdata, tp_vlan_tpid, "auxVlanTpid");
  sk__set(env, o, "TPACKET_V3", TPACKET_V3);
  sk__set(env, o, "PACKET_RESERVE", PACKET_RESERVE);
  sk__set(env, o, "PACKET_VERSION", PACKET_VERSION);
  sk__set(env, o, "PACKET_AUXDATA", PACKET_AUXDATA);
  sk__set(env, o, "TP_STATUS_USER", TP_STATUS_USER);
  sk__set(env, o, "TP_STATUS_VLAN_VALID", TP_STATUS_VLAN_VALID);
#ifdef TP_STATUS_VLAN_TPID_VALID
  sk__set(env, o, "TP_STATUS_VLAN_TPID_VALID", TP_STATUS_VLAN_TPID_VALID);
#endif
  sk__set(env, o, "PACKET_FANOUT_HASH", PACKET_FANOUT_HASH);
  sk__set(env, o, "PACKET_FANOUT_LB", PACKET_FANOUT_LB);
  sk__set(env, o, "PACKET_FANOUT_CPU", PACKET_FANOUT_CPU);
  sk__set(env, o, "PACKET_FANOUT_ROLLOVER", PACKET_FANOUT_ROLLOVER);
  sk__set(env, o, "PACKET_FANOUT_RND", PACKET_FANOUT_RND);
  sk__set(env, o, "PACKET_FANOUT_QM", PACKET_FANOUT_QM);
  sk__set(env, o, "PACKET_FANOUT_FLAG_DEFRAG", PACKET_FANOUT_FLAG_DEFRAG);
  sk__set(env, o, "SO_ATTACH_FILTER", SO_ATTACH_FILTER);
#ifdef SO_ATTACH_REUSEPORT_CBPF
  sk__set(env, o, "SO_ATTACH_REUSEPORT_CBPF", SO_ATTACH_REUSEPORT_CBPF);
#endif
  return o;
}

const sk_export sk_capture_exports[] = {
  { "setfilter", sk_setfilter, "fd,option,program" },
  { "packetring", sk_packetring, "fd,blockSize,blockCount,frameSize,retireMs" },
  { "ringmap", sk_ringmap, "fd,blockSize,blockCount" },
  { "ringblock", sk_ringblock, "ring,index" },
  { "ringrelease", sk_ringrelease, "ring,index" },
  { "ringunmap", sk_ringunmap, "ring" },
  { "packetrecv", sk_packetrecv, "fd,buffer,meta" },
  { "capturelayout", sk_capturelayout, "" },
  { NULL, NULL },
};

#else  // no AF_PACKET: the table is empty and TypeScript reports capture as unsupported.
const sk_export sk_capture_exports[] = { { NULL, NULL } };
#endif
