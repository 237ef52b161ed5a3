// Platform differences live here and only here: this is the one file that
// tests an OS macro (__linux__, __APPLE__, ...) or whether the system headers
// define a flag a code path depends on. Other files test the SK_HAVE_* feature
// macros below or use the SK_* compat values; the features reach TypeScript
// as the `features` flags exported by the addon (constants.c). The generated
// constants_table.h (`#ifdef NAME` per exported constant) is not a platform
// test: it exports whatever the headers define.
//
// Two parts: the platform's features (no includes), then the system headers
// and what derives from them. A file that cannot take the system headers
// (tcpinfo.c: <linux/tcp.h> clashes with <netinet/tcp.h>) defines
// SK_COMPAT_PLATFORM_ONLY before including this and gets the first part only.
#ifndef BERKELEY_COMPAT_PLATFORM_H
#define BERKELEY_COMPAT_PLATFORM_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#ifdef __linux__
#define SK_HAVE_NETLINK 1      // AF_NETLINK, struct sockaddr_nl
#define SK_HAVE_PACKET 1       // AF_PACKET, struct sockaddr_ll
#define SK_HAVE_ABSTRACT 1     // abstract Unix socket names (leading NUL)
#define SK_HAVE_ACCEPT4 1      // accept4(2)
#define SK_HAVE_MMSG 1         // recvmmsg(2), sendmmsg(2)
#define SK_HAVE_CREDENTIALS 1  // struct ucred (SO_PEERCRED, SCM_CREDENTIALS)
#define SK_HAVE_IP_MREQN 1     // struct ip_mreqn
#define SK_HAVE_IN_PKTINFO 1   // struct in_pktinfo (IP_PKTINFO)
#define SK_HAVE_TCP_INFO 1     // the kernel's full struct tcp_info, from <linux/tcp.h>
#define SK_HAVE_KERNEL_ABI 1   // Linux kernel ABI values glibc may leave out (below)
#define SK_HAVE_VSOCK 1        // AF_VSOCK, struct sockaddr_vm (<linux/vm_sockets.h>)
#define SK_HAVE_EPOLL 1        // epoll(7), eventfd(2): the readiness set (readiness.c, pump.c, wait.c)
#define SK_HAVE_SENDFILE 1     // sendfile(2) from a file to a socket (<sys/sendfile.h>)
#define SK_HAVE_ERRQUEUE 1     // MSG_ERRQUEUE's struct sock_extended_err and SO_EE_ORIGIN_* (<linux/errqueue.h>)
#endif

#endif  // BERKELEY_COMPAT_PLATFORM_H

#if !defined(SK_COMPAT_PLATFORM_ONLY) && !defined(BERKELEY_COMPAT_H)
#define BERKELEY_COMPAT_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
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
#include <limits.h>
#include <poll.h>
#include <errno.h>
#include <unistd.h>

#ifdef SK_HAVE_SENDFILE
#include <sys/sendfile.h>
#endif

// glibc has getprotobyname_r; musl has only getprotobyname (netdb.c serialises it).
#ifdef __GLIBC__
#define SK_HAVE_GETPROTOBYNAME_R 1
#endif
// getservbyname_r/getservbyport_r: glibc, musl and FreeBSD have them; macOS
// has only the non-reentrant forms (netdb.c serialises those).
#if defined(__linux__) || defined(__FreeBSD__)
#define SK_HAVE_GETSERV_R 1
#endif

// CMSG_ALIGN is Linux's; elsewhere the same rounding is CMSG_SPACE's body
// less its header part.
#ifndef CMSG_ALIGN
#define CMSG_ALIGN(len) (CMSG_SPACE(len) - CMSG_SPACE(0))
#endif

#ifdef SK_HAVE_EPOLL
#include <pthread.h>
#include <signal.h>
// The prebuilds run on glibc 2.28 and later. Built against a newer glibc,
// pthread_create/pthread_join (2.34) and pthread_sigmask (2.32) would bind to
// versions older systems lack; bind them to the base versions every glibc keeps.
#if defined(__GLIBC__) && defined(__x86_64__)
__asm__(".symver pthread_create,pthread_create@GLIBC_2.2.5");
__asm__(".symver pthread_join,pthread_join@GLIBC_2.2.5");
__asm__(".symver pthread_sigmask,pthread_sigmask@GLIBC_2.2.5");
#elif defined(__GLIBC__) && defined(__aarch64__)
__asm__(".symver pthread_create,pthread_create@GLIBC_2.17");
__asm__(".symver pthread_join,pthread_join@GLIBC_2.17");
__asm__(".symver pthread_sigmask,pthread_sigmask@GLIBC_2.17");
#elif defined(__GLIBC__) && defined(__arm__)
__asm__(".symver pthread_create,pthread_create@GLIBC_2.4");
__asm__(".symver pthread_join,pthread_join@GLIBC_2.4");
__asm__(".symver pthread_sigmask,pthread_sigmask@GLIBC_2.4");
#endif
#endif

#ifdef SK_HAVE_NETLINK
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#endif
#ifdef SK_HAVE_VSOCK
#include <linux/vm_sockets.h>
#endif
#ifdef SK_HAVE_PACKET
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#endif
#ifdef SK_HAVE_ERRQUEUE
#include <linux/errqueue.h>
#endif

#ifdef SK_HAVE_KERNEL_ABI
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
// MPTCP's option level and its MPTCP_INFO (<linux/mptcp.h> clashes with
// <netinet/in.h> on older headers; glibc before 2.35 lacks SOL_MPTCP).
#ifndef SOL_MPTCP
#define SOL_MPTCP 284
#endif
#ifndef MPTCP_INFO
#define MPTCP_INFO 1
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

// SOCK_NONBLOCK as accept's flag, 0 where the platform has none (TypeScript
// then makes accepted sockets non-blocking itself).
#ifdef SOCK_NONBLOCK
#define SK_SOCK_NONBLOCK SOCK_NONBLOCK
#else
#define SK_SOCK_NONBLOCK 0
#endif

#ifdef SOCK_SEQPACKET
#define SK_HAVE_SEQPACKET 1
#endif

#ifdef SO_REUSEPORT
#define SK_HAVE_REUSEPORT 1
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

// The most buffers one sendmsg gathers, where <limits.h> does not say.
#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

#endif  // BERKELEY_COMPAT_H
