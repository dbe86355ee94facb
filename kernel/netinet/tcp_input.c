/*
 * tcp_input.c — segments arriving: checks, the connection lookup, and the
 * state machine of RFC 9293 section 3.10.7 with RFC 7323 (PAWS, window
 * scale), RFC 5961 (challenge ACKs for RST/SYN/ACK that do not fit),
 * RFC 2018 (SACK), RFC 5681/6582 (fast retransmit, NewReno), delayed
 * ACKs, and the listen path (a SYN makes a child socket with sonewconn on
 * the listener's so_q0; the final ACK moves it to so_q).
 *
 * Runs in the receiving thread (lo0's softint or a driver's), without any
 * socket lock on entry; takes the connection's so_lock (a listener's, then
 * the child's).  Every field of the packet is read only after its length
 * was checked: a malformed segment is counted and dropped.
 *
 * The fast path ("header prediction") handles the two common cases of a
 * bulk transfer with nothing unusual going on: a pure ACK for new data,
 * and the next in-order data segment with nothing queued out of order.
 */
#include "netinet/tcp_var.h"
#include "net/net_batch.h"

struct tcp_opt {
	int to_flags;
	uint32_t to_mss;
	uint8_t to_wscale;
	uint32_t to_tsval, to_tsecr;
	const uint8_t *to_sacks;
	int to_nsacks;
};
#define TOF_MSS      0x01
#define TOF_SCALE    0x02
#define TOF_SACKPERM 0x04
#define TOF_TS       0x08
#define TOF_SACK     0x10

#define PAWS_IDLE_NS   (24ULL * 24 * 3600 * 1000000000) /* RFC 7323 5.5 */
#define TSTMP_LT(a, b) ((int32_t)((a) - (b)) < 0)

static void
tcp_dooptions(struct tcp_opt *to, const uint8_t *cp, int cnt, bool syn)
{
	int opt, optlen;

	to->to_flags = 0;
	for (; cnt > 0; cnt -= optlen, cp += optlen) {
		opt = cp[0];
		if (opt == TCPOPT_EOL)
			break;
		if (opt == TCPOPT_NOP) {
			optlen = 1;
			continue;
		}
		if (cnt < 2)
			break;
		optlen = cp[1];
		if (optlen < 2 || optlen > cnt)
			break;
		switch (opt) {
		case TCPOPT_MAXSEG:
			if (optlen != TCPOLEN_MAXSEG || !syn)
				continue;
			to->to_flags |= TOF_MSS;
			to->to_mss = (uint32_t)cp[2] << 8 | cp[3];
			break;
		case TCPOPT_WINDOW:
			if (optlen != TCPOLEN_WINDOW || !syn)
				continue;
			to->to_flags |= TOF_SCALE;
			to->to_wscale = MIN(cp[2], TCP_MAXWINSCALE);
			break;
		case TCPOPT_SACK_PERMITTED:
			if (optlen != TCPOLEN_SACK_PERMITTED || !syn)
				continue;
			to->to_flags |= TOF_SACKPERM;
			break;
		case TCPOPT_TIMESTAMP:
			if (optlen != TCPOLEN_TIMESTAMP)
				continue;
			to->to_flags |= TOF_TS;
			memcpy(&to->to_tsval, cp + 2, 4);
			memcpy(&to->to_tsecr, cp + 6, 4);
			to->to_tsval = ntohl(to->to_tsval);
			to->to_tsecr = ntohl(to->to_tsecr);
			break;
		case TCPOPT_SACK:
			if (optlen <= 2 || (optlen - 2) % TCPOLEN_SACK != 0 ||
			    syn)
				continue;
			to->to_flags |= TOF_SACK;
			to->to_sacks = cp + 2;
			to->to_nsacks = (optlen - 2) / TCPOLEN_SACK;
			break;
		default:
			break;
		}
	}
}

/* ---------------------------------------------------------- RTT, RTO */

/*
 * A round-trip sample (RFC 6298 2.3).  The RTO is SRTT + max(4 RTTVAR,
 * rto_min), like Linux: with rto_min = 200 ms the timer never fires
 * before a delayed ACK (40 ms) could have come, even on a link with
 * microsecond round trips (lo0).
 */
void
tcp_xmit_timer(struct tcpcb *tp, uint64_t rtt)
{
	uint64_t min = atomic_load_relaxed(&tcp_tun.rto_min_ns);
	uint64_t max = atomic_load_relaxed(&tcp_tun.rto_max_ns);

	if (rtt == 0)
		rtt = 1000; /* 1 µs: a sample was taken */
	if (tp->t_srtt == 0) {
		tp->t_srtt = rtt;
		tp->t_rttvar = rtt / 2;
	} else {
		uint64_t delta =
		    tp->t_srtt > rtt ? tp->t_srtt - rtt : rtt - tp->t_srtt;

		tp->t_rttvar = (3 * tp->t_rttvar + delta) / 4;
		tp->t_srtt = (7 * tp->t_srtt + rtt) / 8;
	}
	if (tp->t_rtt_min == 0 || rtt < tp->t_rtt_min)
		tp->t_rtt_min = rtt;
	tp->t_rto = tp->t_srtt + MAX(4 * tp->t_rttvar, min);
	if (tp->t_rto > max)
		tp->t_rto = max;
	tp->t_rxtshift = 0;
}

/* ------------------------------------------------------ buffer tuning */

unsigned
tcp_rscale_for(struct socket *so)
{
	size_t space =
	    (so->so_rcv.sb_flags & SB_AUTOSIZE) ? SB_MAX : so->so_rcv.sb_hiwat;
	unsigned s = 0;

	while (s < TCP_MAXWINSCALE && ((size_t)TCP_MAXWIN << s) < space)
		s++;
	return s;
}

/*
 * Receive buffer autotuning (what Linux calls dynamic right-sizing): once
 * per measurement window (a round trip, at least 1 ms) the buffer grows to
 * twice what the reader took in that window, so the window we offer stays
 * ahead of what the reader can drain.  Called when the user reads.
 */
void
tcp_rcv_autotune(struct tcpcb *tp)
{
	struct socket *so = tp->t_socket;
	uint64_t now, win, copied, want;

	if (!(so->so_rcv.sb_flags & SB_AUTOSIZE) ||
	    !atomic_load_relaxed(&tcp_tun.autotune))
		return;
	tp->t_bytes_read = tp->t_bytes_received - so->so_rcv.sb_cc;
	now = getnanouptime();
	win = MAX(tp->t_srtt, 1000000ULL);
	if (tp->t_rcvat_ns == 0) {
		tp->t_rcvat_ns = now;
		tp->t_rcvat_read = tp->t_bytes_read;
		return;
	}
	if (now - tp->t_rcvat_ns < win)
		return;
	copied = tp->t_bytes_read - tp->t_rcvat_read;
	/* Scale to one window, then keep twice that. */
	copied = copied * win / (now - tp->t_rcvat_ns);
	want = 2 * copied;
	if (want > so->so_rcv.sb_hiwat && so->so_rcv.sb_hiwat < SB_MAX) {
		if (want > SB_MAX)
			want = SB_MAX;
		(void)sbreserve(&so->so_rcv, (size_t)want);
	}
	tp->t_rcvat_ns = now;
	tp->t_rcvat_read = tp->t_bytes_read;
}

