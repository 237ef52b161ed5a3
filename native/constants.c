// The platform's constants, struct layouts and feature flags, exported once at
// load time. TypeScript encodes and decodes sockaddrs, control messages and
// option values with these offsets, so no layout is hard-coded outside C.
#include <stdlib.h>
#include <string.h>
#include "berkeley.h"

static void sk__set(napi_env env, napi_value obj, const char *name, int64_t v) {
  napi_value n;
  napi_create_int64(env, v, &n);
  napi_set_named_property(env, obj, name, n);
}

static void sk__set_bool(napi_env env, napi_value obj, const char *name, bool v) {
  napi_value b;
  napi_get_boolean(env, v, &b);
  napi_set_named_property(env, obj, name, b);
}

napi_value sk_constants(napi_env env) {
  napi_value obj;
  napi_create_object(env, &obj);
#define SK_CONSTANT(name) sk__set(env, obj, #name, (int64_t)(name));
#include "constants_table.h"
#undef SK_CONSTANT
  return obj;
}

#define SK_OFF(obj, type, field, key) sk__set(env, obj, key, (int64_t)offsetof(type, field))
#define SK_SIZE(obj, type, key) sk__set(env, obj, key, (int64_t)sizeof(type))

napi_value sk_layout(napi_env env) {
  napi_value o;
  napi_create_object(env, &o);
  SK_SIZE(o, struct sockaddr_storage, "storage");
  SK_OFF(o, struct sockaddr, sa_family, "familyOffset");
  sk__set(env, o, "familySize", sizeof(sa_family_t));
  SK_SIZE(o, struct sockaddr_in, "inSize");
  SK_OFF(o, struct sockaddr_in, sin_port, "inPort");
  SK_OFF(o, struct sockaddr_in, sin_addr, "inAddr");
  SK_SIZE(o, struct sockaddr_in6, "in6Size");
  SK_OFF(o, struct sockaddr_in6, sin6_port, "in6Port");
  SK_OFF(o, struct sockaddr_in6, sin6_flowinfo, "in6Flowinfo");
  SK_OFF(o, struct sockaddr_in6, sin6_addr, "in6Addr");
  SK_OFF(o, struct sockaddr_in6, sin6_scope_id, "in6ScopeId");
  SK_SIZE(o, struct sockaddr_un, "unSize");
  SK_OFF(o, struct sockaddr_un, sun_path, "unPath");
  sk__set(env, o, "unPathSize", sizeof(((struct sockaddr_un *)0)->sun_path));
#ifdef SK_HAVE_NETLINK
  SK_SIZE(o, struct sockaddr_nl, "nlSize");
  SK_OFF(o, struct sockaddr_nl, nl_pid, "nlPid");
  SK_OFF(o, struct sockaddr_nl, nl_groups, "nlGroups");
#endif
#ifdef SK_HAVE_PACKET
  SK_SIZE(o, struct sockaddr_ll, "llSize");
  SK_OFF(o, struct sockaddr_ll, sll_protocol, "llProtocol");
  SK_OFF(o, struct sockaddr_ll, sll_ifindex, "llIfindex");
  SK_OFF(o, struct sockaddr_ll, sll_hatype, "llHatype");
  SK_OFF(o, struct sockaddr_ll, sll_pkttype, "llPkttype");
  SK_OFF(o, struct sockaddr_ll, sll_halen, "llHalen");
  SK_OFF(o, struct sockaddr_ll, sll_addr, "llAddr");
  sk__set(env, o, "llAddrSize", sizeof(((struct sockaddr_ll *)0)->sll_addr));
#endif
#ifdef SK_HAVE_VSOCK
  SK_SIZE(o, struct sockaddr_vm, "vmSize");
  SK_OFF(o, struct sockaddr_vm, svm_port, "vmPort");
  SK_OFF(o, struct sockaddr_vm, svm_cid, "vmCid");
#endif
  // Control messages: header size and alignment as CMSG_* compute them.
  SK_SIZE(o, struct cmsghdr, "cmsgHdrSize");
  SK_OFF(o, struct cmsghdr, cmsg_len, "cmsgLen");
  sk__set(env, o, "cmsgLenSize", sizeof(((struct cmsghdr *)0)->cmsg_len));
  SK_OFF(o, struct cmsghdr, cmsg_level, "cmsgLevel");
  SK_OFF(o, struct cmsghdr, cmsg_type, "cmsgType");
  sk__set(env, o, "cmsgDataOffset", (int64_t)CMSG_LEN(0));
  sk__set(env, o, "cmsgAlign", (int64_t)(CMSG_SPACE(1) - CMSG_SPACE(0)));
  sk__set(env, o, "cmsgSpace0", (int64_t)CMSG_SPACE(0));
#ifdef SK_HAVE_CREDENTIALS
  SK_SIZE(o, struct ucred, "ucredSize");
  SK_OFF(o, struct ucred, pid, "ucredPid");
  SK_OFF(o, struct ucred, uid, "ucredUid");
  SK_OFF(o, struct ucred, gid, "ucredGid");
#endif
  SK_SIZE(o, struct linger, "lingerSize");
  SK_OFF(o, struct linger, l_onoff, "lingerOnoff");
  SK_OFF(o, struct linger, l_linger, "lingerLinger");
  SK_SIZE(o, struct timeval, "timevalSize");
  SK_OFF(o, struct timeval, tv_sec, "timevalSec");
  sk__set(env, o, "timevalSecSize", sizeof(((struct timeval *)0)->tv_sec));
  SK_OFF(o, struct timeval, tv_usec, "timevalUsec");
  sk__set(env, o, "timevalUsecSize", sizeof(((struct timeval *)0)->tv_usec));
  SK_SIZE(o, struct timespec, "timespecSize");
  SK_OFF(o, struct timespec, tv_nsec, "timespecNsec");
  SK_SIZE(o, struct ip_mreq, "ipMreqSize");
  SK_OFF(o, struct ip_mreq, imr_multiaddr, "ipMreqMultiaddr");
  SK_OFF(o, struct ip_mreq, imr_interface, "ipMreqInterface");
#ifdef SK_HAVE_IP_MREQN
  SK_SIZE(o, struct ip_mreqn, "ipMreqnSize");
  SK_OFF(o, struct ip_mreqn, imr_multiaddr, "ipMreqnMultiaddr");
  SK_OFF(o, struct ip_mreqn, imr_address, "ipMreqnAddress");
  SK_OFF(o, struct ip_mreqn, imr_ifindex, "ipMreqnIfindex");
#endif
#ifdef SK_HAVE_IN_PKTINFO
  SK_SIZE(o, struct in_pktinfo, "inPktinfoSize");
  SK_OFF(o, struct in_pktinfo, ipi_ifindex, "inPktinfoIfindex");
  SK_OFF(o, struct in_pktinfo, ipi_spec_dst, "inPktinfoSpecDst");
  SK_OFF(o, struct in_pktinfo, ipi_addr, "inPktinfoAddr");
#endif
  SK_SIZE(o, struct ip_mreq_source, "ipMreqSourceSize");
  SK_OFF(o, struct ip_mreq_source, imr_multiaddr, "ipMreqSourceMultiaddr");
  SK_OFF(o, struct ip_mreq_source, imr_interface, "ipMreqSourceInterface");
  SK_OFF(o, struct ip_mreq_source, imr_sourceaddr, "ipMreqSourceSourceaddr");
  SK_SIZE(o, struct ipv6_mreq, "ipv6MreqSize");
  SK_OFF(o, struct ipv6_mreq, ipv6mr_multiaddr, "ipv6MreqMultiaddr");
  SK_OFF(o, struct ipv6_mreq, ipv6mr_interface, "ipv6MreqInterface");
  SK_SIZE(o, struct in6_pktinfo, "in6PktinfoSize");
  SK_OFF(o, struct in6_pktinfo, ipi6_addr, "in6PktinfoAddr");
  SK_OFF(o, struct in6_pktinfo, ipi6_ifindex, "in6PktinfoIfindex");
#ifdef SK_HAVE_ERRQUEUE
  // MSG_ERRQUEUE's IP_RECVERR/IPV6_RECVERR payload; SO_EE_OFFENDER's sockaddr follows it.
  SK_SIZE(o, struct sock_extended_err, "eeSize");
  SK_OFF(o, struct sock_extended_err, ee_errno, "eeErrno");
  SK_OFF(o, struct sock_extended_err, ee_origin, "eeOrigin");
  SK_OFF(o, struct sock_extended_err, ee_type, "eeType");
  SK_OFF(o, struct sock_extended_err, ee_code, "eeCode");
  SK_OFF(o, struct sock_extended_err, ee_info, "eeInfo");
  SK_OFF(o, struct sock_extended_err, ee_data, "eeData");
#endif
  SK_SIZE(o, int, "intSize");
  union { uint16_t u; uint8_t b[2]; } probe = { .u = 1 };
  sk__set_bool(env, o, "littleEndian", probe.b[0] == 1);
  return o;
}

