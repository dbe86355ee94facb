/*
 * sp_frame.c — the pure parsers and encoders of the sysproxy wire format
 * (sp_proto.h, docs/sysproxy.md).  No I/O and no global state: the server,
 * the client library, fuzz/sp_frame.c and the tests call them on bytes
 * that came from anywhere.  Every length is checked before it is used, so a
 * malformed frame is an EINVAL, never a read outside the buffer.
 */
#include <errno.h>

#include "sp_proto.h"

int
sp_hdr_decode(const uint8_t *buf, struct sp_hdr *h)
{
	h->h_len = sp_get64(buf);
	h->h_reqno = sp_get64(buf + 8);
	h->h_class = sp_get16(buf + 16);
	h->h_type = sp_get16(buf + 18);
	h->h_arg = sp_get32(buf + 20);
	if (h->h_len < SP_HDR_LEN || h->h_len > SP_MAXFRAME)
		return EINVAL;
	if (h->h_class >= SP_NCLASS || h->h_type >= SP_NTYPE)
		return EINVAL;
	return 0;
}

int
sp_sysreq_decode(const uint8_t *body, size_t blen, struct sp_sysreq *sr)
{
	size_t off, fixed, carried = 0;

	if (blen < 8)
		return EINVAL;
	sr->sr_nargs = sp_get16(body);
	sr->sr_nregs = sp_get16(body + 2);
	if (sp_get32(body + 4) != 0)
		return EINVAL; /* reserved */
	if (sr->sr_nargs > SP_MAXARGS || sr->sr_nregs > SP_MAXREGS)
		return EINVAL;
	fixed = 8 + 8 * (size_t)sr->sr_nargs +
	    SP_REGION_WIRE * (size_t)sr->sr_nregs;
	if (blen < fixed)
		return EINVAL;
	for (unsigned i = 0; i < sr->sr_nargs; i++)
		sr->sr_args[i] = (int64_t)sp_get64(body + 8 + 8 * i);
	off = 8 + 8 * (size_t)sr->sr_nargs;
	for (unsigned i = 0; i < sr->sr_nregs; i++, off += SP_REGION_WIRE) {
		struct sp_region *rg = &sr->sr_regs[i];

		rg->rg_addr = sp_get64(body + off);
		rg->rg_len = sp_get32(body + off + 8);
		rg->rg_flags = sp_get32(body + off + 12);
		rg->rg_data = NULL;
		if (rg->rg_flags & ~(uint32_t)SP_RG_ALL || rg->rg_flags == 0)
			return EINVAL;
		if ((rg->rg_flags & SP_RG_STR) &&
		    (rg->rg_flags & (SP_RG_IN | SP_RG_OUT)) != SP_RG_IN)
			return EINVAL;
		if (rg->rg_len == 0 || rg->rg_len > SP_CARRY_MAX)
			return EINVAL;
		if (rg->rg_addr + rg->rg_len < rg->rg_addr)
			return EINVAL; /* wraps */
	}
	off = fixed;
	for (unsigned i = 0; i < sr->sr_nregs; i++) {
		struct sp_region *rg = &sr->sr_regs[i];
		size_t padded;

		if (!(rg->rg_flags & SP_RG_IN))
			continue;
		carried += rg->rg_len;
		padded = sp_pad8(rg->rg_len);
		if (carried > SP_CARRY_MAX || blen - off < padded)
			return EINVAL;
		rg->rg_data = body + off;
		if ((rg->rg_flags & SP_RG_STR) &&
		    rg->rg_data[rg->rg_len - 1] != '\0')
			return EINVAL;
		off += padded;
	}
	return off == blen ? 0 : EINVAL;
}

size_t
sp_sysreq_size(const struct sp_sysreq *sr)
{
	size_t n, carried = 0;

	if (sr->sr_nargs > SP_MAXARGS || sr->sr_nregs > SP_MAXREGS)
		return 0;
	n = 8 + 8 * (size_t)sr->sr_nargs +
	    SP_REGION_WIRE * (size_t)sr->sr_nregs;
	for (unsigned i = 0; i < sr->sr_nregs; i++) {
		const struct sp_region *rg = &sr->sr_regs[i];

		if (rg->rg_len == 0 || rg->rg_len > SP_CARRY_MAX)
			return 0;
		if (rg->rg_flags & SP_RG_IN) {
			carried += rg->rg_len;
			n += sp_pad8(rg->rg_len);
		}
	}
	return carried > SP_CARRY_MAX ? 0 : n;
}

size_t
sp_sysreq_encode_fixed(uint8_t *buf, const struct sp_sysreq *sr)
{
	size_t off;

	sp_put16(buf, (uint16_t)sr->sr_nargs);
	sp_put16(buf + 2, (uint16_t)sr->sr_nregs);
	sp_put32(buf + 4, 0);
	for (unsigned i = 0; i < sr->sr_nargs; i++)
		sp_put64(buf + 8 + 8 * i, (uint64_t)sr->sr_args[i]);
	off = 8 + 8 * (size_t)sr->sr_nargs;
	for (unsigned i = 0; i < sr->sr_nregs; i++, off += SP_REGION_WIRE) {
		sp_put64(buf + off, sr->sr_regs[i].rg_addr);
		sp_put32(buf + off + 8, sr->sr_regs[i].rg_len);
		sp_put32(buf + off + 12, sr->sr_regs[i].rg_flags);
	}
	return off;
}

void
sp_sysreq_encode(uint8_t *buf, const struct sp_sysreq *sr)
{
	size_t off = sp_sysreq_encode_fixed(buf, sr);

	for (unsigned i = 0; i < sr->sr_nregs; i++) {
		const struct sp_region *rg = &sr->sr_regs[i];
		size_t padded = sp_pad8(rg->rg_len);

		if (!(rg->rg_flags & SP_RG_IN))
			continue;
		memcpy(buf + off, rg->rg_data, rg->rg_len);
		memset(buf + off + rg->rg_len, 0, padded - rg->rg_len);
		off += padded;
	}
}

int
sp_sysresp_decode(const uint8_t *body, size_t blen, int64_t retval[2],
    struct sp_chunk *ck, unsigned maxck, unsigned *nck)
{
	size_t off = SP_SYSRESP_HEAD;
	unsigned n;

	if (blen < SP_SYSRESP_HEAD)
		return EINVAL;
	retval[0] = (int64_t)sp_get64(body);
	retval[1] = (int64_t)sp_get64(body + 8);
	n = sp_get32(body + 16);
	if (n > maxck || sp_get32(body + 20) != 0)
		return EINVAL;
	for (unsigned i = 0; i < n; i++) {
		size_t padded;

		if (blen - off < SP_CHUNK_WIRE)
			return EINVAL;
		ck[i].ck_addr = sp_get64(body + off);
		ck[i].ck_len = sp_get32(body + off + 8);
		if (sp_get32(body + off + 12) != 0 || ck[i].ck_len == 0)
			return EINVAL;
		off += SP_CHUNK_WIRE;
		padded = sp_pad8(ck[i].ck_len);
		if (blen - off < padded)
			return EINVAL;
		ck[i].ck_data = body + off;
		off += padded;
	}
	*nck = n;
	return off == blen ? 0 : EINVAL;
}