/* Send buffer autotuning: room for two congestion windows. */
static void
tcp_snd_autotune(struct tcpcb *tp)
{
	struct socket *so = tp->t_socket;
	uint64_t want;

	if (!(so->so_snd.sb_flags & SB_AUTOSIZE) ||
	    !atomic_load_relaxed(&tcp_tun.autotune))
		return;
	want =
	    2 * (uint64_t)MIN(tp->snd_cwnd, MAX(tp->max_sndwnd, tp->snd_wnd));
	if (want > so->so_snd.sb_hiwat + so->so_snd.sb_hiwat / 4 &&
	    so->so_snd.sb_hiwat < SB_MAX) {
		if (want > SB_MAX)
			want = SB_MAX;
		(void)sbreserve(&so->so_snd, (size_t)want);
	}
}

/* ---------------------------------------------------------- reassembly */

void
tcp_reass_flush(struct tcpcb *tp)
{
	struct tcp_reass *r;

	while ((r = tp->t_reass) != NULL) {
		tp->t_reass = r->tr_next;
		m_freem(r->tr_m);
		kmem_free(r, sizeof(*r));
	}
	tp->t_reass_bytes = 0;
	tp->t_reass_segs = 0;
}

/* Appends in-order data to so_rcv (or drops it after SHUT_RD). */
static void
tcp_deliver(struct tcpcb *tp, struct mbuf *m, int len)
{
	struct socket *so = tp->t_socket;

	tp->rcv_nxt += (uint32_t)len;
	tp->t_bytes_received += (uint64_t)len;
	if (m == NULL)
		return;
	if (so->so_state & SS_CANTRCVMORE)
		m_freem(m);
	else
		sbappendstream(&so->so_rcv, m);
}

/*
 * Queues an out-of-order segment [seq, seq + len) (m: its data, consumed)
 * and then moves whatever became in order to so_rcv.  Returns true when a
 * queued FIN became in order (the caller processes it).  *deliveredp is
 * set when data went to so_rcv.
 */
static bool
tcp_reass(struct tcpcb *tp, tcp_seq seq, int len, struct mbuf *m, bool fin,
    bool *deliveredp)
{
	struct socket *so = tp->t_socket;
	struct tcp_reass *r, **pp, *q;

	if (len > 0 || fin) {
		/* Bound the queue by the receive buffer. */
		if (tp->t_reass_segs >= 4096 ||
		    tp->t_reass_bytes + len >
		        (long)so->so_rcv.sb_hiwat + (long)tp->t_maxseg) {
			m_freem(m);
			return false;
		}
		pp = &tp->t_reass;
		while (*pp != NULL && SEQ_LEQ((*pp)->tr_seq, seq) &&
		    !((*pp)->tr_seq == seq && len > (*pp)->tr_len))
			pp = &(*pp)->tr_next;
		/* Overlap with the predecessor: trim our front. */
		for (q = tp->t_reass; q != NULL && q->tr_next != *pp;
		     q = q->tr_next)
			;
		if (*pp == tp->t_reass)
			q = NULL;
		if (q != NULL) {
			tcp_seq qend = q->tr_seq + (uint32_t)q->tr_len;

			if (SEQ_GT(qend, seq)) {
				int over = (int)(qend - seq);

				if (over >= len) {
					/* Entirely duplicate. */
					q->tr_fin |= fin && over == len;
					m_freem(m);
					TCP_STATINC(tcps_rcvduppack);
					goto deliver;
				}
				m_adj(m, over);
				seq += (uint32_t)over;
				len -= over;
			}
		}
		/* Successors we cover: drop or trim them. */
		while ((r = *pp) != NULL &&
		    SEQ_LT(r->tr_seq, seq + (uint32_t)len)) {
			int over = (int)(seq + (uint32_t)len - r->tr_seq);

			if (over >= r->tr_len) {
				fin |= r->tr_fin;
				*pp = r->tr_next;
				tp->t_reass_bytes -= r->tr_len;
				tp->t_reass_segs--;
				m_freem(r->tr_m);
				kmem_free(r, sizeof(*r));
				continue;
			}
			m_adj(r->tr_m, over);
			r->tr_seq += (uint32_t)over;
			r->tr_len -= over;
			tp->t_reass_bytes -= over;
			break;
		}
		r = kmem_alloc(sizeof(*r), KM_NOSLEEP);
		if (r == NULL) {
			m_freem(m);
			goto deliver;
		}
		r->tr_seq = seq;
		r->tr_len = len;
		r->tr_fin = fin;
		r->tr_m = m;
		r->tr_next = *pp;
		*pp = r;
		tp->t_reass_bytes += len;
		tp->t_reass_segs++;
		tp->t_rcv_lastsack = seq;
	}
deliver:
	while ((r = tp->t_reass) != NULL && SEQ_LEQ(r->tr_seq, tp->rcv_nxt)) {
		bool rfin = r->tr_fin;
		int skip = (int)(tp->rcv_nxt - r->tr_seq);

		tp->t_reass = r->tr_next;
		tp->t_reass_bytes -= r->tr_len;
		tp->t_reass_segs--;
		if (skip >= r->tr_len) {
			m_freem(r->tr_m);
			if (skip > r->tr_len)
				rfin = false;
		} else {
			if (skip > 0)
				m_adj(r->tr_m, skip);
			tcp_deliver(tp, r->tr_m, r->tr_len - skip);
			*deliveredp = true;
		}
		kmem_free(r, sizeof(*r));
		if (rfin) {
			tcp_reass_flush(tp);
			return true;
		}
	}
	return false;
}

/* ------------------------------------------------------------ helpers */

static void
tcp_established(struct tcpcb *tp)
{
	struct socket *so = tp->t_socket;

	tcp_set_state(tp, TCPS_ESTABLISHED);
	TCP_STATINC(tcps_connects);
	tcp_mss_update(tp);
	tp->t_cc->cc_init(tp);
	tp->t_flags |= TF_CONNECTED;
	soisconnected(so);
	tcp_keep_arm(tp);
	if (tp->t_flags & TF_NEEDFIN)
		tcp_set_state(tp, TCPS_FIN_WAIT_1);
}

