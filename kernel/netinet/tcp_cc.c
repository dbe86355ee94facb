/*
 * tcp_cc.c — congestion control modules: NewReno (RFC 5681 with appropriate
 * byte counting, RFC 3465; the recovery itself, RFC 6582 and SACK, is in
 * tcp_input.c/tcp_output.c) and CUBIC (RFC 8312), the default.  Windows
 * are in bytes.  A module is chosen per connection (TCP_CONGESTION) or for
 * new connections (/proc/sys/net/ipv4/tcp_congestion_control).
 */
#include "netinet/tcp_var.h"

#define TCP_CWND_MAX (1U << 30)

static uint32_t
tcp_flight(const struct tcpcb *tp)
{
	return tp->snd_max - tp->snd_una;
}

static void
tcp_slowstart_or_ca(struct tcpcb *tp, uint32_t acked, bool ca)
{
	uint32_t mss = tp->t_maxseg;

	if (tp->snd_cwnd < tp->snd_ssthresh) {
		/* Slow start: one window per RTT, counting acked bytes. */
		uint32_t inc = MIN(acked, 4 * mss);

		tp->snd_cwnd = MIN(tp->snd_cwnd + inc, TCP_CWND_MAX);
		return;
	}
	if (ca) {
		/* Congestion avoidance: one MSS per window acked. */
		uint64_t inc = (uint64_t)mss * acked / tp->snd_cwnd;

		if (inc == 0)
			inc = 1;
		tp->snd_cwnd = (uint32_t)MIN(tp->snd_cwnd + inc, TCP_CWND_MAX);
	}
}

/* ------------------------------------------------------------- NewReno */

static void
newreno_init(struct tcpcb *tp)
{
	uint32_t iw = (uint32_t)atomic_load_relaxed(&tcp_tun.init_cwnd_segs);

	tp->snd_cwnd = iw * tp->t_maxseg;
	if (tp->snd_cwnd < 2 * tp->t_maxseg)
		tp->snd_cwnd = 2 * tp->t_maxseg;
}

static void
newreno_ack(struct tcpcb *tp, uint32_t acked)
{
	tcp_slowstart_or_ca(tp, acked, true);
}

static void
newreno_loss(struct tcpcb *tp)
{
	tp->snd_ssthresh = MAX(tcp_flight(tp) / 2, 2 * tp->t_maxseg);
}

static void
newreno_rto(struct tcpcb *tp)
{
	newreno_loss(tp);
	tp->snd_cwnd = tp->t_maxseg;
}

static void
newreno_recovered(struct tcpcb *tp)
{
	/* RFC 6582 3.2 step 3, the "min" option. */
	tp->snd_cwnd = MIN(
	    tp->snd_ssthresh, MAX(tcp_flight(tp), tp->t_maxseg) + tp->t_maxseg);
	if (tp->snd_cwnd < 2 * tp->t_maxseg)
		tp->snd_cwnd = 2 * tp->t_maxseg;
}

const struct tcp_cc_algo tcp_cc_newreno = {
    .cc_name = "reno",
    .cc_init = newreno_init,
    .cc_ack = newreno_ack,
    .cc_loss = newreno_loss,
    .cc_rto = newreno_rto,
    .cc_recovered = newreno_recovered,
};

/* --------------------------------------------------------------- CUBIC */

/* beta = 0.7, C = 0.4 (RFC 8312 4.5, 5.1). */
#define CUBIC_BETA_NUM 7
#define CUBIC_BETA_DEN 10

