/*
 * sp_proto.h — the sysproxy wire format, shared by the server (librumpuser,
 * rumpuser_sp.c) and the client (librumpclient).  docs/sysproxy.md is the
 * specification; this header is its C form.
 *
 * Everything on the wire is little-endian with fixed-size fields, so the
 * format does not depend on the host's struct layout or word size.  The
 * functions below encode and decode it; sp_frame.c holds the pure parsers
 * (no I/O, no global state) that the server, the client, the fuzzer and
 * the tests share.
 *
 * Host code only: this header includes libc headers.
 */
#ifndef PLATFORM_POSIX_SP_PROTO_H
#define PLATFORM_POSIX_SP_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The banner: "RUMPK-SP-<major>.<minor>-<ostype>-<osrelease>/<machine>\n" */
#define SP_BANNER_PREFIX "RUMPK-SP-"
#define SP_VERSION_MAJOR 1
#define SP_VERSION_MINOR 0
#define SP_BANNER_MAX    128

/* Frame header: 24 bytes. */
#define SP_HDR_LEN 24
struct sp_hdr {
	uint64_t h_len;   /* whole frame, header included */
	uint64_t h_reqno; /* request number; a response echoes it */
	uint16_t h_class; /* SP_REQ, SP_RESP, SP_ERROR */
	uint16_t h_type;  /* SP_T_* */
	uint32_t h_arg;   /* syscall number | errno | subtype | signal */
};

enum sp_class { SP_REQ = 0, SP_RESP = 1, SP_ERROR = 2, SP_NCLASS };
enum sp_type {
	SP_T_HANDSHAKE = 0,
	SP_T_SYSCALL = 1,
	SP_T_COPYIN = 2,
	SP_T_COPYINSTR = 3,
	SP_T_COPYOUT = 4,
	SP_T_COPYOUTSTR = 5,
	SP_T_ANONMMAP = 6,
	SP_T_PREFORK = 7,
	SP_T_RAISE = 8,
	SP_NTYPE
};
/* Handshake subtypes (h_arg of a HANDSHAKE request). */
enum sp_hs {
	SP_HS_GUEST = 0,
	SP_HS_ATTACH = 1,
	SP_HS_FORK = 2,
	SP_HS_EXEC = 3
};

/* Limits.  A frame longer than SP_MAXFRAME is malformed. */
#define SP_MAXARGS   8
#define SP_MAXREGS   16
#define SP_CARRY_MAX (1024 * 1024) /* region bytes carried per frame */
#define SP_MAXFRAME  (SP_CARRY_MAX + 64 * 1024)
#define SP_COMM_MAX  64
#define SP_COOKIE    16
#define SP_MAXCHUNKS 64 /* in one SYSCALL reply */

/* Region flags of a SYSCALL request. */
#define SP_RG_IN  0x01 /* the client's bytes follow in the request */
#define SP_RG_OUT 0x02 /* the kernel's writes come back in the reply */
#define SP_RG_STR 0x04 /* with IN: a string, its NUL the last byte */
#define SP_RG_ALL (SP_RG_IN | SP_RG_OUT | SP_RG_STR)

/* A region of client memory named in a SYSCALL request. */
struct sp_region {
	uint64_t rg_addr;
	uint32_t rg_len;
	uint32_t rg_flags;
	const uint8_t *rg_data; /* decoded: the carried bytes (IN), or NULL */
};
#define SP_REGION_WIRE 16

/* A decoded SYSCALL request body. */
struct sp_sysreq {
	unsigned sr_nargs;
	unsigned sr_nregs;
	int64_t sr_args[SP_MAXARGS];
	struct sp_region sr_regs[SP_MAXREGS];
};

/* A chunk of a SYSCALL reply: data the kernel wrote to client memory. */
struct sp_chunk {
	uint64_t ck_addr;
	uint32_t ck_len;
	const uint8_t *ck_data;
};
#define SP_CHUNK_WIRE   16
#define SP_SYSRESP_HEAD 24 /* retval[2], nchunks, pad */

static inline uint64_t
sp_get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static inline uint32_t
sp_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline uint16_t
sp_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline void
sp_put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline void
sp_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline void
sp_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline size_t
sp_pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static inline void
sp_hdr_encode(uint8_t *p, uint64_t len, uint64_t reqno, unsigned cls,
    unsigned type, uint32_t arg)
{
	sp_put64(p, len);
	sp_put64(p + 8, reqno);
	sp_put16(p + 16, (uint16_t)cls);
	sp_put16(p + 18, (uint16_t)type);
	sp_put32(p + 20, arg);
}

/*
 * sp_frame.c.  Each returns 0 or EINVAL (malformed) and never reads
 * outside [buf, buf + len).  Decoded pointers point into the buffer.
 */
/* Decodes and checks a header: length within limits, known class/type. */
int sp_hdr_decode(const uint8_t *buf, struct sp_hdr *h);
/* Decodes a SYSCALL request body of blen bytes. */
int sp_sysreq_decode(const uint8_t *body, size_t blen, struct sp_sysreq *sr);
/* Size of the encoded body of sr (with its IN data); 0 if over limits. */
size_t sp_sysreq_size(const struct sp_sysreq *sr);
/* Encodes sr's body into buf (sp_sysreq_size bytes), taking IN data
 * from rg_data. */
void sp_sysreq_encode(uint8_t *buf, const struct sp_sysreq *sr);
/* Only the fixed part (counts, arguments, region table); its length. */
size_t sp_sysreq_encode_fixed(uint8_t *buf, const struct sp_sysreq *sr);
/*
 * Decodes a SYSCALL reply body: retval and the chunks, at most maxck of
 * them into ck; *nck gets their number.
 */
int sp_sysresp_decode(const uint8_t *body, size_t blen, int64_t retval[2],
    struct sp_chunk *ck, unsigned maxck, unsigned *nck);

#endif /* PLATFORM_POSIX_SP_PROTO_H */
