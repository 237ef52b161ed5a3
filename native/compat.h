// Platform differences live here and only here; they reach TypeScript as
// the `features` flags exported by the addon.
#ifndef BERKELEY_COMPAT_H
#define BERKELEY_COMPAT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <netinet/ip_icmp.h>
#include <netinet/icmp6.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <fcntl.h>
#include <poll.h>
#include <errno.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#define SK_HAVE_NETLINK 1
#define SK_HAVE_PACKET 1
#define SK_HAVE_ABSTRACT 1
#define SK_HAVE_ACCEPT4 1
#define SK_HAVE_MMSG 1
#define SK_HAVE_CREDENTIALS 1
#include <linux/if_addr.h>
#include <linux/if_link.h>
// Kernel ABI values that glibc's headers (which win over linux/if.h and
// linux/icmp.h here) leave out.
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif
#ifndef IFF_DORMANT
#define IFF_DORMANT 0x20000
#endif
#ifndef IFF_ECHO
#define IFF_ECHO 0x40000
#endif
#ifndef ICMP_FILTER
#define ICMP_FILTER 1
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#endif

#ifndef SK_HAVE_MMSG
// The per-message loop that stands in for recvmmsg/sendmmsg uses the same struct.
struct mmsghdr {
  struct msghdr msg_hdr;
  unsigned int msg_len;
};
#endif

// Linux has SOCK_CLOEXEC / SOCK_NONBLOCK flags on socket(2); elsewhere they are
// applied with fcntl right after creation.
#if defined(SOCK_CLOEXEC) && defined(SOCK_NONBLOCK)
#define SK_HAVE_SOCK_FLAGS 1
#endif

#ifdef MSG_NOSIGNAL
#define SK_MSG_NOSIGNAL MSG_NOSIGNAL
#else
#define SK_MSG_NOSIGNAL 0
#endif

#ifdef MSG_CMSG_CLOEXEC
#define SK_MSG_CMSG_CLOEXEC MSG_CMSG_CLOEXEC
#else
#define SK_MSG_CMSG_CLOEXEC 0
#endif

#endif