napi_value sk_features(napi_env env) {
  napi_value o;
  napi_create_object(env, &o);
#ifdef SK_HAVE_MMSG
  sk__set_bool(env, o, "recvmmsg", true);
  sk__set_bool(env, o, "sendmmsg", true);
#else
  sk__set_bool(env, o, "recvmmsg", false);
  sk__set_bool(env, o, "sendmmsg", false);
#endif
#ifdef SK_HAVE_ABSTRACT
  sk__set_bool(env, o, "abstract", true);
#else
  sk__set_bool(env, o, "abstract", false);
#endif
#ifdef SK_HAVE_NETLINK
  sk__set_bool(env, o, "netlink", true);
#else
  sk__set_bool(env, o, "netlink", false);
#endif
#ifdef SK_HAVE_PACKET
  sk__set_bool(env, o, "packet", true);
#else
  sk__set_bool(env, o, "packet", false);
#endif
#ifdef SK_HAVE_CREDENTIALS
  sk__set_bool(env, o, "credentials", true);
#else
  sk__set_bool(env, o, "credentials", false);
#endif
#ifdef SK_HAVE_ACCEPT4
  sk__set_bool(env, o, "accept4", true);
#else
  sk__set_bool(env, o, "accept4", false);
#endif
#ifdef SK_HAVE_SEQPACKET
  sk__set_bool(env, o, "seqpacket", true);
#else
  sk__set_bool(env, o, "seqpacket", false);
#endif
#ifdef SK_HAVE_REUSEPORT
  sk__set_bool(env, o, "reuseport", true);
#else
  sk__set_bool(env, o, "reuseport", false);
#endif
#ifdef SK_HAVE_TCP_INFO
  sk__set_bool(env, o, "tcpInfo", true);
#else
  sk__set_bool(env, o, "tcpInfo", false);
#endif
  sk__set_bool(env, o, "msgNosignal", SK_MSG_NOSIGNAL != 0);
  sk__set_bool(env, o, "cmsgCloexec", SK_MSG_CMSG_CLOEXEC != 0);
  return o;
}
