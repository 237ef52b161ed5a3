// The layout of Linux's struct tcp_info, from <linux/tcp.h> (glibc's copy
// stops at tcpi_total_retrans). Kept apart because <linux/tcp.h> and
// <netinet/tcp.h> cannot be included together: this file takes only the
// platform part of compat.h, not its system headers. Where the platform has
// no such struct, size is 0 and fields is empty (features.tcpInfo is false).
#define SK_COMPAT_PLATFORM_ONLY 1
#include "compat.h"
#include <stddef.h>
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#ifdef SK_HAVE_TCP_INFO
#include <linux/tcp.h>
#endif

napi_value sk_tcp_info_layout(napi_env env);

napi_value sk_tcp_info_layout(napi_env env) {
  napi_value o, fields, v;
  napi_create_object(env, &o);
  napi_create_object(env, &fields);
#ifdef SK_HAVE_TCP_INFO
  napi_create_uint32(env, sizeof(struct tcp_info), &v);
  napi_set_named_property(env, o, "size", v);
#define SK_FIELD(name, key)                                                            \
  do {                                                                                 \
    napi_value pair, n;                                                                \
    napi_create_array_with_length(env, 2, &pair);                                      \
    napi_create_uint32(env, offsetof(struct tcp_info, tcpi_##name), &n);               \
    napi_set_element(env, pair, 0, n);                                                 \
    napi_create_uint32(env, sizeof(((struct tcp_info *)0)->tcpi_##name), &n);          \
    napi_set_element(env, pair, 1, n);                                                 \
    napi_set_named_property(env, fields, key, pair);                                   \
  } while (0)
  SK_FIELD(state, "state"); SK_FIELD(ca_state, "caState"); SK_FIELD(retransmits, "retransmits");
  SK_FIELD(probes, "probes"); SK_FIELD(backoff, "backoff"); SK_FIELD(options, "options");
  SK_FIELD(rto, "rto"); SK_FIELD(ato, "ato"); SK_FIELD(snd_mss, "sndMss"); SK_FIELD(rcv_mss, "rcvMss");
  SK_FIELD(unacked, "unacked"); SK_FIELD(sacked, "sacked"); SK_FIELD(lost, "lost"); SK_FIELD(retrans, "retrans");
  SK_FIELD(fackets, "fackets"); SK_FIELD(last_data_sent, "lastDataSent"); SK_FIELD(last_ack_sent, "lastAckSent");
  SK_FIELD(last_data_recv, "lastDataRecv"); SK_FIELD(last_ack_recv, "lastAckRecv"); SK_FIELD(pmtu, "pmtu");
  SK_FIELD(rcv_ssthresh, "rcvSsthresh"); SK_FIELD(rtt, "rtt"); SK_FIELD(rttvar, "rttvar");
  SK_FIELD(snd_ssthresh, "sndSsthresh"); SK_FIELD(snd_cwnd, "sndCwnd"); SK_FIELD(advmss, "advmss");
  SK_FIELD(reordering, "reordering"); SK_FIELD(rcv_rtt, "rcvRtt"); SK_FIELD(rcv_space, "rcvSpace");
  SK_FIELD(total_retrans, "totalRetrans"); SK_FIELD(pacing_rate, "pacingRate");
  SK_FIELD(max_pacing_rate, "maxPacingRate"); SK_FIELD(bytes_acked, "bytesAcked");
  SK_FIELD(bytes_received, "bytesReceived"); SK_FIELD(segs_out, "segsOut"); SK_FIELD(segs_in, "segsIn");
  SK_FIELD(notsent_bytes, "notsentBytes"); SK_FIELD(min_rtt, "minRtt"); SK_FIELD(data_segs_in, "dataSegsIn");
  SK_FIELD(data_segs_out, "dataSegsOut"); SK_FIELD(delivery_rate, "deliveryRate"); SK_FIELD(busy_time, "busyTime");
  SK_FIELD(rwnd_limited, "rwndLimited"); SK_FIELD(sndbuf_limited, "sndbufLimited");
  SK_FIELD(delivered, "delivered"); SK_FIELD(delivered_ce, "deliveredCe"); SK_FIELD(bytes_sent, "bytesSent");
  SK_FIELD(bytes_retrans, "bytesRetrans"); SK_FIELD(dsack_dups, "dsackDups"); SK_FIELD(reord_seen, "reordSeen");
#undef SK_FIELD
  // tcpi_snd_wscale and tcpi_rcv_wscale are 4-bit fields in the byte after tcpi_options.
  napi_create_uint32(env, offsetof(struct tcp_info, tcpi_options) + 1, &v);
  napi_set_named_property(env, o, "wscaleOffset", v);
#else
  napi_create_uint32(env, 0, &v);
  napi_set_named_property(env, o, "size", v);
#endif
  napi_set_named_property(env, o, "fields", fields);
  return o;
}
