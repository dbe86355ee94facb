/*
 * cmd_ping.c — rump.ping: ICMP echo over a raw IPPROTO_ICMP socket of the
 * kernel, with iputils ping's output and exit status: 0 when any reply
 * came, 1 when none did, 2 on errors.  -c count, -i interval, -s payload
 * size, -W seconds to wait for a reply (after the last request).
 * Addresses are numeric (or "localhost"): names would resolve through
 * the host's resolver, not the kernel's network.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rump/rump_syscalls.h>

#include "rumpctl.h"

static volatile sig_atomic_t ping_stop;

static void
on_int(int sig)
{
	(void)sig;
	ping_stop = 1;
}

static uint16_t
cksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (; len > 1; len -= 2, p += 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* sqrt by Newton's method: libm is not linked for this one use. */
static double
dsqrt(double x)
{
	double r = x > 1 ? x : 1;

	if (x <= 0)
		return 0;
	for (int i = 0; i < 64; i++)
		r = (r + x / r) / 2;
	return r;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int
cmd_ping(int argc, char **argv)
{
	long count = -1, size = 56;
	double interval = 1.0, wait = 10.0, start, next, deadline;
	double tmin = 0, tmax = 0, tsum = 0, tsum2 = 0;
	long sent = 0, received = 0;
	struct sockaddr_in dst;
	uint16_t ident = (uint16_t)getpid();
	unsigned char *pkt, buf[65536];
	char *end;
	int c, s;

	while ((c = getopt(argc, argv, "c:i:s:W:w:qn")) != -1) {
		switch (c) {
		case 'c':
			count = strtol(optarg, &end, 10);
			if (*end || count <= 0) {
				warnmsg("invalid argument: %s", q(optarg));
				return 2;
			}
			break;
		case 'i':
			interval = strtod(optarg, &end);
			if (*end || interval < 0.002) {
				warnmsg("bad timing interval: %s", optarg);
				return 2;
			}
			break;
		case 's':
			size = strtol(optarg, &end, 10);
			if (*end || size < 0 || size > 65507) {
				warnmsg("invalid argument: %s", q(optarg));
				return 2;
			}
			break;
		case 'W':
		case 'w':
			wait = strtod(optarg, &end);
			if (*end || wait < 0) {
				warnmsg("bad linger time: %s", optarg);
				return 2;
			}
			break;
		case 'q':
		case 'n':
			break;
		default:
			return usage_error(2, NULL);
		}
	}
	if (optind != argc - 1)
		return usage_error(
		    2, "usage error: Destination address required");
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	if (strcmp(argv[optind], "localhost") == 0)
		dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, argv[optind], &dst.sin_addr) != 1) {
		warnmsg("%s: Name or service not known", argv[optind]);
		return 2;
	}
	if ((s = rump_sys_socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)) == -1) {
		net_error(errno, "socket");
		return 2;
	}
	pkt = xmalloc(sizeof(struct icmphdr) + (size_t)size);
	printf("PING %s (%s) %ld(%ld) bytes of data.\n", argv[optind],
	    inet_ntoa(dst.sin_addr), size, size + 28);
	fflush(stdout);
	signal(SIGINT, on_int);
	start = now_ms();
	next = start;
	deadline = 0;
	while (!ping_stop) {
		double t = now_ms(), until;
		struct pollfd pfd = {s, POLLIN, 0};
		int r;

		if ((count < 0 || sent < count) && t >= next) {
			struct icmphdr *ic = (struct icmphdr *)pkt;
			double stamp = now_ms();

			memset(pkt, 0, sizeof(*ic) + (size_t)size);
			ic->type = ICMP_ECHO;
			ic->un.echo.id = htons(ident);
			ic->un.echo.sequence = htons((uint16_t)(sent + 1));
			for (long i = 0; i < size; i++)
				pkt[sizeof(*ic) + (size_t)i] = (unsigned char)i;
			if (size >= (long)sizeof(stamp))
				memcpy(
				    pkt + sizeof(*ic), &stamp, sizeof(stamp));
			ic->checksum = cksum(pkt, sizeof(*ic) + (size_t)size);
			if (rump_sys_sendto(s, pkt, sizeof(*ic) + (size_t)size,
			        0, (struct sockaddr *)&dst,
			        sizeof(dst)) == -1) {
				if (errno == ENOSYS || errno == EAFNOSUPPORT) {
					net_error(errno, "sendto");
					return 2;
				}
				warnerr(errno, "sendmsg");
			}
			sent++;
			next = t + interval * 1e3;
			if (count > 0 && sent == count)
				deadline = t + wait * 1e3;
		}
		if (count > 0 && sent == count &&
		    (received == count || now_ms() >= deadline))
			break;
		until = count > 0 && sent == count ? deadline : next;
		t = now_ms();
		r = rump_sys_poll(
		    &pfd, 1, until > t ? (int)(until - t) + 1 : 0);
		if (r == -1 && errno != EINTR) {
			warnerr(errno, "poll");
			break;
		}
		if (r <= 0)
			continue;
		for (;;) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n = rump_sys_recvfrom(s, buf, sizeof(buf),
			    MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
			struct iphdr *ip = (struct iphdr *)buf;
			struct icmphdr *ic;
			size_t hl;
			double rtt, sentat;

			if (n <= 0)
				break;
			hl = (size_t)ip->ihl * 4;
			if ((size_t)n < hl + sizeof(*ic))
				continue;
			ic = (struct icmphdr *)(buf + hl);
			if (ic->type != ICMP_ECHOREPLY ||
			    ntohs(ic->un.echo.id) != ident)
				continue;
			received++;
			rtt = -1;
			if ((size_t)n >= hl + sizeof(*ic) + sizeof(sentat) &&
			    size >= (long)sizeof(sentat)) {
				memcpy(&sentat, buf + hl + sizeof(*ic),
				    sizeof(sentat));
				rtt = now_ms() - sentat;
				if (received == 1 || rtt < tmin)
					tmin = rtt;
				if (rtt > tmax)
					tmax = rtt;
				tsum += rtt;
				tsum2 += rtt * rtt;
			}
			printf("%zd bytes from %s: icmp_seq=%u ttl=%u",
			    n - (ssize_t)hl, inet_ntoa(from.sin_addr),
			    ntohs(ic->un.echo.sequence), ip->ttl);
			if (rtt >= 0)
				printf(" time=%.3g ms", rtt);
			printf("\n");
			fflush(stdout);
		}
	}
	printf("\n--- %s ping statistics ---\n", argv[optind]);
	printf("%ld packets transmitted, %ld received, %ld%% packet loss, time "
	       "%.0fms\n",
	    sent, received, sent ? (sent - received) * 100 / sent : 0,
	    now_ms() - start);
	if (received > 0 && tsum > 0) {
		double avg = tsum / (double)received;

		printf("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", tmin,
		    avg, tmax, dsqrt(tsum2 / (double)received - avg * avg));
	}
	free(pkt);
	rump_sys_close(s);
	return received > 0 ? 0 : 1;
}
