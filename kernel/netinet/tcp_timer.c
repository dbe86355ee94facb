/*
 * tcp_timer.c — a connection's five timers (retransmission, persist,
 * keepalive, 2MSL, delayed ACK) on one callout.
 *
 * Each timer is a deadline in t_timer[] (0: off), set and cleared under
 * so_lock.  The callout is scheduled for the earliest deadline only when a
 * timer is armed earlier than the callout's current deadline
 * (t_callout_at); pushing a deadline later (the retransmission timer on
 * every ACK) costs no callout call: when the callout fires early it finds
 * nothing due and schedules itself for the new earliest deadline.  That
 * keeps the global callout lock off the per-segment path.
 *
 * Race with close: the callout takes so_lock and returns at once if the
 * connection is TF_DEAD; the tcpcb and the socket are freed only by the
 * reaper after callout_halt (tcp_subr.c), so the callout never sees freed
 * memory.
 */
#include "netinet/tcp_var.h"

static void tcp_timer_callout(void *arg);

void
tcp_timer_init(struct tcpcb *tp)
{
	callout_init(&tp->t_callout, tcp_timer_callout, tp);
}

static void
tcp_timer_resched(struct tcpcb *tp, uint64_t deadline)
{
	if (tp->t_callout_at == 0 || deadline < tp->t_callout_at) {
		tp->t_callout_at = deadline;
		callout_schedule_at(&tp->t_callout, deadline);
	}
}

/* Arms timer which to fire delta ns from now (so_lock held). */
void
tcp_timer_arm(struct tcpcb *tp, int which, uint64_t delta_ns)
{
	uint64_t d;

	KASSERT(solocked(tp->t_socket));
	if (tp->t_flags & TF_DEAD)
		return;
	d = getnanouptime() + delta_ns;
	if (d == 0)
		d = 1;
	atomic_store_relaxed(&tp->t_timer[which], d);
	tcp_timer_resched(tp, d);
}

/* Disarms a timer: lazily, the callout just finds nothing due. */
void
tcp_timer_disarm(struct tcpcb *tp, int which)
{
	atomic_store_relaxed(&tp->t_timer[which], 0);
}

void
tcp_timer_stopall(struct tcpcb *tp)
{
	for (int i = 0; i < TCPT_NTIMERS; i++)
		atomic_store_relaxed(&tp->t_timer[i], 0);
	(void)callout_stop(&tp->t_callout);
	tp->t_callout_at = 0;
}

void
tcp_canceltimers(struct tcpcb *tp)
{
	for (int i = 0; i < TCPT_NTIMERS; i++)
		tcp_timer_disarm(tp, i);
}

/* The retransmission timeout with backoff, clamped to [rto_min, rto_max]. */
uint64_t
tcp_rexmt_delta(const struct tcpcb *tp)
{
	uint64_t rto = tp->t_rto;
	uint64_t max = atomic_load_relaxed(&tcp_tun.rto_max_ns);
	uint64_t min = atomic_load_relaxed(&tcp_tun.rto_min_ns);
	int shift = tp->t_rxtshift;

	if (rto < min)
		rto = min;
	while (shift-- > 0 && rto < max)
		rto <<= 1;
	return rto > max ? max : rto;
}

/*
 * The retransmission timer for data in flight.  With SACK, outside
 * recovery and with a round trip known, it first fires as a tail loss
 * probe (RFC 8985 7): after PTO = 2 SRTT (+ the delayed ACK time when one
 * segment is out), at least 10 ms, the last segment is sent again so that
 * a lost tail shows up in a SACK instead of costing an RTO.
 */
void
tcp_rexmt_arm(struct tcpcb *tp)
{
	uint64_t rto = tcp_rexmt_delta(tp);

	if ((tp->t_flags & TF_SACK_PERMIT) && tp->t_srtt != 0 &&
	    tp->t_rxtshift == 0 &&
	    !(tp->t_flags & (TF_INRECOVERY | TF_TLP_SENT)) &&
	    (tp->t_state == TCPS_ESTABLISHED ||
	        tp->t_state == TCPS_CLOSE_WAIT)) {
		uint64_t pto = 2 * tp->t_srtt;

		if (tp->snd_max - tp->snd_una <= tp->t_maxseg)
			pto += atomic_load_relaxed(&tcp_tun.delack_ns);
		if (pto < 10000000)
			pto = 10000000;
		if (pto < rto) {
			tp->t_flags |= TF_TLP_ARMED;
			tcp_timer_arm(tp, TCPT_REXMT, pto);
			return;
		}
	}
	tp->t_flags &= ~TF_TLP_ARMED;
	tcp_timer_arm(tp, TCPT_REXMT, rto);
}