/* The options of a SYN we got, into the connection (SYN_SENT/LISTEN). */
static void
tcp_syn_options(struct tcpcb *tp, const struct tcp_opt *to)
{
	if (to->to_flags & TOF_MSS)
		tp->t_peermss = to->to_mss < 64 ? 64 : to->to_mss;
	else
		tp->t_peermss = TCP_DEFAULT_MSS;
	if ((tp->t_flags & TF_REQ_SCALE) && (to->to_flags & TOF_SCALE)) {
		tp->t_flags |= TF_RCVD_SCALE;
		tp->snd_scale = to->to_wscale;
		tp->rcv_scale = tp->request_r_scale;
	} else {
		tp->t_flags &= ~(TF_REQ_SCALE | TF_RCVD_SCALE);
		tp->snd_scale = tp->rcv_scale = 0;
	}
	if ((tp->t_flags & TF_REQ_TSTMP) && (to->to_flags & TOF_TS)) {
		tp->t_flags |= TF_RCVD_TSTMP;
		tp->ts_recent = to->to_tsval;
		tp->ts_recent_age = getnanouptime();
	} else
		tp->t_flags &= ~(TF_REQ_TSTMP | TF_RCVD_TSTMP);
	if ((tp->t_flags & TF_REQ_SACK) && (to->to_flags & TOF_SACKPERM))
		tp->t_flags |= TF_SACK_PERMIT;
	else
		tp->t_flags &= ~(TF_REQ_SACK | TF_SACK_PERMIT);
}

/* Whether to ACK now or later (delayed ACK: every second full segment,
 * 40 ms at most; at once while in quick-ACK mode). */
static void
tcp_ack_policy(struct tcpcb *tp, int tlen, bool push)
{
	if (tlen <= 0)
		return;
	if ((uint32_t)tlen > tp->t_rcvmss)
		tp->t_rcvmss = MIN((uint32_t)tlen, tp->t_ourmss);
	if ((uint32_t)tlen > tp->t_ourmss)
		TCP_STATINC(tcps_rcvbig); /* coalesced by GRO (a TAP) */
	tp->t_unacked += (uint32_t)tlen;
	if (tp->t_quickack > 0) {
		tp->t_quickack--;
		tp->t_flags |= TF_ACKNOW;
	} else if (tp->t_flags & TF_QUICKACK)
		tp->t_flags |= TF_ACKNOW;
	else if (tp->t_unacked >= 2 * tcp_rcvmss(tp))
		tp->t_flags |= TF_ACKNOW;
	else if (!(tp->t_flags & TF_DELACK)) {
		tp->t_flags |= TF_DELACK;
		tcp_timer_arm(
		    tp, TCPT_DELACK, atomic_load_relaxed(&tcp_tun.delack_ns));
	}
	(void)push;
}

/* ------------------------------------------------------- batched output */

/* The deferred tcp_output of a batch (net_batch.h); so is locked. */
static void
tcp_batch_output(struct socket *so)
{
	struct tcpcb *tp = sototcpcb(so);

	if (tp != NULL && !(tp->t_flags & TF_DEAD) &&
	    tp->t_state != TCPS_CLOSED)
		(void)tcp_output(tp);
}

/*
 * How much data a deferred ACK may cover: a quarter of the window we can
 * offer, so that the sender has room to go on sending while the batch is
 * still being taken in; at least two segments.
 */
static uint32_t
tcp_stretch_max(const struct tcpcb *tp)
{
	uint32_t w = (uint32_t)MIN(tp->t_socket->so_rcv.sb_hiwat, UINT32_MAX);

	if (tp->t_rwin_clamp != 0 && tp->t_rwin_clamp < w)
		w = tp->t_rwin_clamp;
	return MAX(w / 4, 2 * tcp_rcvmss(tp));
}

/*
 * tcp_output, at the end of the receiver's batch when there is one: the
 * ACK owed for the segments of the batch goes out once (a stretch ACK of
 * at most a quarter window, as Linux's GRO makes them), and new data once
 * for all the ACKs of the batch.  Only for the synchronized states, where
 * nothing but an ACK or more data can come of it.
 */
static void
tcp_output_batched(struct tcpcb *tp)
{
	if ((tp->t_state != TCPS_ESTABLISHED &&
	        tp->t_state != TCPS_CLOSE_WAIT) ||
	    tp->t_unacked >= tcp_stretch_max(tp) ||
	    !net_batch_so(tp->t_socket, NET_BATCH_OUTPUT, tcp_batch_output))
		(void)tcp_output(tp);
}

/* ---------------------------------------------------------------- listen */

struct tcp_seg {
	in_addr_t src, dst; /* network order */
	in_port_t sport, dport;
	tcp_seq seq, ack;
	uint32_t win; /* unscaled */
	int flags;
	int tlen;
	struct tcp_opt to;
};

static void
tcp_reset_for(const struct tcp_seg *s)
{
	if (s->flags & TH_RST)
		return;
	if (IN_MULTICAST(s->dst) || s->dst == INADDR_BROADCAST ||
	    IN_MULTICAST(s->src) || s->src == INADDR_BROADCAST ||
	    s->src == INADDR_ANY)
		return;
	if (s->flags & TH_ACK)
		tcp_respond(
		    s->dst, s->dport, s->src, s->sport, s->ack, 0, TH_RST);
	else {
		uint32_t len = (uint32_t)s->tlen +
		    ((s->flags & TH_SYN) ? 1 : 0) +
		    ((s->flags & TH_FIN) ? 1 : 0);

		tcp_respond(s->dst, s->dport, s->src, s->sport, 0, s->seq + len,
		    TH_RST | TH_ACK);
	}
}

/*
 * A segment for listener head (locked): a SYN makes a child connection
 * in SYN_RECEIVED on the listener's so_q0 and answers SYN-ACK.  A full
 * queue drops the SYN (the peer retries), as Linux does.
 */
