/*
 * tcp_output.c — deciding what to send and sending it.
 *
 * tcp_output() runs after anything that may let a connection send: user
 * data appended to so_snd (pr_send), an ACK that opened the window, a
 * window update owed to the peer, a timer.  It sends as many segments as
 * the peer's window, the congestion window (or, in SACK recovery, the
 * estimate of data in flight, "pipe", RFC 6675) and Nagle/cork allow.  Data
 * is never copied: a segment is a small header mbuf followed by an m_copym
 * of so_snd sharing its clusters.
 *
 * Offloads (net/mbuf.h): every segment leaves with its checksum partial
 * (M_CSUM_PARTIAL; ip_output or the interface finishes it).  When the
 * route's interface has IFCAP_TSO4, a "segment" may be up to
 * IFCAP_TSO_MAXLEN bytes, a whole number of maxpay-sized segments
 * (M_CSUM_TSOv4, gso_size = maxpay) that the interface or ip_output cuts
 * apart; each part carries the same options (timestamps, SACK blocks).
 * The decisions stay per byte: the windows bound the big segment as
 * they bound a small one, Nagle applies to the short tail, which is sent
 * as a segment of its own, and a retransmission (RTO, SACK hole) may be a
 * big one when cwnd allows.
 *
 * Also here: the sender's SACK scoreboard (tcp_sack_*), the receive window
 * we offer, and the test hooks that drop or reorder outgoing segments.
 */
#include "netinet/ip_var.h"
#include "netinet/tcp_var.h"

static const uint8_t tcp_outflags[TCP_NSTATES] = {
    [TCPS_CLOSED] = TH_RST | TH_ACK,
    [TCPS_LISTEN] = 0,
    [TCPS_SYN_SENT] = TH_SYN,
    [TCPS_SYN_RECEIVED] = TH_SYN | TH_ACK,
    [TCPS_ESTABLISHED] = TH_ACK,
    [TCPS_CLOSE_WAIT] = TH_ACK,
    [TCPS_FIN_WAIT_1] = TH_ACK,
    [TCPS_CLOSING] = TH_ACK,
    [TCPS_LAST_ACK] = TH_ACK,
    [TCPS_FIN_WAIT_2] = TH_ACK,
    [TCPS_TIME_WAIT] = TH_ACK,
};

/* Room in front of the headers for the link layer. */
#define TCP_LINKROOM 32

/* ---------------------------------------------------------- SACK, sender */

static void
tcp_sack_recount(struct tcpcb *tp)
{
	uint32_t n = 0;

	for (int i = 0; i < tp->t_nsack; i++)
		n += tp->t_sack[i].end - tp->t_sack[i].start;
	tp->t_sacked = n;
}

void
tcp_sack_clear(struct tcpcb *tp)
{
	tp->t_nsack = 0;
	tp->t_sacked = 0;
	tp->t_rxt_next = tp->snd_una;
}

/* Forgets what snd_una has passed. */
void
tcp_sack_trim(struct tcpcb *tp)
{
	int i = 0, j = 0;

	for (; i < tp->t_nsack; i++) {
		struct tcp_sackblk b = tp->t_sack[i];

		if (SEQ_LEQ(b.end, tp->snd_una))
			continue;
		if (SEQ_LT(b.start, tp->snd_una))
			b.start = tp->snd_una;
		tp->t_sack[j++] = b;
	}
	tp->t_nsack = j;
	if (SEQ_LT(tp->t_rxt_next, tp->snd_una))
		tp->t_rxt_next = tp->snd_una;
	tcp_sack_recount(tp);
}

/* Adds one block to the sorted, disjoint scoreboard. */
static void
tcp_sack_add(struct tcpcb *tp, tcp_seq s, tcp_seq e)
{
	struct tcp_sackblk *sb = tp->t_sack;
	int n = tp->t_nsack, i, j;

	/* Find the first block that ends at or after s. */
	for (i = 0; i < n && SEQ_LT(sb[i].end, s); i++)
		;
	/* Merge every block that overlaps or touches [s, e). */
	for (j = i; j < n && SEQ_LEQ(sb[j].start, e); j++) {
		s = SEQ_MIN(s, sb[j].start);
		e = SEQ_MAX(e, sb[j].end);
	}
	if (j == i) {
		/* No overlap: insert at i. */
		if (n == TCP_SACK_MAXBLKS) {
			if (i == n)
				return; /* the highest: forget it */
			n--;            /* drop the highest to make room */
		}
		memmove(&sb[i + 1], &sb[i], (size_t)(n - i) * sizeof(*sb));
		sb[i].start = s;
		sb[i].end = e;
		tp->t_nsack = n + 1;
		return;
	}
	sb[i].start = s;
	sb[i].end = e;
	memmove(&sb[i + 1], &sb[j], (size_t)(n - j) * sizeof(*sb));
	tp->t_nsack = n - (j - i - 1);
}