/* Starts the keepalive timer of an established connection (the callout
 * checks SO_KEEPALIVE when it fires, so setting it later works). */
void
tcp_keep_arm(struct tcpcb *tp)
{
	tp->t_keepprobes = 0;
	if (TCPS_HAVEESTABLISHED(tp->t_state) && tp->t_state != TCPS_TIME_WAIT)
		tcp_timer_arm(tp, TCPT_KEEP, tp->t_keepidle);
}

/* Persist: window probes with backoff while the peer's window is 0. */
void
tcp_setpersist(struct tcpcb *tp)
{
	uint64_t t = tp->t_srtt ? tp->t_srtt + 4 * tp->t_rttvar : tp->t_rto;
	uint64_t min = atomic_load_relaxed(&tcp_tun.rto_min_ns);

	if (t < min)
		t = min;
	for (int i = 0; i < tp->t_persist_shift && t < 60ULL * 1000000000; i++)
		t <<= 1;
	if (t > 60ULL * 1000000000)
		t = 60ULL * 1000000000;
	tcp_timer_arm(tp, TCPT_PERSIST, t);
	if (tp->t_persist_shift < 12)
		tp->t_persist_shift++;
}

static void
tcp_timer_rexmt(struct tcpcb *tp)
{
	int limit;

	if (tp->snd_una == tp->snd_max &&
	    !(tp->t_state == TCPS_SYN_SENT || tp->t_state == TCPS_SYN_RECEIVED))
		return; /* nothing outstanding: a stale deadline */
	if (tp->t_flags & TF_TLP_ARMED) {
		tp->t_flags &= ~TF_TLP_ARMED;
		tcp_tlp_send(tp);
		return;
	}
	tp->t_rxtshift++;
	if (tp->t_state == TCPS_SYN_SENT)
		limit = tp->t_syncnt
		    ? tp->t_syncnt
		    : atomic_load_relaxed(&tcp_tun.syn_retries);
	else if (tp->t_state == TCPS_SYN_RECEIVED)
		limit = atomic_load_relaxed(&tcp_tun.synack_retries);
	else
		limit = atomic_load_relaxed(&tcp_tun.retries2);
	if (tp->t_rxtshift > limit) {
		TCP_STATINC(tcps_rexmttimeo);
		if (tp->t_state == TCPS_SYN_RECEIVED)
			tcp_close(tp);
		else
			tcp_drop(tp, ETIMEDOUT);
		return;
	}
	TCP_STATINC(tcps_rexmttimeo);
	if (TCPS_HAVEESTABLISHED(tp->t_state) && tp->snd_max != tp->snd_una &&
	    tp->t_rxtshift == 1)
		tp->t_cc->cc_rto(tp);
	else if (TCPS_HAVEESTABLISHED(tp->t_state))
		tp->snd_cwnd = tp->t_maxseg;
	/* Karn: no RTT sample from a retransmitted segment; the receiver may
	 * have reneged on SACKed data (RFC 2018), so the scoreboard goes. */
	tp->t_rtt_start = 0;
	tp->t_flags &= ~TF_INRECOVERY;
	tp->t_dupacks = 0;
	tcp_sack_clear(tp);
	tp->snd_recover = tp->snd_max;
	tp->snd_nxt = tp->snd_una;
	tp->t_retrans_out = 0;
	if (tp->t_flags & TF_SENTFIN && SEQ_LEQ(tp->snd_fin, tp->snd_una))
		tp->t_flags &= ~TF_SENTFIN;
	(void)tcp_output(tp);
	/* tcp_output arms the timer again with the new backoff. */
	if (!(tp->t_flags & TF_DEAD) && !tcp_timer_active(tp, TCPT_REXMT))
		tcp_timer_arm(tp, TCPT_REXMT, tcp_rexmt_delta(tp));
}