static void
tcp_input_listen(struct socket *head, struct tcpcb *ltp, struct tcp_seg *s)
{
	struct socket *so;
	struct inpcb *inp, *linp = ltp->t_inpcb;
	struct tcpcb *tp;

	if (s->flags & TH_RST)
		return;
	if (s->flags & TH_ACK) {
		tcp_reset_for(s);
		return;
	}
	if (!(s->flags & TH_SYN))
		return;
	if (IN_MULTICAST(s->dst) || s->dst == INADDR_BROADCAST ||
	    IN_MULTICAST(s->src) || s->src == INADDR_BROADCAST ||
	    s->src == INADDR_ANY || in_broadcast(s->dst, NULL))
		return;
	/* A child already made for this 4-tuple (a retransmitted SYN). */
	inp = in_pcblookup(tcbtable, s->src, s->sport, s->dst, s->dport, false);
	if (inp != NULL) {
		in_pcbunref(inp);
		return;
	}
	so = sonewconn(head, false);
	if (so == NULL) {
		TCP_STATINC(tcps_listendrop);
		return;
	}
	solock(so);
	inp = so->so_pcb;
	tp = inp != NULL ? inp->inp_ppcb : NULL;
	if (tp == NULL) {
		sounlock(so);
		return;
	}
	inp->inp_laddr = s->dst;
	inp->inp_lport = s->dport;
	inp->inp_faddr = s->src;
	inp->inp_fport = s->sport;
	inp->inp_ttl = linp->inp_ttl;
	inp->inp_tos = linp->inp_tos;
	in_pcbrehash(inp);
	/* What the listener's options say, as Linux children inherit. */
	tp->t_flags |= ltp->t_flags & (TF_NODELAY | TF_CORK);
	tp->t_flags =
	    (tp->t_flags & ~(TF_REQ_SCALE | TF_REQ_TSTMP | TF_REQ_SACK)) |
	    (ltp->t_flags & (TF_REQ_SCALE | TF_REQ_TSTMP | TF_REQ_SACK));
	tp->t_keepidle = ltp->t_keepidle;
	tp->t_keepintvl = ltp->t_keepintvl;
	tp->t_keepcnt = ltp->t_keepcnt;
	tp->t_usermss = ltp->t_usermss;
	tp->t_lingertime = ltp->t_lingertime;
	tp->t_cc = ltp->t_cc;
	tp->t_rcvtime = getnanouptime();

	tp->irs = s->seq;
	tp->rcv_nxt = s->seq + 1;
	tp->rcv_adv = tp->rcv_nxt;
	tp->iss = tcp_new_isn(s->dst, s->dport, s->src, s->sport);
	tp->snd_una = tp->snd_nxt = tp->snd_max = tp->iss;
	tp->snd_sml = tp->iss;
	tp->snd_recover = tp->iss;
	tp->t_rxt_next = tp->iss;
	tp->ts_offset = tcp_ts_offset(s->dst, s->src);
	tp->request_r_scale = (uint8_t)tcp_rscale_for(so);
	tcp_syn_options(tp, &s->to);
	tp->snd_wnd = s->win; /* a SYN's window is never scaled */
	tp->max_sndwnd = tp->snd_wnd;
	tp->snd_wl1 = s->seq;
	tp->snd_wl2 = tp->iss;
	tp->t_ourmss = tcp_mss_for_route(tp);
	if (tp->t_usermss && tp->t_usermss < tp->t_ourmss)
		tp->t_ourmss = tp->t_usermss;
	tcp_mss_update(tp);
	tcp_set_state(tp, TCPS_SYN_RECEIVED);
	TCP_STATINC(tcps_accepts);
	(void)tcp_output(tp);
	sounlock(so);
}

/* ------------------------------------------------------------- SYN_SENT */

/* Returns true when the caller should go on with the segment's ACK/data
 * (never: data on a SYN-ACK is dropped and the peer resends it). */
static void
tcp_input_synsent(struct tcpcb *tp, struct tcp_seg *s)
{
	struct socket *so = tp->t_socket;

	if ((s->flags & TH_ACK) &&
	    (SEQ_LEQ(s->ack, tp->iss) || SEQ_GT(s->ack, tp->snd_max))) {
		if (!(s->flags & TH_RST))
			tcp_reset_for(s);
		return;
	}
	if (s->flags & TH_RST) {
		if (s->flags & TH_ACK)
			tcp_drop(tp, ECONNREFUSED);
		return;
	}
	if (!(s->flags & TH_SYN))
		return;
	tp->irs = s->seq;
	tp->rcv_nxt = s->seq + 1;
	tp->rcv_adv = tp->rcv_nxt;
	tcp_syn_options(tp, &s->to);
	if (s->flags & TH_ACK) {
		tp->snd_una = s->ack;
		if (SEQ_LT(tp->snd_nxt, tp->snd_una))
			tp->snd_nxt = tp->snd_una;
		if (tp->t_rtt_start != 0 && tp->t_rxtshift == 0)
			tcp_xmit_timer(tp, getnanouptime() - tp->t_rtt_start);
		tp->t_rtt_start = 0;
		tp->t_rxtshift = 0;
		tcp_timer_disarm(tp, TCPT_REXMT);
		tp->snd_wnd = s->win;
		tp->max_sndwnd = tp->snd_wnd;
		tp->snd_wl1 = s->seq;
		tp->snd_wl2 = s->ack;
		tp->snd_recover = tp->snd_una;
		tp->t_rxt_next = tp->snd_una;
		tcp_established(tp);
		tp->t_flags |= TF_ACKNOW;
		(void)tcp_output(tp);
		(void)so;
		return;
	}
	/* Simultaneous open: SYN_RECEIVED, our SYN again with an ACK. */
	tcp_set_state(tp, TCPS_SYN_RECEIVED);
	tp->snd_wnd = s->win;
	tp->snd_wl1 = s->seq;
	tp->snd_nxt = tp->iss;
	tcp_timer_disarm(tp, TCPT_REXMT);
	(void)tcp_output(tp);
}

/* ------------------------------------------------------------------ main */

static bool tcp_input_conn(struct tcpcb *tp, struct tcp_seg *s, struct mbuf *m);

