/*
 * in_proto.c — the AF_INET domain of datagram and raw sockets: UDP
 * (SOCK_DGRAM) and raw IP (SOCK_RAW, any protocol).  TCP attaches a
 * domain of its own for SOCK_STREAM (several domains may share a
 * family; pffindproto searches them in attach order).  Attaching runs
 * the protocols' inits: tables, input registration, /proc files.
 */
#include "netinet/ip_var.h"

static const struct protosw inetsw[] = {
    {
        .pr_type = SOCK_DGRAM,
        .pr_domain = &inetdomain,
        .pr_protocol = IPPROTO_UDP,
        .pr_flags = PR_ATOMIC | PR_ADDR,
        .pr_attach = udp_attach,
        .pr_detach = udp_detach,
        .pr_bind = udp_bind,
        .pr_connect = udp_connect,
        .pr_disconnect = udp_disconnect,
        .pr_shutdown = udp_shutdown,
        .pr_abort = udp_abort,
        .pr_send = udp_send,
        .pr_sockaddr = in_sockaddr,
        .pr_peeraddr = in_peeraddr,
        .pr_ctloutput = udp_ctloutput,
        .pr_ioctl = udp_ioctl,
        .pr_init = udp_init,
    },
    {
        /* Protocol 0 here means any: the socket's protocol comes to
         * rip_attach. */
        .pr_type = SOCK_RAW,
        .pr_domain = &inetdomain,
        .pr_protocol = 0,
        .pr_flags = PR_ATOMIC | PR_ADDR,
        .pr_attach = rip_attach,
        .pr_detach = rip_detach,
        .pr_bind = rip_bind,
        .pr_connect = rip_connect,
        .pr_disconnect = rip_disconnect,
        .pr_shutdown = rip_shutdown,
        .pr_abort = rip_abort,
        .pr_send = rip_send,
        .pr_sockaddr = in_sockaddr,
        .pr_peeraddr = in_peeraddr,
        .pr_ctloutput = rip_ctloutput,
        .pr_ioctl = rip_ioctl,
        .pr_init = rip_init,
    },
};

struct domain inetdomain = {
    .dom_family = AF_INET,
    .dom_name = "inet",
    .dom_protosw = inetsw,
    .dom_nprotosw = (int)nitems(inetsw),
};

RUMP_COMPONENT(RUMP_COMPONENT_NET)
{
	domain_attach(&inetdomain);
}
