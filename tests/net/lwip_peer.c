/*
 * lwip_peer.c — a TCP peer made of lwIP (Debian's liblwip, its unix port
 * with tapif) for tests/net/t_lwip.c: another TCP/IP stack, written by
 * others, on a TAP device bridged with a rump kernel's.
 *
 *	lwip_peer TAP ADDR sink PORT          accepts one connection, reads it
 *	                                      to EOF, prints "sha256 HEX BYTES"
 *	lwip_peer TAP ADDR source PEER PORT BYTES SEED
 *	                                      connects, sends BYTES of the test
 *	                                      stream SEED (netproc.h), closes,
 *	                                      prints "sent HEX"
 *
 * ADDR is a.b.c.d on a /24.  TAP must exist (PRECONFIGURED_TAPIF: lwIP's
 * tapif attaches to it and configures nothing on the host).  It prints
 * "ready" once its interface is up.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/sockets.h"
#include "lwip/tcpip.h"
#include "netif/tapif.h"

#include "sha256.h"

void np_stream(uint64_t seed, uint64_t off, void *buf, size_t len);

static struct netif nif;

static void
fail(const char *what)
{
	printf("FAIL %s: %s\n", what, strerror(errno));
	fflush(stdout);
	exit(1);
}

int
main(int argc, char **argv)
{
	ip4_addr_t ip, mask, gw;
	static uint8_t buf[65536];
	struct sha256 h;
	uint8_t d[32];
	char hex[65];

	if (argc < 5) {
		fprintf(stderr,
		    "usage: lwip_peer TAP ADDR sink PORT | TAP ADDR "
		    "source PEER PORT BYTES SEED\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	setenv("PRECONFIGURED_TAPIF", argv[1], 1);
	tcpip_init(NULL, NULL);
	if (!ip4addr_aton(argv[2], &ip))
		return 2;
	IP4_ADDR(&mask, 255, 255, 255, 0);
	ip4_addr_set_zero(&gw);
	LOCK_TCPIP_CORE();
	if (netif_add(&nif, &ip, &mask, &gw, NULL, tapif_init, tcpip_input) ==
	    NULL) {
		UNLOCK_TCPIP_CORE();
		printf("FAIL netif_add\n");
		return 1;
	}
	netif_set_default(&nif);
	netif_set_link_up(&nif);
	netif_set_up(&nif);
	UNLOCK_TCPIP_CORE();
	printf("ready\n");

	sha256_init(&h);
	if (strcmp(argv[3], "sink") == 0) {
		struct sockaddr_in sin = {.sin_family = AF_INET,
		    .sin_port = htons((uint16_t)atoi(argv[4]))};
		uint64_t total = 0;
		int l, s, n;

		if ((l = lwip_socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
		    lwip_bind(l, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
		    lwip_listen(l, 1) < 0)
			fail("listen");
		if ((s = lwip_accept(l, NULL, NULL)) < 0)
			fail("accept");
		while ((n = (int)lwip_read(s, buf, sizeof(buf))) > 0) {
			sha256_update(&h, buf, (size_t)n);
			total += (uint64_t)n;
		}
		if (n < 0)
			fail("read");
		lwip_close(s);
		sha256_final(&h, d);
		sha256_hex(d, hex);
		printf("sha256 %s %llu\n", hex, (unsigned long long)total);
	} else if (strcmp(argv[3], "source") == 0 && argc == 8) {
		struct sockaddr_in sin = {.sin_family = AF_INET,
		    .sin_port = htons((uint16_t)atoi(argv[5]))};
		uint64_t bytes = strtoull(argv[6], NULL, 10), off = 0;
		uint64_t seed = strtoull(argv[7], NULL, 10);
		int s;

		inet_pton(AF_INET, argv[4], &sin.sin_addr);
		if ((s = lwip_socket(AF_INET, SOCK_STREAM, 0)) < 0)
			fail("socket");
		for (int tries = 0;; tries++) {
			if (lwip_connect(
			        s, (struct sockaddr *)&sin, sizeof(sin)) == 0)
				break;
			if (tries == 20)
				fail("connect");
			lwip_close(s);
			sleep(1);
			if ((s = lwip_socket(AF_INET, SOCK_STREAM, 0)) < 0)
				fail("socket");
		}
		while (off < bytes) {
			size_t n = bytes - off < sizeof(buf)
			    ? (size_t)(bytes - off)
			    : sizeof(buf);
			np_stream(seed, off, buf, n);
			sha256_update(&h, buf, n);
			for (size_t done = 0; done < n;) {
				ssize_t w = lwip_write(s, buf + done, n - done);
				if (w <= 0)
					fail("write");
				done += (size_t)w;
			}
			off += n;
		}
		lwip_close(s);
		sha256_final(&h, d);
		sha256_hex(d, hex);
		printf("sent %s\n", hex);
		sleep(1); /* let lwIP send what it still holds */
	} else
		return 2;
	return 0;
}