void
tcp_input(struct mbuf *m, int off)
{
	struct ip *ip;
	struct tcphdr *th;
	struct tcp_seg s;
	struct inpcb *inp;
	struct socket *so;
	struct tcpcb *tp;
	int tlen, thoff;

	TCP_STATINC(tcps_rcvtotal);
	if (off < IP_MINHDR || m->m_pkthdr.len < off + TCP_MINHDR) {
		TCP_STATINC(tcps_rcvshort);
		goto drop;
	}
	if (m->m_len < off + TCP_MINHDR &&
	    (m = m_pullup(m, off + TCP_MINHDR)) == NULL) {
		TCP_STATINC(tcps_rcvshort);
		return;
	}
	ip = mtod(m, struct ip *);
	tlen = m->m_pkthdr.len - off;
	if (!(m->m_pkthdr.csum_flags & M_CSUM_DATA_OK) &&
	    in4_cksum(m, IPPROTO_TCP, off, tlen, ip->ip_src.s_addr,
	        ip->ip_dst.s_addr) != 0) {
		TCP_STATINC(tcps_rcvbadsum);
		goto drop;
	}
	th = (struct tcphdr *)(void *)(mtod(m, char *) + off);
	thoff = TH_OFF(th);
	if (thoff < TCP_MINHDR || thoff > tlen) {
		TCP_STATINC(tcps_rcvbadoff);
		goto drop;
	}
	if (m->m_len < off + thoff) {
		if ((m = m_pullup(m, off + thoff)) == NULL) {
			TCP_STATINC(tcps_rcvshort);
			return;
		}
		ip = mtod(m, struct ip *);
		th = (struct tcphdr *)(void *)(mtod(m, char *) + off);
	}
	s.src = ip->ip_src.s_addr;
	s.dst = ip->ip_dst.s_addr;
	s.sport = th->th_sport;
	s.dport = th->th_dport;
	s.seq = ntohl(th->th_seq);
	s.ack = ntohl(th->th_ack);
	s.win = ntohs(th->th_win);
	s.flags = th->th_flags;
	s.tlen = tlen - thoff;
	s.to.to_flags = 0;
	if (thoff > TCP_MINHDR)
		tcp_dooptions(&s.to, (const uint8_t *)(th + 1),
		    thoff - TCP_MINHDR, (s.flags & TH_SYN) != 0);
	if (s.sport == 0 || s.dport == 0)
		goto drop;
	/* From here on m holds the segment's data only. */
	m_adj(m, off + thoff);

	inp = in_pcblookup(tcbtable, s.src, s.sport, s.dst, s.dport, true);
	if (inp == NULL)
		goto dropwithreset;
	so = inp->inp_socket;
	solock(so);
	tp = inp->inp_ppcb;
	if ((inp->inp_flags & INP_DEAD) || tp == NULL ||
	    (tp->t_flags & TF_DEAD) || tp->t_state == TCPS_CLOSED) {
		sounlock(so);
		in_pcbunref(inp);
		/* A connection just closed, not yet reaped: a new SYN for
		 * its 4-tuple goes to the listener. */
		if ((s.flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN)
			goto listen;
		goto dropwithreset;
	}
	if (tp->t_state == TCPS_LISTEN) {
		tcp_input_listen(so, tp, &s);
		sounlock(so);
		in_pcbunref(inp);
		goto drop;
	}
	if (!tcp_input_conn(tp, &s, m)) {
		sounlock(so);
		in_pcbunref(inp);
		return;
	}
	/* TIME_WAIT ended by a new SYN: on to the listener. */
	sounlock(so);
	in_pcbunref(inp);
	m = NULL;
listen:
	/* faddr 0 matches no connection: the best listener on the port. */
	inp = in_pcblookup(tcbtable, INADDR_ANY, 0, s.dst, s.dport, true);
	if (inp == NULL)
		goto dropwithreset;
	so = inp->inp_socket;
	solock(so);
	tp = inp->inp_ppcb;
	if (!(inp->inp_flags & INP_DEAD) && tp != NULL &&
	    !(tp->t_flags & TF_DEAD) && tp->t_state == TCPS_LISTEN)
		tcp_input_listen(so, tp, &s);
	sounlock(so);
	in_pcbunref(inp);
	goto drop;

dropwithreset:
	tcp_reset_for(&s);
drop:
	m_freem(m);
}

/*
 * A segment for a connection (so_lock held): RFC 9293 3.10.7.4 in order —
 * sequence check (with PAWS), RST, SYN, ACK, data, FIN.  Consumes m.
 */
static bool
tcp_input_conn(struct tcpcb *tp, struct tcp_seg *s, struct mbuf *m)
{
	struct socket *so = tp->t_socket;
	uint32_t tiwin;
	int todrop, thflags = s->flags, tlen = s->tlen;
	tcp_seq seq = s->seq, ack = s->ack;
	bool ourfinisacked = false, needoutput = false, delivered = false;
	bool wakewriter = false, sackchanged = false;
	uint64_t now = getnanouptime();

	tp->t_segs_in++;
	tp->t_rcvtime = now;
	tp->t_keepprobes = 0;
	if (tlen > 0)
		tp->t_data_segs_in++;

	if (tp->t_state == TCPS_SYN_SENT) {
		tcp_input_synsent(tp, s);
		m_freem(m);
		return false;
	}
	tiwin = (thflags & TH_SYN) ? s->win : s->win << tp->snd_scale;

	/* ---- Header prediction. */
	if (tp->t_state == TCPS_ESTABLISHED &&
	    (thflags & (TH_SYN | TH_FIN | TH_RST | TH_URG | TH_ACK)) ==
	        TH_ACK &&
	    (!(tp->t_flags & TF_RCVD_TSTMP) ||
	        ((s->to.to_flags & TOF_TS) &&
	            !TSTMP_LT(s->to.to_tsval, tp->ts_recent))) &&
	    seq == tp->rcv_nxt && tiwin != 0 && tiwin == tp->snd_wnd &&
	    tp->snd_nxt == tp->snd_max && !(tp->t_flags & TF_INRECOVERY) &&
	    !(s->to.to_flags & TOF_SACK) && tp->t_nsack == 0) {
		if (s->to.to_flags & TOF_TS) {
			tp->ts_recent = s->to.to_tsval;
			tp->ts_recent_age = now;
		}
		if (tlen == 0 && SEQ_GT(ack, tp->snd_una) &&
		    SEQ_LEQ(ack, tp->snd_max) &&
		    ack - tp->snd_una <= so->so_snd.sb_cc) {
			uint32_t acked = ack - tp->snd_una;

			TCP_STATINC(tcps_predack);
			if (tp->t_rtt_start != 0 && SEQ_GT(ack, tp->t_rtseq)) {
				tcp_xmit_timer(tp, now - tp->t_rtt_start);
				tp->t_rtt_start = 0;
			}
			tp->t_rxtshift = 0;
			tp->t_dupacks = 0;
			tp->t_cc->cc_ack(tp, acked);
			sbdrop(&so->so_snd, (int)acked);
			tp->snd_una = ack;
			tp->snd_wl2 = ack;
			tp->t_retrans_out = 0;
			tp->t_bytes_acked += acked;
			tp->t_lastack_ns = now;
			tp->t_flags &= ~TF_TLP_SENT;
			if (tp->snd_una == tp->snd_max)
				tcp_timer_disarm(tp, TCPT_REXMT);
			else
				tcp_rexmt_arm(tp);
			tcp_snd_autotune(tp);
			sowwakeup(so);
			if (so->so_snd.sb_cc > tp->snd_nxt - tp->snd_una ||
			    (tp->t_flags & TF_NEEDFIN))
				tcp_output_batched(tp);
			m_freem(m);
			return false;
		}
		if (tlen > 0 && ack == tp->snd_una && tp->t_reass == NULL &&
		    (long)tlen <= sbspace(&so->so_rcv) &&
		    !(so->so_state & SS_CANTRCVMORE)) {
			TCP_STATINC(tcps_preddat);
			tp->t_lastdata_rcv_ns = now;
			tcp_deliver(tp, m, tlen);
			sorwakeup(so);
			tcp_ack_policy(tp, tlen, (thflags & TH_PSH) != 0);
			if (tp->t_flags & TF_ACKNOW)
				tcp_output_batched(tp);
			return false;
		}
	}

	/*
	 * A new connection reusing the 4-tuple of one in TIME_WAIT (RFC 6191,
	 * as BSD and Linux do): a SYN with a newer timestamp, or without
	 * timestamps a higher sequence number, ends the TIME_WAIT and goes on
	 * to the listener.
	 */
	if (tp->t_state == TCPS_TIME_WAIT &&
	    (thflags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN &&
	    (((s->to.to_flags & TOF_TS) && (tp->t_flags & TF_RCVD_TSTMP))
	            ? TSTMP_LT(tp->ts_recent, s->to.to_tsval)
	            : SEQ_GT(seq, tp->rcv_nxt))) {
		TCP_STATINC(tcps_timewait_reused);
		tcp_close(tp);
		m_freem(m);
		return true;
	}

	/* ---- RFC 7323 PAWS. */
	if ((s->to.to_flags & TOF_TS) && (tp->t_flags & TF_RCVD_TSTMP) &&
	    !(thflags & TH_RST) && tp->ts_recent != 0 &&
	    TSTMP_LT(s->to.to_tsval, tp->ts_recent)) {
		if (now - tp->ts_recent_age > PAWS_IDLE_NS) {
			tp->ts_recent = 0;
		} else {
			TCP_STATINC(tcps_rcvduppack);
			goto dropafterack;
		}
	}

	/* ---- RST (RFC 5961 3.2): exact match resets, in window challenges. */
	if (thflags & TH_RST) {
		uint32_t rwnd = MAX(tcp_rcv_window(tp), 1u);

		if (SEQ_GEQ(seq, tp->rcv_nxt) &&
		    SEQ_LT(seq, tp->rcv_nxt + rwnd)) {
			if (seq != tp->rcv_nxt) {
				if (tcp_challenge_ack_ok())
					(void)tcp_send_ctl(tp, tp->snd_nxt,
					    tp->rcv_nxt, TH_ACK);
				goto drop;
			}
			switch (tp->t_state) {
			case TCPS_SYN_RECEIVED:
				/* A passive open goes back: the child dies. */
				tcp_close(tp);
				break;
			case TCPS_ESTABLISHED:
			case TCPS_FIN_WAIT_1:
			case TCPS_FIN_WAIT_2:
			case TCPS_CLOSE_WAIT:
				soseterror(so,
				    (tp->t_state == TCPS_CLOSE_WAIT)
				        ? EPIPE
				        : ECONNRESET);
				tcp_close(tp);
				break;
			default:
				tcp_close(tp);
				break;
			}
		}
		goto drop;
	}

	/* ---- SYN in a synchronized state (RFC 5961 4): challenge ACK. */
	if ((thflags & TH_SYN) && tp->t_state != TCPS_SYN_RECEIVED) {
		if (tcp_challenge_ack_ok())
			(void)tcp_send_ctl(
			    tp, tp->snd_nxt, tp->rcv_nxt, TH_ACK);
		goto drop;
	}
	if ((thflags & TH_SYN) && tp->t_state == TCPS_SYN_RECEIVED) {
		if (seq != tp->irs)
			goto drop;
		if (!(thflags & TH_ACK) || ack != tp->iss + 1) {
			/* The peer's SYN again: our SYN-ACK was lost. */
			tp->snd_nxt = tp->iss;
			(void)tcp_output(tp);
			goto drop;
		}
		/* Simultaneous open: the peer's SYN-ACK acknowledges our
		 * SYN; its SYN is old news, the rest is processed. */
		thflags &= ~TH_SYN;
		seq++;
	}

	/* ---- Trim to the receive window. */
	todrop = (int)(tp->rcv_nxt - seq);
	if (todrop > 0) {
		if (todrop > tlen || (todrop == tlen && !(thflags & TH_FIN))) {
			/* A complete duplicate: ACK it (the peer lost ours). */
			TCP_STATINC(tcps_rcvduppack);
			tp->t_flags |= TF_ACKNOW;
			thflags &= ~TH_FIN;
			todrop = tlen;
		}
		m_adj(m, todrop);
		seq += (uint32_t)todrop;
		tlen -= todrop;
	}
	/* Data after the user closed: RST (RFC 9293 3.10.7.4, Linux). */
	if ((tp->t_flags & TF_ORPHAN) && tlen > 0 &&
	    tp->t_state > TCPS_CLOSE_WAIT) {
		tcp_drop(tp, 0);
		goto drop;
	}
	{
		uint32_t rwnd = tcp_rcv_window(tp);

		todrop = (int)((seq + (uint32_t)tlen) - (tp->rcv_nxt + rwnd));
		if (todrop > 0) {
			if (todrop >= tlen) {
				/* Entirely outside: a window probe gets an ACK.
				 */
				if (rwnd == 0 && seq == tp->rcv_nxt)
					tp->t_flags |= TF_ACKNOW;
				else if (tlen > 0 || (thflags & TH_FIN)) {
					TCP_STATINC(tcps_rcvduppack);
					goto dropafterack;
				}
			}
			if (todrop > tlen)
				todrop = tlen;
			m_adj(m, -todrop);
			tlen -= todrop;
			thflags &= ~(TH_PSH | TH_FIN);
		}
	}
	/* Remember the timestamp to echo (RFC 7323 4.3: of the segment that
	 * covers the left edge of the window). */
	if ((s->to.to_flags & TOF_TS) && (tp->t_flags & TF_RCVD_TSTMP) &&
	    SEQ_LEQ(seq, tp->rcv_nxt) &&
	    SEQ_GEQ(
	        seq + (uint32_t)tlen + ((thflags & (TH_SYN | TH_FIN)) ? 1 : 0),
	        tp->rcv_nxt)) {
		tp->ts_recent = s->to.to_tsval;
		tp->ts_recent_age = now;
	}

	/* ---- ACK. */
	if (!(thflags & TH_ACK))
		goto drop;
	if (tp->t_state == TCPS_SYN_RECEIVED) {
		struct socket *head = atomic_load_acquire(&so->so_head);

		if (SEQ_LEQ(ack, tp->snd_una) || SEQ_GT(ack, tp->snd_max)) {
			tcp_reset_for(s);
			goto drop;
		}
		/*
		 * The listener's accept queue is full: ignore the ACK, as
		 * Linux does; the child stays in SYN_RECEIVED and its SYN-ACK
		 * retransmission gets the peer to ACK again later.  (so_head
		 * is read without the queue lock: the listener cannot go
		 * away while its child's lock is held, soclose aborts the
		 * children first.)
		 */
		if (head != NULL &&
		    atomic_load_relaxed(&head->so_qlen) >
		        atomic_load_relaxed(&head->so_qlimit)) {
			TCP_STATINC(tcps_listendrop);
			goto drop;
		}
		if (tp->t_rtt_start != 0 && tp->t_rxtshift == 0)
			tcp_xmit_timer(tp, now - tp->t_rtt_start);
		tp->t_rtt_start = 0;
		tp->snd_wnd = tiwin;
		tp->max_sndwnd = tiwin;
		tp->snd_wl1 = seq;
		tp->snd_wl2 = ack;
		tcp_timer_disarm(tp, TCPT_KEEP);
		tcp_established(tp);
		/* The SYN's sequence number is acknowledged. */
		tp->snd_una++;
		tp->snd_recover = tp->snd_una;
		tp->t_rxt_next = tp->snd_una;
		if (tp->snd_una == tp->snd_max) {
			tcp_timer_disarm(tp, TCPT_REXMT);
			tp->t_rxtshift = 0;
		}
	}
	/* RFC 5961 5.2: an ACK outside what we sent draws a challenge. */
	if (SEQ_GT(ack, tp->snd_max) ||
	    SEQ_LT(ack, tp->snd_una - MAX(tp->max_sndwnd, 65535u))) {
		if (tcp_challenge_ack_ok())
			goto dropafterack;
		goto drop;
	}
	if ((tp->t_flags & TF_SACK_PERMIT) && (s->to.to_flags & TOF_SACK) &&
	    tp->snd_max != tp->snd_una) {
		uint32_t before = tp->t_sacked;
		int nb = tp->t_nsack;

		tcp_sack_update(tp, s->to.to_sacks, s->to.to_nsacks);
		sackchanged = tp->t_sacked != before || tp->t_nsack != nb;
		/*
		 * Data sent after our retransmission of the hole at snd_una
		 * was SACKed, the hole was not filled: that retransmission
		 * was lost too (Linux's lost-retransmit detection, RACK's
		 * idea).  Resend the holes from snd_una.
		 */
		if ((tp->t_flags & (TF_INRECOVERY | TF_RXT_MARK)) ==
		        (TF_INRECOVERY | TF_RXT_MARK) &&
		    ack == tp->t_rxt_una && tp->t_nsack > 0 &&
		    SEQ_GT(tp->t_sack[tp->t_nsack - 1].end, tp->t_rxt_mark)) {
			tp->t_flags &= ~TF_RXT_MARK;
			tp->t_rxt_next = tp->snd_una;
			TCP_STATINC(tcps_lostrexmt);
		}
	}

	if (SEQ_LEQ(ack, tp->snd_una)) {
		/* ---- Duplicate ACK? (RFC 5681 2, with SACK news). */
		if (ack == tp->snd_una && tlen == 0 &&
		    !(thflags & (TH_SYN | TH_FIN)) &&
		    tp->snd_max != tp->snd_una && tiwin != 0 &&
		    (tiwin == tp->snd_wnd || sackchanged)) {
			uint32_t mss = tp->t_maxseg;

			tp->t_dupacks++;
			if (tp->t_flags & TF_INRECOVERY) {
				if (!(tp->t_flags & TF_SACK_PERMIT))
					tp->snd_cwnd += mss; /* inflate */
				needoutput = true;
			} else if (tp->t_dupacks >= 3 ||
			    ((tp->t_flags & TF_SACK_PERMIT) &&
			        (tp->t_sacked >= 3 * mss ||
			            ((tp->t_flags & TF_TLP_SENT) &&
			                tp->t_nsack > 0)))) {
				if (SEQ_LT(ack, tp->snd_recover) &&
				    tp->snd_recover != tp->snd_una) {
					/* RFC 6582 4.1: still the old
					 * window's losses; no new recovery. */
					tp->t_dupacks = 0;
				} else {
					tp->t_cc->cc_loss(tp);
					tp->snd_recover = tp->snd_max;
					tp->t_flags |= TF_INRECOVERY;
					tp->t_rtt_start = 0;
					TCP_STATINC(tcps_fastrexmt);
					tcp_timer_disarm(tp, TCPT_REXMT);
					if (tp->t_flags & TF_SACK_PERMIT) {
						tp->snd_cwnd = tp->snd_ssthresh;
						tp->t_rxt_next = tp->snd_una;
						(void)tcp_output(tp);
					} else {
						tcp_seq onxt = tp->snd_nxt;

						tp->snd_nxt = tp->snd_una;
						tp->snd_cwnd = mss;
						(void)tcp_output(tp);
						tp->snd_cwnd =
						    tp->snd_ssthresh + 3 * mss;
						if (SEQ_GT(onxt, tp->snd_nxt))
							tp->snd_nxt = onxt;
					}
					if (!tcp_timer_active(tp, TCPT_REXMT))
						tcp_timer_arm(tp, TCPT_REXMT,
						    tcp_rexmt_delta(tp));
				}
			} else {
				/* Limited transmit (RFC 3042). */
				uint32_t ocwnd = tp->snd_cwnd;

				tp->snd_cwnd += (uint32_t)tp->t_dupacks * mss;
				(void)tcp_output(tp);
				tp->snd_cwnd = ocwnd;
			}
		} else if (ack != tp->snd_una || tlen > 0 ||
		    tiwin != tp->snd_wnd)
			tp->t_dupacks = 0;
	} else {
		/* ---- New data acknowledged. */
		uint32_t acked = ack - tp->snd_una;

		if (tp->t_flags & TF_INRECOVERY) {
			if (SEQ_GEQ(ack, tp->snd_recover)) {
				tp->t_flags &= ~TF_INRECOVERY;
				tp->t_cc->cc_recovered(tp);
				tp->t_dupacks = 0;
			} else if (!(tp->t_flags & TF_SACK_PERMIT)) {
				/* NewReno partial ACK (RFC 6582 3.2 step 3):
				 * resend the next hole, deflate. */
				tcp_seq onxt = tp->snd_nxt;
				uint32_t ocwnd = tp->snd_cwnd;

				tcp_timer_arm(
				    tp, TCPT_REXMT, tcp_rexmt_delta(tp));
				tp->snd_nxt = ack;
				tp->snd_cwnd = tp->t_maxseg + 0;
				tp->snd_una =
				    ack; /* for tcp_output's offsets */
				sbdrop(&so->so_snd,
				    (int)MIN(
				        acked, (uint32_t)so->so_snd.sb_cc));
				(void)tcp_output(tp);
				if (SEQ_GT(onxt, tp->snd_nxt))
					tp->snd_nxt = onxt;
				tp->snd_cwnd =
				    ocwnd > acked ? ocwnd - acked : 0;
				tp->snd_cwnd += tp->t_maxseg;
				tp->t_bytes_acked += acked;
				acked = 0; /* already dropped */
				needoutput = true;
			}
		} else {
			tp->t_dupacks = 0;
			tp->t_cc->cc_ack(tp, acked);
		}
		if (tp->t_rtt_start != 0 && SEQ_GT(ack, tp->t_rtseq)) {
			tcp_xmit_timer(tp, now - tp->t_rtt_start);
			tp->t_rtt_start = 0;
		}
		tp->t_rxtshift = 0;
		tp->t_retrans_out = 0;
		tp->t_lastack_ns = now;
		if (acked > 0) {
			if (acked > so->so_snd.sb_cc) {
				/* Our FIN is acknowledged too. */
				tp->t_bytes_acked += so->so_snd.sb_cc;
				sbdrop(&so->so_snd, (int)so->so_snd.sb_cc);
				ourfinisacked = (tp->t_flags & TF_SENTFIN) != 0;
			} else {
				tp->t_bytes_acked += acked;
				sbdrop(&so->so_snd, (int)acked);
			}
			tp->snd_una = ack;
		} else if ((tp->t_flags & TF_SENTFIN) &&
		    SEQ_GT(ack, tp->snd_fin))
			ourfinisacked = true;
		tp->snd_una = ack;
		if (SEQ_LT(tp->snd_nxt, tp->snd_una))
			tp->snd_nxt = tp->snd_una;
		if (tp->t_nsack)
			tcp_sack_trim(tp);
		else
			tp->t_rxt_next = tp->snd_una;
		tp->t_flags &= ~TF_TLP_SENT;
		if (SEQ_GT(tp->snd_una, tp->t_rxt_una))
			tp->t_flags &= ~TF_RXT_MARK;
		if (tp->snd_una == tp->snd_max) {
			tcp_timer_disarm(tp, TCPT_REXMT);
			tcp_sack_clear(tp);
		} else if (!tcp_timer_active(tp, TCPT_PERSIST))
			tcp_rexmt_arm(tp);
		tcp_snd_autotune(tp);
		wakewriter = true;
		needoutput = true;

		switch (tp->t_state) {
		case TCPS_FIN_WAIT_1:
			if (ourfinisacked) {
				tcp_set_state(tp, TCPS_FIN_WAIT_2);
				if (tp->t_flags & TF_ORPHAN) {
					/* Nobody reads: do not wait forever
					 * for the peer's FIN. */
					soisdisconnected(so);
					tcp_timer_arm(tp, TCPT_2MSL,
					    tp->t_lingertime
					        ? tp->t_lingertime
					        : atomic_load_relaxed(
					              &tcp_tun.fin_timeout_ns));
				}
			}
			break;
		case TCPS_CLOSING:
			if (ourfinisacked) {
				tcp_set_state(tp, TCPS_TIME_WAIT);
				tcp_canceltimers(tp);
				soisdisconnected(so);
				tcp_timer_arm(tp, TCPT_2MSL,
				    2 * atomic_load_relaxed(&tcp_tun.msl_ns));
			}
			break;
		case TCPS_LAST_ACK:
			if (ourfinisacked) {
				tcp_close(tp);
				goto drop;
			}
			break;
		default:
			break;
		}
	}

	/* ---- Window update (RFC 9293 3.10.7.4, SND.WL1/WL2). */
	if (SEQ_LT(tp->snd_wl1, seq) ||
	    (tp->snd_wl1 == seq && SEQ_LEQ(tp->snd_wl2, ack))) {
		if (tiwin > tp->snd_wnd && tp->snd_wnd == 0) {
			tcp_timer_disarm(tp, TCPT_PERSIST);
			tp->t_persist_shift = 0;
			needoutput = true;
		}
		if (tiwin != tp->snd_wnd)
			needoutput = true;
		tp->snd_wnd = tiwin;
		tp->snd_wl1 = seq;
		tp->snd_wl2 = ack;
		if (tiwin > tp->max_sndwnd)
			tp->max_sndwnd = tiwin;
	}

	/* ---- Data. */
	if ((tlen > 0 || (thflags & TH_FIN)) &&
	    !TCPS_HAVERCVDFIN(tp->t_state)) {
		bool fin = (thflags & TH_FIN) != 0;

		if (tlen > 0)
			tp->t_lastdata_rcv_ns = now;
		if (seq == tp->rcv_nxt && tp->t_reass == NULL) {
			if (tlen > 0) {
				tcp_deliver(tp, m, tlen);
				delivered = true;
				m = NULL;
			}
			tcp_ack_policy(tp, tlen, (thflags & TH_PSH) != 0);
		} else {
			/* Out of order: queue it and ACK at once with SACK
			 * blocks so the sender learns (RFC 5681 4.2). */
			if (seq != tp->rcv_nxt) {
				tp->t_rcv_ooopack++;
				TCP_STATINC(tcps_rcvoopack);
			}
			fin = tcp_reass(tp, seq, tlen, m, fin, &delivered);
			m = NULL;
			tp->t_flags |= TF_ACKNOW;
		}
		if (fin) {
			/* ---- FIN (in order). */
			socantrcvmore(so);
			tp->rcv_nxt++;
			tp->t_flags |= TF_ACKNOW;
			switch (tp->t_state) {
			case TCPS_SYN_RECEIVED:
			case TCPS_ESTABLISHED:
				tcp_set_state(tp, TCPS_CLOSE_WAIT);
				break;
			case TCPS_FIN_WAIT_1:
				tcp_set_state(tp, TCPS_CLOSING);
				break;
			case TCPS_FIN_WAIT_2:
				tcp_set_state(tp, TCPS_TIME_WAIT);
				tcp_canceltimers(tp);
				soisdisconnected(so);
				tcp_timer_arm(tp, TCPT_2MSL,
				    2 * atomic_load_relaxed(&tcp_tun.msl_ns));
				break;
			default:
				break;
			}
		}
	} else if ((thflags & TH_FIN) && tp->t_state == TCPS_TIME_WAIT) {
		/* The peer's FIN again: our last ACK was lost. */
		tp->t_flags |= TF_ACKNOW;
		tcp_timer_arm(
		    tp, TCPT_2MSL, 2 * atomic_load_relaxed(&tcp_tun.msl_ns));
	}
	m_freem(m);
	/* The reorder hook's segment waits no longer than the next ACK. */
	tcp_flush_held(tp);
	if (delivered)
		sorwakeup(so);
	if (wakewriter)
		sowwakeup(so);
	if (needoutput || (tp->t_flags & TF_ACKNOW))
		tcp_output_batched(tp);
	return false;

dropafterack:
	/* Never answer a RST with an ACK. */
	if (!(thflags & TH_RST)) {
		tp->t_flags |= TF_ACKNOW;
		(void)tcp_output(tp);
	}
drop:
	m_freem(m);
	return false;
}