/* Takes the blocks of a received SACK option (raw, 8 bytes each). */
void
tcp_sack_update(struct tcpcb *tp, const uint8_t *blocks, int nblocks)
{
	for (int k = 0; k < nblocks; k++) {
		tcp_seq s, e;

		memcpy(&s, blocks + 8 * k, 4);
		memcpy(&e, blocks + 8 * k + 4, 4);
		s = ntohl(s);
		e = ntohl(e);
		/* Only blocks inside what we sent and above snd_una. */
		if (!SEQ_LT(s, e) || SEQ_LEQ(e, tp->snd_una) ||
		    SEQ_GT(e, tp->snd_max))
			continue;
		if (SEQ_LT(s, tp->snd_una))
			s = tp->snd_una;
		tcp_sack_add(tp, s, e);
	}
	tcp_sack_recount(tp);
}

static tcp_seq
tcp_sack_high(const struct tcpcb *tp)
{
	return tp->t_nsack ? tp->t_sack[tp->t_nsack - 1].end : tp->snd_una;
}

/* Unsacked bytes in [snd_una, min(x, highest sacked)). */
static uint32_t
tcp_sack_holes_below(const struct tcpcb *tp, tcp_seq x)
{
	tcp_seq p = tp->snd_una, high = tcp_sack_high(tp);
	uint32_t n = 0;

	if (SEQ_GT(x, high))
		x = high;
	for (int i = 0; i < tp->t_nsack && SEQ_LT(p, x); i++) {
		tcp_seq hs = tp->t_sack[i].start;

		if (SEQ_GT(hs, p))
			n += SEQ_MIN(hs, x) - p;
		p = SEQ_MAX(p, tp->t_sack[i].end);
	}
	return n;
}

/*
 * Data in flight during SACK recovery (RFC 6675 "pipe", with every hole
 * below the highest SACKed byte taken as lost, as FACK does): what was
 * sent above the highest SACKed byte plus the holes retransmitted since
 * recovery began.
 */
uint32_t
tcp_sack_pipe(const struct tcpcb *tp)
{
	tcp_seq high = tcp_sack_high(tp);
	uint32_t above = SEQ_GT(tp->snd_max, high) ? tp->snd_max - high : 0;

	return above + tcp_sack_holes_below(tp, tp->t_rxt_next);
}

/* The next hole to retransmit, at or after t_rxt_next. */
static bool
tcp_sack_nexthole(const struct tcpcb *tp, tcp_seq *startp, uint32_t *lenp)
{
	tcp_seq p = SEQ_MAX(tp->t_rxt_next, tp->snd_una);

	for (int i = 0; i < tp->t_nsack; i++) {
		const struct tcp_sackblk *b = &tp->t_sack[i];

		if (SEQ_LT(p, b->start)) {
			*startp = p;
			*lenp = b->start - p;
			return true;
		}
		p = SEQ_MAX(p, b->end);
	}
	return false;
}

/* ------------------------------------------------------ receive window */

/*
 * The window to offer: the space left in so_rcv, never less than what we
 * already advertised (no shrinking), with receiver-side silly window
 * avoidance (RFC 9293 3.8.6.2.2).
 */
