/*
 * shmif_dumpbus — shows what a shmif bus file holds, like NetBSD's
 * shmif_dumpbus(1):
 *
 *	shmif_dumpbus [-h] [-p pcapfile|-] busfile
 *
 * prints the bus header and then one line per frame in the ring, oldest
 * first; -h prints the header only; -p writes the frames to a pcap file
 * (LINKTYPE_ETHERNET, timestamps from the frame headers, "-" for standard
 * output) that tcpdump -r and tshark -r read.  It takes no lock: it is for
 * looking at a bus after the fact (a bus in use may change under it, and a
 * frame being overwritten then shows garbage, which is skipped).
 * The format is kernel/dev/shmif/shmif_bus.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../kernel/dev/shmif/shmif_bus.h"

static const char *progname = "shmif_dumpbus";

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-h] [-p pcapfile|-] busfile\n", progname);
	exit(1);
}

/* Copies len bytes at ring offset off (wrapping); returns the next offset. */
static uint32_t
busread(const struct shmif_mem *bus, void *dst, uint32_t off, uint32_t len,
    bool *wrap)
{
	uint32_t chunk =
	    len < SHMIF_DATASIZE - off ? len : SHMIF_DATASIZE - off;

	memcpy(dst, bus->shm_data + off, chunk);
	if (off + chunk == SHMIF_DATASIZE)
		*wrap = true;
	if (chunk == len)
		return (off + chunk) % SHMIF_DATASIZE;
	memcpy((char *)dst + chunk, bus->shm_data, len - chunk);
	return len - chunk;
}

static void
xwrite(FILE *f, const void *p, size_t n)
{
	if (fwrite(p, 1, n, f) != n) {
		fprintf(stderr, "%s: writing the pcap file: %s\n", progname,
		    strerror(errno));
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	const char *pcapfile = NULL;
	bool hflag = false, bonus = false;
	const struct shmif_mem *bus;
	static uint8_t frame[SHMIF_DATASIZE / 2];
	uint32_t cur, last;
	struct stat st;
	FILE *pf = NULL;
	int fd, ch, n = 0, steps = 0, bad = 0;

	while ((ch = getopt(argc, argv, "hp:")) != -1) {
		switch (ch) {
		case 'h':
			hflag = true;
			break;
		case 'p':
			pcapfile = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage();
	if ((fd = open(argv[optind], O_RDONLY)) == -1 || fstat(fd, &st) == -1) {
		fprintf(stderr, "%s: %s: %s\n", progname, argv[optind],
		    strerror(errno));
		return 1;
	}
	if (st.st_size < (off_t)SHMIF_BUSMEM_SIZE) {
		fprintf(stderr, "%s: %s: not a shmif bus (%lld bytes)\n",
		    progname, argv[optind], (long long)st.st_size);
		return 1;
	}
	bus = mmap(NULL, SHMIF_BUSMEM_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (bus == MAP_FAILED) {
		fprintf(stderr, "%s: mmap: %s\n", progname, strerror(errno));
		return 1;
	}
	if (bus->shm_magic != SHMIF_MAGIC) {
		fprintf(
		    stderr, "%s: %s not a shmif bus\n", progname, argv[optind]);
		return 1;
	}
	if (bus->shm_version != SHMIF_VERSION) {
		fprintf(stderr, "%s: bus version %u, program %u\n", progname,
		    bus->shm_version, SHMIF_VERSION);
		return 1;
	}
	if (pcapfile == NULL || strcmp(pcapfile, "-") != 0)
		printf("bus version %u, lock: %u, generation: %" PRIu64
		       ", firstoff: 0x%04x, lastoff: 0x%04x\n",
		    bus->shm_version, bus->shm_lock, bus->shm_gen,
		    bus->shm_first, bus->shm_last);
	if (hflag)
		return 0;

	if (pcapfile != NULL) {
		/* The classic pcap file header: magic, 2.4, snaplen, Ethernet.
		 */
		uint32_t h[6] = {
		    0xa1b2c3d4, 2 | (4u << 16), 0, 0, SHMIF_MAXFRAME, 1};

		if (strcmp(pcapfile, "-") == 0)
			pf = stdout;
		else if ((pf = fopen(pcapfile, "wb")) == NULL) {
			fprintf(stderr, "%s: %s: %s\n", progname, pcapfile,
			    strerror(errno));
			return 1;
		}
		xwrite(pf, h, sizeof(h));
	}

	cur = bus->shm_first;
	last = bus->shm_last;
	if (cur > SHMIF_DATASIZE || last >= SHMIF_DATASIZE) {
		fprintf(stderr, "%s: corrupt offsets first 0x%x last 0x%x\n",
		    progname, cur, last);
		return 1;
	}
	if (cur == SHMIF_DATASIZE)
		cur = 0;
	if (last < cur)
		bonus = true; /* the ring wraps between first and last */
	while ((cur <= last || bonus) &&
	    steps++ < (int)(SHMIF_DATASIZE / SHMIF_PKTHDRSIZE)) {
		struct shmif_pkthdr sp;
		bool wrap = false, newest = cur == last;

		cur = busread(bus, &sp, cur, sizeof(sp), &wrap);
		if (wrap)
			bonus = false;
		if (sp.sp_len == 0) {
			if (newest)
				break;
			continue;
		}
		if (sp.sp_len > SHMIF_MAXFRAME) {
			fprintf(stderr,
			    "%s: corrupt frame header at 0x%04x (length %u)\n",
			    progname, cur, sp.sp_len);
			bad = 1;
			break;
		}
		if (pf != stdout)
			printf("packet %d, offset 0x%04x, length 0x%04x, "
			       "ts %u/%06u\n",
			    n, cur, sp.sp_len, sp.sp_sec, sp.sp_usec);
		n++;
		cur = busread(bus, frame, cur, sp.sp_len, &wrap);
		if (wrap)
			bonus = false;
		if (pf != NULL) {
			uint32_t rh[4] = {
			    sp.sp_sec, sp.sp_usec, sp.sp_len, sp.sp_len};

			xwrite(pf, rh, sizeof(rh));
			xwrite(pf, frame, sp.sp_len);
		}
		if (newest)
			break; /* a wrapping newest frame ends below last */
	}
	if (pf != NULL && fclose(pf) != 0) {
		fprintf(stderr, "%s: %s: %s\n", progname, pcapfile,
		    strerror(errno));
		return 1;
	}
	return bad;
}
