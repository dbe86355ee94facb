/*
 * sp_frame.c (fuzz) — libFuzzer target for the sysproxy frame parsers
 * (platform/posix/sp_frame.c): the header, a SYSCALL request body and a
 * SYSCALL reply body are decoded from the same bytes; a decoded request
 * is encoded again and must decode to the same thing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sp_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_sysreq sr, again;
	struct sp_chunk ck[SP_MAXCHUNKS];
	struct sp_hdr h;
	int64_t rv[2];
	unsigned nck;
	uint8_t *copy;

	/* An exact-size copy, so ASan sees every read past the end. */
	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	if (size >= SP_HDR_LEN)
		(void)sp_hdr_decode(copy, &h);
	(void)sp_sysresp_decode(copy, size, rv, ck, SP_MAXCHUNKS, &nck);
	if (sp_sysreq_decode(copy, size, &sr) == 0) {
		size_t n = sp_sysreq_size(&sr);
		uint8_t *enc = malloc(n ? n : 1);

		if (n != size || enc == NULL)
			abort(); /* what decodes must have its own size */
		sp_sysreq_encode(enc, &sr);
		if (sp_sysreq_decode(enc, n, &again) != 0 ||
		    again.sr_nargs != sr.sr_nargs ||
		    again.sr_nregs != sr.sr_nregs)
			abort();
		free(enc);
	}
	free(copy);
	return 0;
}