uint32_t
tcp_rcv_window(struct tcpcb *tp)
{
	struct socket *so = tp->t_socket;
	long space = sbspace(&so->so_rcv);
	uint32_t win, adv, max;

	if (space < 0)
		space = 0;
	win = (uint32_t)space;
	if (win < so->so_rcv.sb_hiwat / 4 && win < tp->t_maxseg)
		win = 0;
	/* No more than the link can hold for us (shmif's ring). */
	if (tp->t_rwin_clamp != 0 && win > tp->t_rwin_clamp)
		win = tp->t_rwin_clamp;
	adv = SEQ_GT(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
	if (win < adv)
		win = adv;
	max = (uint32_t)TCP_MAXWIN << tp->rcv_scale;
	return win > max ? max : win;
}

/* Option bytes every data segment carries (timestamps). */
uint32_t
tcp_optlen(const struct tcpcb *tp)
{
	return (tp->t_flags & TF_RCVD_TSTMP) ? TCPOLEN_TSTAMP_APPA : 0;
}

/* ------------------------------------------------------------ building */

/* Writes our options for a segment; returns their length (multiple of 4). */
static int
tcp_write_opts(struct tcpcb *tp, int flags, uint8_t *opt, int maxsack)
{
	int n = 0;

	if (flags & TH_SYN) {
		uint32_t mss = tp->t_ourmss;

		opt[n++] = TCPOPT_MAXSEG;
		opt[n++] = TCPOLEN_MAXSEG;
		opt[n++] = (uint8_t)(mss >> 8);
		opt[n++] = (uint8_t)mss;
		if ((tp->t_flags & TF_REQ_SCALE) &&
		    (!(flags & TH_ACK) || (tp->t_flags & TF_RCVD_SCALE))) {
			opt[n++] = TCPOPT_NOP;
			opt[n++] = TCPOPT_WINDOW;
			opt[n++] = TCPOLEN_WINDOW;
			opt[n++] = tp->request_r_scale;
		}
		if ((tp->t_flags & TF_REQ_SACK) &&
		    (!(flags & TH_ACK) || (tp->t_flags & TF_SACK_PERMIT))) {
			opt[n++] = TCPOPT_NOP;
			opt[n++] = TCPOPT_NOP;
			opt[n++] = TCPOPT_SACK_PERMITTED;
			opt[n++] = TCPOLEN_SACK_PERMITTED;
		}
	}
	if (((flags & TH_SYN) && (tp->t_flags & TF_REQ_TSTMP) &&
	        (!(flags & TH_ACK) || (tp->t_flags & TF_RCVD_TSTMP))) ||
	    (!(flags & TH_SYN) && (tp->t_flags & TF_RCVD_TSTMP))) {
		uint32_t v = htonl(tcp_tsval(tp));
		uint32_t e = htonl(tp->ts_recent);

		opt[n++] = TCPOPT_NOP;
		opt[n++] = TCPOPT_NOP;
		opt[n++] = TCPOPT_TIMESTAMP;
		opt[n++] = TCPOLEN_TIMESTAMP;
		memcpy(opt + n, &v, 4);
		memcpy(opt + n + 4, &e, 4);
		n += 8;
	}
	if (maxsack > 0 && (tp->t_flags & TF_SACK_PERMIT) &&
	    tp->t_reass != NULL && !(flags & TH_SYN)) {
		struct tcp_sackblk blk[TCP_SACK_RCVBLKS];
		int nb = 0, room = (TCP_MAXOLEN - n - 2) / TCPOLEN_SACK;
		struct tcp_reass *r;

		if (room > maxsack)
			room = maxsack;
		if (room > TCP_SACK_RCVBLKS)
			room = TCP_SACK_RCVBLKS;
		/* The runs of queued data, then the one holding the latest
		 * segment first and the others after it (RFC 2018 4). */
		struct tcp_sackblk runs[16];
		int nr = 0, latest = -1;

		for (r = tp->t_reass; r != NULL && nr < (int)nitems(runs);) {
			tcp_seq s = r->tr_seq,
			        e = r->tr_seq + (uint32_t)r->tr_len;

			r = r->tr_next;
			while (r != NULL && r->tr_seq == e) {
				e += (uint32_t)r->tr_len;
				r = r->tr_next;
			}
			if (SEQ_LEQ(s, tp->t_rcv_lastsack) &&
			    SEQ_LT(tp->t_rcv_lastsack, e))
				latest = nr;
			runs[nr].start = s;
			runs[nr].end = e;
			nr++;
		}
		if (latest >= 0)
			blk[nb++] = runs[latest];
		for (int i = 0; i < nr && nb < room; i++)
			if (i != latest)
				blk[nb++] = runs[i];
		if (nb > 0) {
			opt[n++] = TCPOPT_NOP;
			opt[n++] = TCPOPT_NOP;
			opt[n++] = TCPOPT_SACK;
			opt[n++] = (uint8_t)(2 + nb * TCPOLEN_SACK);
			for (int i = 0; i < nb; i++) {
				uint32_t s = htonl(blk[i].start);
				uint32_t e = htonl(blk[i].end);

				memcpy(opt + n, &s, 4);
				memcpy(opt + n + 4, &e, 4);
				n += 8;
			}
		}
	}
	while (n & 3)
		opt[n++] = TCPOPT_EOL;
	return n;
}

/*
 * Builds a segment: headers in a fresh mbuf, then len bytes of so_snd from
 * offset doff (shared, not copied; small payloads are copied into the
 * header mbuf).  NULL when memory is short.
 */
static struct mbuf *
tcp_build(struct tcpcb *tp, tcp_seq seq, tcp_seq ack, int flags, int doff,
    int len, bool sack, int *hlenp)
{
	struct inpcb *inp = tp->t_inpcb;
	struct socket *so = tp->t_socket;
	uint8_t opt[TCP_MAXOLEN];
	int optlen, hlen;
	struct mbuf *m;
	struct ip *ip;
	struct tcphdr *th;
	uint32_t win;

	optlen = tcp_write_opts(tp, flags, opt, sack ? TCP_SACK_RCVBLKS : 0);
	hlen = (int)(sizeof(struct ip) + sizeof(struct tcphdr)) + optlen;
	m = m_gethdr(M_DONTWAIT, MT_HEADER);
	if (m == NULL)
		return NULL;
	m->m_pkthdr.rcvif = NULL;
	m->m_pkthdr.csum_flags = 0;
	if (len > 0 && len <= MLEN - hlen - TCP_LINKROOM) {
		m->m_data = m->m_dat + TCP_LINKROOM;
		m_copydata(so->so_snd.sb_mb, doff, len, m->m_data + hlen);
		m->m_len = hlen + len;
	} else {
		m->m_data = m->m_dat + MLEN - hlen;
		m->m_len = hlen;
		if (len > 0) {
			m->m_next =
			    m_copym(so->so_snd.sb_mb, doff, len, M_DONTWAIT);
			if (m->m_next == NULL) {
				m_freem(m);
				return NULL;
			}
		}
	}
	m->m_pkthdr.len = hlen + len;
	ip = mtod(m, struct ip *);
	th = (struct tcphdr *)(ip + 1);
	ip->ip_vhl = 0x45;
	ip->ip_tos = inp->inp_tos;
	ip->ip_len = htons((uint16_t)(hlen + len));
	ip->ip_id = 0;
	ip->ip_off = htons(IP_DF);
	ip->ip_ttl = inp->inp_ttl ? inp->inp_ttl
	                          : (uint8_t)atomic_load_relaxed(&ip_defttl);
	ip->ip_p = IPPROTO_TCP;
	ip->ip_sum = 0;
	ip->ip_src.s_addr = inp->inp_laddr;
	ip->ip_dst.s_addr = inp->inp_faddr;
	th->th_sport = inp->inp_lport;
	th->th_dport = inp->inp_fport;
	th->th_seq = htonl(seq);
	th->th_ack = (flags & TH_ACK) ? htonl(ack) : 0;
	th->th_offx2 =
	    (uint8_t)(((sizeof(struct tcphdr) + (size_t)optlen) / 4) << 4);
	th->th_flags = (uint8_t)flags;
	th->th_urp = 0;
	if (flags & TH_RST)
		win = 0;
	else
		win = tcp_rcv_window(tp);
	if (flags & TH_SYN) {
		th->th_win = htons((uint16_t)MIN(win, TCP_MAXWIN));
		win = MIN(win, TCP_MAXWIN);
	} else {
		uint32_t w = win >> tp->rcv_scale;

		if (w > TCP_MAXWIN)
			w = TCP_MAXWIN;
		th->th_win = htons((uint16_t)w);
		win = w << tp->rcv_scale;
	}
	if (!(flags & TH_RST) && TCPS_HAVERCVDSYN(tp->t_state) &&
	    SEQ_GT(tp->rcv_nxt + win, tp->rcv_adv))
		tp->rcv_adv = tp->rcv_nxt + win;
	memcpy(th + 1, opt, (size_t)optlen);
	th->th_sum = 0;
	*hlenp = hlen;
	return m;
}

/*
 * Payload bytes one segment may carry through tp's route with TSO: a whole
 * number of maxpay-byte segments; 0 when the interface has no TSO.
 */
static uint32_t
tcp_tso_max(struct tcpcb *tp, uint32_t maxpay)
{
	struct inpcb *inp = tp->t_inpcb;
	struct ifnet *ifp;
	uint32_t max;

	ifp = ip_route_ifp(inp->inp_faddr, &inp->inp_route);
	if (ifp == NULL ||
	    (atomic_load_relaxed(&ifp->if_capenable) &
	        (IFCAP_TSO4 | IFCAP_CSUM_IPv4)) !=
	        (IFCAP_TSO4 | IFCAP_CSUM_IPv4))
		return 0;
	max = IFCAP_TSO_MAXLEN - sizeof(struct ip) - sizeof(struct tcphdr) -
	    TCP_MAXOLEN;
	if (maxpay == 0 || max < 2 * maxpay)
		return 0;
	return max / maxpay * maxpay;
}

/*
 * Leaves the checksum to IP (M_CSUM_PARTIAL) and hands a segment to it,
 * through the test hooks.  A segment longer than gso (a TSO one, gso its
 * segments' payload) is marked to be cut; gso is 0 for others.
 */
static int
tcp_emit(struct tcpcb *tp, struct mbuf *m, int hlen, int len, int gso)
{
	struct inpcb *inp = tp->t_inpcb;
	struct ip *ip = mtod(m, struct ip *);
	struct tcphdr *th = (struct tcphdr *)(ip + 1);
	int error, dport;

	th->th_sum = in4_pseudo(inp->inp_laddr, inp->inp_faddr, IPPROTO_TCP,
	    hlen - (int)sizeof(struct ip) + len);
	m->m_pkthdr.csum_flags = M_CSUM_PARTIAL;
	m->m_pkthdr.csum_start = sizeof(struct ip);
	m->m_pkthdr.csum_offset = offsetof(struct tcphdr, th_sum);
	if (gso > 0 && len > gso) {
		m->m_pkthdr.csum_flags |= M_CSUM_TSOv4;
		m->m_pkthdr.gso_size = (uint16_t)gso;
		TCP_STATINC(tcps_sndtso);
	}
	tp->t_segs_out++;
	TCP_STATINC(tcps_sndtotal);

	dport = atomic_load_relaxed(&tcp_tun.drop_port);
	if (__predict_false(dport != 0) &&
	    (ntohs(th->th_sport) == dport || ntohs(th->th_dport) == dport)) {
		TCP_STATINC(tcps_dbgdrop);
		m_freem(m);
		return 0;
	}
	if (__predict_false(
	        len > 0 && atomic_load_relaxed(&tcp_tun.drop_permille) != 0)) {
		if (in_random32() % 1000 <
		    (uint32_t)atomic_load_relaxed(&tcp_tun.drop_permille)) {
			TCP_STATINC(tcps_dbgdrop);
			m_freem(m);
			return 0;
		}
	}
	if (__predict_false(len > 0 && tp->t_held == NULL &&
	        atomic_load_relaxed(&tcp_tun.reorder_permille) != 0)) {
		if (in_random32() % 1000 <
		    (uint32_t)atomic_load_relaxed(&tcp_tun.reorder_permille)) {
			tp->t_held = m; /* goes out after the next segment */
			return 0;
		}
	}
	error = ip_output(m, &inp->inp_route, 0, NULL);
	tcp_flush_held(tp);
	return error;
}

/*
 * The tail loss probe (RFC 8985 7.3): the last segment in flight again
 * (with our FIN if that was last), then the full RTO.
 */
void
tcp_tlp_send(struct tcpcb *tp)
{
	tcp_seq end = (tp->t_flags & TF_SENTFIN) ? tp->snd_fin : tp->snd_max;
	uint32_t maxpay = tp->t_maxseg - tcp_optlen(tp);
	uint32_t len = MIN(end - tp->snd_una, maxpay);
	int flags = TH_ACK, hlen;
	struct mbuf *m;

	if (tp->t_flags & TF_SENTFIN)
		flags |= TH_FIN;
	if (len > tp->t_socket->so_snd.sb_cc)
		len = (uint32_t)tp->t_socket->so_snd.sb_cc;
	m = tcp_build(tp, end - len, tp->rcv_nxt, flags,
	    (int)(end - len - tp->snd_una), (int)len, true, &hlen);
	tp->t_flags |= TF_TLP_SENT;
	tcp_timer_arm(tp, TCPT_REXMT, tcp_rexmt_delta(tp));
	if (m == NULL)
		return;
	tp->t_retrans_total++;
	tp->t_bytes_retrans += len;
	TCP_STATINC(tcps_tlp);
	tp->t_flags &= ~(TF_ACKNOW | TF_DELACK);
	tp->t_unacked = 0;
	(void)tcp_emit(tp, m, hlen, (int)len, 0);
}

/* Sends the segment the reorder hook held back (after a later one). */
void
tcp_flush_held(struct tcpcb *tp)
{
	struct mbuf *h = tp->t_held;

	if (__predict_true(h == NULL))
		return;
	tp->t_held = NULL;
	(void)ip_output(h, &tp->t_inpcb->inp_route, 0, NULL);
}

/* A bare control segment (keepalive probe, RST, challenge ACK). */
int
tcp_send_ctl(struct tcpcb *tp, tcp_seq seq, tcp_seq ack, int flags)
{
	struct mbuf *m;
	int hlen;

	if (tp->t_inpcb->inp_faddr == INADDR_ANY)
		return 0;
	m = tcp_build(tp, seq, ack, flags, 0, 0, false, &hlen);
	if (m == NULL)
		return ENOBUFS;
	if (flags & TH_ACK) {
		tp->t_flags &= ~(TF_ACKNOW | TF_DELACK);
		tp->t_unacked = 0;
	}
	return tcp_emit(tp, m, hlen, 0, 0);
}

/* --------------------------------------------------------------- output */

static int
tcp_output_syn(struct tcpcb *tp)
{
	int flags = tcp_outflags[tp->t_state], hlen, error;
	struct mbuf *m;

	if (tp->snd_nxt != tp->iss)
		return 0; /* sent, waiting for the answer */
	m = tcp_build(tp, tp->iss, tp->rcv_nxt, flags, 0, 0, false, &hlen);
	if (m == NULL) {
		if (!tcp_timer_active(tp, TCPT_REXMT))
			tcp_timer_arm(tp, TCPT_REXMT, tcp_rexmt_delta(tp));
		return ENOBUFS;
	}
	tp->snd_nxt = tp->iss + 1;
	if (SEQ_GT(tp->snd_nxt, tp->snd_max))
		tp->snd_max = tp->snd_nxt;
	if (tp->t_rxtshift == 0 && tp->t_rtt_start == 0) {
		tp->t_rtt_start = getnanouptime();
		tp->t_rtseq = tp->iss;
	}
	tp->t_flags &= ~(TF_ACKNOW | TF_DELACK);
	tcp_timer_arm(tp, TCPT_REXMT, tcp_rexmt_delta(tp));
	error = tcp_emit(tp, m, hlen, 0, 0);
	return error == EHOSTUNREACH || error == ENETUNREACH ? error : 0;
}

int
tcp_output(struct tcpcb *tp)
{
	struct socket *so = tp->t_socket;
	int flags, hlen, error, sent = 0;
	bool sendalot, sack_rxmit, idle;
	uint64_t now;

	KASSERT(solocked(so));
	if (tp->t_flags & TF_DEAD)
		return 0;
	if (tp->t_state == TCPS_SYN_SENT || tp->t_state == TCPS_SYN_RECEIVED)
		return tcp_output_syn(tp);
	if (tp->t_state < TCPS_ESTABLISHED)
		return 0;

	idle = tp->snd_max == tp->snd_una;
	now = getnanouptime();
	if (idle && tp->t_sndtime != 0 && !(tp->t_flags & TF_INRECOVERY) &&
	    now - tp->t_sndtime > tcp_rexmt_delta(tp)) {
		/* Restart after idle (RFC 5681 4.1). */
		uint32_t iw =
		    (uint32_t)atomic_load_relaxed(&tcp_tun.init_cwnd_segs) *
		    tp->t_maxseg;

		if (tp->snd_cwnd > iw)
			tp->snd_cwnd = iw;
	}

again:
	sendalot = false;
	sack_rxmit = false;
	flags = tcp_outflags[tp->t_state];
	{
		uint32_t sbcc = (uint32_t)so->so_snd.sb_cc;
		uint32_t optlen = tcp_optlen(tp);
		uint32_t maxpay = tp->t_maxseg - optlen;
		tcp_seq seq = tp->snd_nxt;
		uint32_t off, win, sendwin, segmax;
		long len;
		bool fin = false;
		struct mbuf *m;

		if (tp->t_flags & TF_SACK_PERMIT && tp->t_reass != NULL) {
			/* Room for the SACK blocks we will report. */
			uint32_t sackroom = 2 + 3 * TCPOLEN_SACK + 2;

			maxpay =
			    maxpay > sackroom + 64 ? maxpay - sackroom : 64;
		}
		/* The most one segment may carry: several with TSO. */
		segmax = tcp_tso_max(tp, maxpay);
		if (segmax == 0)
			segmax = maxpay;
		off = tp->snd_nxt - tp->snd_una;
		sendwin = MIN(tp->snd_wnd, tp->snd_cwnd);
		len = 0;
		if ((tp->t_flags & (TF_INRECOVERY | TF_SACK_PERMIT)) ==
		    (TF_INRECOVERY | TF_SACK_PERMIT)) {
			uint32_t pipe = tcp_sack_pipe(tp);
			tcp_seq hs;
			uint32_t hl;

			if (pipe >= tp->snd_cwnd) {
				len = 0;
			} else if (tcp_sack_nexthole(tp, &hs, &hl)) {
				seq = hs;
				off = hs - tp->snd_una;
				/* A big one with TSO, within cwnd - pipe
				 * rounded up to a whole segment. */
				uint32_t cwroom = tp->snd_cwnd - pipe;

				cwroom =
				    (cwroom + maxpay - 1) / maxpay * maxpay;
				len = MIN(hl, MIN(segmax, cwroom));
				if (off + len > sbcc)
					len = off < sbcc ? sbcc - off : 0;
				sack_rxmit = len > 0;
				if (!sack_rxmit)
					seq = tp->snd_nxt,
					off = tp->snd_nxt - tp->snd_una;
			}
			if (!sack_rxmit && pipe < tp->snd_cwnd) {
				/* New data, as much as cwnd - pipe allows. */
				long room =
				    (long)MIN(tp->snd_wnd, sbcc) - (long)off;
				long cw = (long)(tp->snd_cwnd - pipe);

				len = MIN(room, cw);
			}
		} else {
			win = sendwin;
			if ((tp->t_flags & TF_FORCE) && win == 0)
				win = 1;
			len = (long)MIN(sbcc, win) - (long)off;
		}
		if (len < 0) {
			/*
			 * The window shrank below what we sent (or a FIN is
			 * outstanding).  With a zero window pull snd_nxt back
			 * and let the persist timer probe.
			 */
			len = 0;
			if (sendwin == 0 && !(tp->t_flags & TF_SENTFIN)) {
				tcp_timer_disarm(tp, TCPT_REXMT);
				tp->t_rxtshift = 0;
				tp->snd_nxt = tp->snd_una;
				seq = tp->snd_nxt;
				off = 0;
				if (!tcp_timer_active(tp, TCPT_PERSIST))
					tcp_setpersist(tp);
			}
		}
		if (len > (long)segmax) {
			len = segmax;
			sendalot = true;
		} else if (len > (long)maxpay && len % maxpay != 0 &&
		    !sack_rxmit) {
			/* TSO: whole segments now, the short tail next,
			 * through Nagle. */
			len -= len % maxpay;
			sendalot = true;
		}
		/* FIN goes with the segment that reaches the end of the data.
		 */
		if ((tp->t_flags & TF_NEEDFIN) && !sack_rxmit &&
		    off + (uint32_t)len == sbcc &&
		    (!(tp->t_flags & TF_SENTFIN) || seq == tp->snd_fin))
			fin = true;

		if (len > 0) {
			if ((uint32_t)len >= maxpay)
				goto send;
			if (sack_rxmit)
				goto send;
			/*
			 * Nagle (RFC 896) in Minshall's form, as Linux: a
			 * short segment waits only while another short one
			 * is unacknowledged.
			 */
			if ((idle || (tp->t_flags & TF_NODELAY) ||
			        SEQ_LEQ(tp->snd_sml, tp->snd_una)) &&
			    !(tp->t_flags & (TF_CORK | TF_MORE)) &&
			    off + (uint32_t)len >= sbcc)
				goto send;
			if (tp->t_flags & TF_FORCE)
				goto send;
			/* Limited by the window, not by the data: the
			 * receiver avoids silly windows, so take it. */
			if (off + (uint32_t)len < sbcc &&
			    off + (uint32_t)len >= sendwin)
				goto send;
			if (tp->max_sndwnd > 0 &&
			    (uint32_t)len >= tp->max_sndwnd / 2)
				goto send;
			if (SEQ_LT(tp->snd_nxt, tp->snd_max))
				goto send;
		}
		/* A window update worth sending? */
		if (!(tp->t_flags & TF_ACKNOW) &&
		    !TCPS_HAVERCVDFIN(tp->t_state)) {
			uint32_t w = tcp_rcv_window(tp);
			uint32_t adv = SEQ_GT(tp->rcv_adv, tp->rcv_nxt)
			    ? tp->rcv_adv - tp->rcv_nxt
			    : 0;

			if (w > adv) {
				uint32_t incr = w - adv;

				if (incr >= 2 * tp->t_maxseg ||
				    2 * incr >= so->so_rcv.sb_hiwat)
					tp->t_flags |= TF_ACKNOW;
			}
		}
		if (tp->t_flags & TF_ACKNOW)
			goto send;
		if (fin && (!(tp->t_flags & TF_SENTFIN) || seq == tp->snd_fin))
			goto send;
		/* Data waits and nothing will wake us: probe the window. */
		if (sbcc > off && !tcp_timer_active(tp, TCPT_REXMT) &&
		    !tcp_timer_active(tp, TCPT_PERSIST)) {
			tp->t_rxtshift = 0;
			tcp_setpersist(tp);
		}
		return 0;

	send:
		if (fin)
			flags |= TH_FIN;
		if (len > 0 && off + (uint32_t)len == sbcc)
			flags |= TH_PSH;
		m = tcp_build(tp, seq, tp->rcv_nxt, flags, (int)off, (int)len,
		    true, &hlen);
		if (m == NULL) {
			if (!tcp_timer_active(tp, TCPT_REXMT) &&
			    !tcp_timer_active(tp, TCPT_PERSIST))
				tcp_timer_arm(
				    tp, TCPT_REXMT, tcp_rexmt_delta(tp));
			return ENOBUFS;
		}
		/* The sequence bookkeeping. */
		if (sack_rxmit) {
			if (seq == tp->snd_una) {
				tp->t_flags |= TF_RXT_MARK;
				tp->t_rxt_mark = tp->snd_max;
				tp->t_rxt_una = tp->snd_una;
			}
			tp->t_rxt_next = seq + (uint32_t)len;
			tp->t_retrans_total++;
			tp->t_retrans_out++;
			tp->t_bytes_retrans += (uint64_t)len;
			TCP_STATINC(tcps_sackrexmt);
		} else {
			tcp_seq end = seq + (uint32_t)len + (fin ? 1 : 0);

			if (SEQ_LT(seq, tp->snd_max)) {
				tp->t_retrans_total++;
				tp->t_bytes_retrans += (uint64_t)len;
				TCP_STATINC(tcps_sndrexmitpack);
			} else
				tp->t_bytes_sent += (uint64_t)len;
			if (fin) {
				tp->t_flags |= TF_SENTFIN;
				tp->snd_fin = seq + (uint32_t)len;
			}
			tp->snd_nxt = end;
			if (SEQ_GT(end, tp->snd_max)) {
				tp->snd_max = end;
				if (tp->t_rtt_start == 0 && len > 0) {
					tp->t_rtt_start = now;
					tp->t_rtseq = seq;
				}
			}
		}
		if (len > 0 && (uint32_t)len % maxpay != 0)
			tp->snd_sml = seq + (uint32_t)len;
		if (len > 0) {
			tp->t_data_segs_out++;
			tp->t_sndtime = now;
		}
		if (tp->snd_nxt != tp->snd_una || sack_rxmit) {
			if (!tcp_timer_active(tp, TCPT_REXMT) &&
			    !(tcp_timer_active(tp, TCPT_PERSIST) && len <= 1 &&
			        (tp->t_flags & TF_FORCE))) {
				tcp_timer_disarm(tp, TCPT_PERSIST);
				tp->t_persist_shift = 0;
				tcp_rexmt_arm(tp);
			}
		}
		/* Data soon after data came in: a request/response
		 * exchange, whose replies carry the ACKs (tcp_rcvd). */
		if (len > 0 && tp->t_lastdata_rcv_ns != 0 &&
		    now - tp->t_lastdata_rcv_ns <
		        atomic_load_relaxed(&tcp_tun.delack_ns))
			tp->t_flags |= TF_PINGPONG;
		tp->t_flags &= ~(TF_ACKNOW | TF_DELACK);
		tp->t_unacked = 0;
		tcp_timer_disarm(tp, TCPT_DELACK);
		error = tcp_emit(tp, m, hlen, (int)len, (int)maxpay);
		if (error != 0) {
			if (error == EMSGSIZE) {
				uint32_t old = tp->t_maxseg;

				tcp_mss_update(tp);
				if (tp->t_maxseg < old && sent++ < 4) {
					tp->snd_nxt = tp->snd_una;
					goto again;
				}
				return 0;
			}
			if (error == ENOBUFS) {
				if (!tcp_timer_active(tp, TCPT_REXMT))
					tcp_timer_arm(tp, TCPT_REXMT,
					    tcp_rexmt_delta(tp));
				return 0;
			}
			if ((error == EHOSTUNREACH || error == ENETUNREACH ||
			        error == ENETDOWN || error == EHOSTDOWN) &&
			    TCPS_HAVERCVDSYN(tp->t_state)) {
				tp->t_softerror = error;
				return 0;
			}
			return error;
		}
		if (sendalot || sack_rxmit)
			goto again;
	}
	return 0;
}