/* Integer cube root (bisection; x below 2^63). */
static uint64_t
cubic_cbrt(uint64_t x)
{
	uint64_t lo = 0, hi = 2097152; /* 2^21: hi^3 = 2^63 */

	while (lo + 1 < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (mid * mid * mid <= x)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static void
cubic_reset(struct tcpcb *tp)
{
	tp->t_cubic.cu_epoch_ns = 0;
}

static void
cubic_init(struct tcpcb *tp)
{
	newreno_init(tp);
	memset(&tp->t_cubic, 0, sizeof(tp->t_cubic));
}

/*
 * Congestion avoidance (RFC 8312 4.1-4.3) in 64-bit integers: times in
 * milliseconds, windows in bytes.  W_cubic(t) = C (t - K)^3 + W_max with
 * C = 0.4 segments/s^3, evaluated one RTT ahead.
 */
static void
cubic_ack(struct tcpcb *tp, uint32_t acked)
{
	struct tcp_cubic *cu = &tp->t_cubic;
	uint32_t mss = tp->t_maxseg, cwnd = tp->snd_cwnd;
	uint64_t now, rtt_ms;
	int64_t d, target, cube;

	if (cwnd < tp->snd_ssthresh) {
		tcp_slowstart_or_ca(tp, acked, false);
		return;
	}
	now = getnanouptime();
	if (cu->cu_epoch_ns == 0) {
		cu->cu_epoch_ns = now;
		cu->cu_acked = 0;
		cu->cu_west = cwnd;
		if (cwnd < cu->cu_wmax) {
			/* K = cbrt((W_max - cwnd) / C) s, segments in 1/16. */
			uint64_t q4 = (uint64_t)(cu->cu_wmax - cwnd) * 16 / mss;

			cu->cu_k_us = cubic_cbrt(q4 * 156250000ULL) * 1000;
			cu->cu_origin = cu->cu_wmax;
		} else {
			cu->cu_k_us = 0;
			cu->cu_origin = cwnd;
		}
	}
	rtt_ms = (tp->t_rtt_min ? tp->t_rtt_min : tp->t_srtt) / 1000000;
	d = (int64_t)((now - cu->cu_epoch_ns) / 1000000 + rtt_ms) -
	    (int64_t)(cu->cu_k_us / 1000);
	if (d > 1000000)
		d = 1000000;
	if (d < -1000000)
		d = -1000000;
	cube = d * d * d / 1000000; /* ms^3 / 1e6 */
	target = (int64_t)cu->cu_origin + cube * 4 * (int64_t)mss / 10000;
	if (target > (int64_t)cwnd + cwnd / 2)
		target = (int64_t)cwnd + cwnd / 2;
	if (target < 0)
		target = 0;
	/* The Reno-friendly estimate (RFC 8312 4.2). */
	cu->cu_acked += acked;
	{
		uint64_t inc = (uint64_t)acked * mss * 3 *
		    (CUBIC_BETA_DEN - CUBIC_BETA_NUM) /
		    ((CUBIC_BETA_DEN + CUBIC_BETA_NUM) * (uint64_t)cwnd);

		cu->cu_west =
		    (uint32_t)MIN((uint64_t)cu->cu_west + inc, TCP_CWND_MAX);
	}
	if (target > (int64_t)cwnd) {
		uint64_t inc = (uint64_t)(target - cwnd) * acked / cwnd;

		cwnd = (uint32_t)MIN((uint64_t)cwnd + inc, TCP_CWND_MAX);
	}
	if (cu->cu_west > cwnd)
		cwnd = cu->cu_west;
	tp->snd_cwnd = cwnd;
}

static void
cubic_loss(struct tcpcb *tp)
{
	struct tcp_cubic *cu = &tp->t_cubic;
	uint32_t cwnd = tp->snd_cwnd;

	/* Fast convergence (RFC 8312 4.6). */
	if (cwnd < cu->cu_wlast_max)
		cu->cu_wmax = (uint32_t)((uint64_t)cwnd *
		    (CUBIC_BETA_DEN + CUBIC_BETA_NUM) / (2 * CUBIC_BETA_DEN));
	else
		cu->cu_wmax = cwnd;
	cu->cu_wlast_max = cwnd;
	tp->snd_ssthresh =
	    MAX((uint32_t)((uint64_t)cwnd * CUBIC_BETA_NUM / CUBIC_BETA_DEN),
	        2 * tp->t_maxseg);
	cubic_reset(tp);
}

static void
cubic_rto(struct tcpcb *tp)
{
	cubic_loss(tp);
	tp->snd_cwnd = tp->t_maxseg;
}

static void
cubic_recovered(struct tcpcb *tp)
{
	tp->snd_cwnd = MAX(tp->snd_ssthresh, 2 * tp->t_maxseg);
	cubic_reset(tp);
}

const struct tcp_cc_algo tcp_cc_cubic = {
    .cc_name = "cubic",
    .cc_init = cubic_init,
    .cc_ack = cubic_ack,
    .cc_loss = cubic_loss,
    .cc_rto = cubic_rto,
    .cc_recovered = cubic_recovered,
};

const struct tcp_cc_algo *
tcp_cc_find(const char *name)
{
	if (strcmp(name, "cubic") == 0)
		return &tcp_cc_cubic;
	if (strcmp(name, "reno") == 0 || strcmp(name, "newreno") == 0)
		return &tcp_cc_newreno;
	return NULL;
}