static void
tcp_timer_persist(struct tcpcb *tp)
{
	struct socket *so = tp->t_socket;

	TCP_STATINC(tcps_persisttimeo);
	if (so->so_snd.sb_cc <= tp->snd_nxt - tp->snd_una) {
		tp->t_persist_shift = 0;
		return;
	}
	/* A zero window is probed on and on; data held back for another
	 * reason (a window too small to fill a segment) just goes out. */
	if (tp->snd_wnd == 0)
		tcp_setpersist(tp);
	tp->t_flags |= TF_FORCE;
	(void)tcp_output(tp);
	tp->t_flags &= ~TF_FORCE;
}

static void
tcp_timer_keep(struct tcpcb *tp)
{
	struct socket *so = tp->t_socket;
	uint64_t now = getnanouptime(), idle;

	if (!TCPS_HAVEESTABLISHED(tp->t_state) || tp->t_state == TCPS_TIME_WAIT)
		return;
	if (!(so->so_options & SO_OPT_KEEPALIVE)) {
		tcp_timer_arm(tp, TCPT_KEEP, tp->t_keepidle);
		return;
	}
	if (tp->snd_max != tp->snd_una) {
		/* Data in flight: the retransmission timer watches. */
		tp->t_keepprobes = 0;
		tcp_timer_arm(tp, TCPT_KEEP, tp->t_keepidle);
		return;
	}
	idle = now - tp->t_rcvtime;
	if (idle < tp->t_keepidle && tp->t_keepprobes == 0) {
		tcp_timer_arm(tp, TCPT_KEEP, tp->t_keepidle - idle);
		return;
	}
	if (tp->t_keepprobes >= tp->t_keepcnt) {
		TCP_STATINC(tcps_keepdrops);
		tcp_drop(tp, ETIMEDOUT);
		return;
	}
	/* A probe: one byte of old sequence space, no data; the peer must
	 * answer with an ACK (RFC 1122 4.2.3.6). */
	(void)tcp_send_ctl(tp, tp->snd_una - 1, tp->rcv_nxt, TH_ACK);
	tp->t_keepprobes++;
	tcp_timer_arm(tp, TCPT_KEEP, tp->t_keepintvl);
}

static void
tcp_timer_2msl(struct tcpcb *tp)
{
	if (tp->t_state == TCPS_TIME_WAIT ||
	    (tp->t_state == TCPS_FIN_WAIT_2 && (tp->t_flags & TF_ORPHAN)))
		tcp_close(tp);
}

static void
tcp_timer_delack(struct tcpcb *tp)
{
	if (tp->t_flags & TF_DELACK) {
		/* No reply carried the ACK in time: not interactive. */
		tp->t_flags &= ~TF_PINGPONG;
		tp->t_flags |= TF_ACKNOW;
		(void)tcp_output(tp);
	}
}

static void (*const tcp_timer_fns[TCPT_NTIMERS])(struct tcpcb *) = {
    [TCPT_REXMT] = tcp_timer_rexmt,
    [TCPT_PERSIST] = tcp_timer_persist,
    [TCPT_KEEP] = tcp_timer_keep,
    [TCPT_2MSL] = tcp_timer_2msl,
    [TCPT_DELACK] = tcp_timer_delack,
};

static void
tcp_timer_callout(void *arg)
{
	struct tcpcb *tp = arg;
	struct socket *so = tp->t_socket;
	uint64_t now, next;

	solock(so);
	if (tp->t_flags & TF_DEAD) {
		sounlock(so);
		return;
	}
	tp->t_callout_at = 0;
	now = getnanouptime();
	for (int i = 0; i < TCPT_NTIMERS && !(tp->t_flags & TF_DEAD); i++) {
		uint64_t d = tp->t_timer[i];

		if (d != 0 && d <= now) {
			atomic_store_relaxed(&tp->t_timer[i], 0);
			tcp_timer_fns[i](tp);
		}
	}
	if (!(tp->t_flags & TF_DEAD)) {
		next = 0;
		for (int i = 0; i < TCPT_NTIMERS; i++)
			if (tp->t_timer[i] != 0 &&
			    (next == 0 || tp->t_timer[i] < next))
				next = tp->t_timer[i];
		if (next != 0)
			tcp_timer_resched(tp, next);
	}
	sounlock(so);
}
