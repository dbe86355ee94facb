/*
 * tcp_usrreq.c — TCP's protocol switch entry: the user requests that the
 * socket layer makes (attach, bind, listen, connect, send, rcvd,
 * shutdown, close, abort), the SOL_TCP options with Linux's semantics and
 * TCP_INFO.  Every request comes with so_lock held (socket.h).
 *
 * Urgent data is not supported: send(MSG_OOB) fails with EOPNOTSUPP, and
 * the urgent pointer of received segments is ignored (the data is read
 * in line, as with SO_OOBINLINE).
 */
#include "netinet/ip_var.h"
#include "netinet/tcp_var.h"

#define TCP_MIN_MSS     88 /* Linux's bounds for TCP_MAXSEG */
#define TCP_MAX_USERMSS 32767
#define TCP_KEEP_MAX    32767 /* seconds */
#define NS_PER_SEC      1000000000ULL

static int
tcp_attach(struct socket *so, int proto __unused)
{
	struct inpcb *inp;
	struct tcpcb *tp;
	int error;

	if (so->so_pcb != NULL)
		return EISCONN;
	if (so->so_snd.sb_hiwat == 0)
		(void)sbreserve(&so->so_snd, SB_DEFAULT_SND);
	if (so->so_rcv.sb_hiwat == 0)
		(void)sbreserve(&so->so_rcv, SB_DEFAULT_RCV);
	/* A new socket tunes its buffers; a listener's child inherits. */
	if (!(so->so_state & SS_NOFDREF)) {
		so->so_snd.sb_flags |= SB_AUTOSIZE;
		so->so_rcv.sb_flags |= SB_AUTOSIZE;
	}
	error = in_pcballoc(so, tcbtable);
	if (error)
		return error;
	inp = so->so_pcb;
	tp = tcp_newtcpcb(inp);
	if (tp == NULL) {
		in_pcbdetach(inp);
		return ENOBUFS;
	}
	return 0;
}

static struct tcpcb *
tcp_live(struct socket *so)
{
	struct tcpcb *tp = sototcpcb(so);

	if (tp == NULL || (tp->t_flags & TF_DEAD))
		return NULL;
	return tp;
}

/*
 * The user is done sending: queue a FIN after the data (RFC 9293
 * 3.10.4).  Before the connection is synchronized it just closes.
 */
void
tcp_usrclosed(struct tcpcb *tp)
{
	switch (tp->t_state) {
	case TCPS_CLOSED:
	case TCPS_LISTEN:
	case TCPS_SYN_SENT:
		tcp_close(tp);
		return;
	case TCPS_SYN_RECEIVED:
		tp->t_flags |= TF_NEEDFIN; /* FIN_WAIT_1 once established */
		break;
	case TCPS_ESTABLISHED:
		tp->t_flags |= TF_NEEDFIN;
		tcp_set_state(tp, TCPS_FIN_WAIT_1);
		break;
	case TCPS_CLOSE_WAIT:
		tp->t_flags |= TF_NEEDFIN;
		tcp_set_state(tp, TCPS_LAST_ACK);
		break;
	default:
		break;
	}
}

/* The descriptor is gone (soclose). */
static void
tcp_detach(struct socket *so)
{
	struct tcpcb *tp = tcp_live(so);

	if (tp == NULL)
		return;
	tp->t_flags |= TF_ORPHAN;
	if (tp->t_state < TCPS_SYN_RECEIVED) {
		tcp_close(tp);
		return;
	}
	if (so->so_rcv.sb_cc > 0 || tp->t_state == TCPS_SYN_RECEIVED ||
	    ((so->so_options & SO_OPT_LINGER) && so->so_linger == 0)) {
		/* Unread data is lost: tell the peer (RFC 2525 2.17). */
		tcp_drop(tp, 0);
		return;
	}
	tcp_usrclosed(tp);
	if (tp->t_flags & TF_DEAD)
		return;
	(void)tcp_output(tp);
	if (tp->t_state == TCPS_FIN_WAIT_2 && !(tp->t_flags & TF_DEAD)) {
		soisdisconnected(so);
		tcp_timer_arm(tp, TCPT_2MSL,
		    tp->t_lingertime
		        ? tp->t_lingertime
		        : atomic_load_relaxed(&tcp_tun.fin_timeout_ns));
	}
}

static int
tcp_bind(struct socket *so, const struct sockaddr *nam, socklen_t len)
{
	struct tcpcb *tp = tcp_live(so);
	struct sockaddr_in sin;
	int error;

	if (tp == NULL)
		return EINVAL;
	error = in_sockaddr_check(nam, len, true);
	if (error)
		return error;
	memcpy(&sin, nam, sizeof(sin));
	if (sin.sin_family == AF_UNSPEC) {
		if (sin.sin_addr.s_addr != INADDR_ANY)
			return EAFNOSUPPORT;
		sin.sin_family = AF_INET;
	}
	if (tp->t_state != TCPS_CLOSED)
		return EINVAL;
	if (IN_MULTICAST(sin.sin_addr.s_addr) ||
	    sin.sin_addr.s_addr == INADDR_BROADCAST)
		return EADDRNOTAVAIL;
	return in_pcbbind(tp->t_inpcb, &sin);
}

static int
tcp_listen(struct socket *so, int backlog __unused)
{
	struct tcpcb *tp = tcp_live(so);
	int error;

	if (tp == NULL)
		return EINVAL;
	if (tp->t_state == TCPS_LISTEN)
		return 0; /* a new backlog only */
	if (tp->t_state != TCPS_CLOSED)
		return EINVAL;
	error = in_pcblisten(tp->t_inpcb);
	if (error)
		return error;
	tcp_set_state(tp, TCPS_LISTEN);
	return 0;
}

static int
tcp_connect(struct socket *so, const struct sockaddr *nam, socklen_t len)
{
	struct tcpcb *tp = tcp_live(so);
	struct inpcb *inp;
	struct sockaddr_in sin;
	int error;

	if (tp == NULL)
		return EINVAL;
	inp = tp->t_inpcb;
	error = in_sockaddr_check(nam, len, false);
	if (error)
		return error;
	memcpy(&sin, nam, sizeof(sin));
	if (tp->t_state == TCPS_LISTEN)
		return EISCONN;
	if (tp->t_state == TCPS_SYN_SENT)
		return EALREADY;
	if (tp->t_state != TCPS_CLOSED)
		return EISCONN;
	if (IN_MULTICAST(sin.sin_addr.s_addr) ||
	    sin.sin_addr.s_addr == INADDR_BROADCAST)
		return ENETUNREACH;
	error = in_pcbconnect(inp, &sin);
	if (error)
		return error;
	tp->iss = tcp_new_isn(
	    inp->inp_laddr, inp->inp_lport, inp->inp_faddr, inp->inp_fport);
	tp->snd_una = tp->snd_nxt = tp->snd_max = tp->iss;
	tp->snd_sml = tp->iss;
	tp->snd_recover = tp->iss;
	tp->t_rxt_next = tp->iss;
	tp->ts_offset = tcp_ts_offset(inp->inp_laddr, inp->inp_faddr);
	tp->request_r_scale = (uint8_t)tcp_rscale_for(so);
	tp->t_ourmss = tcp_mss_for_route(tp);
	if (tp->t_usermss && tp->t_usermss < tp->t_ourmss)
		tp->t_ourmss = tp->t_usermss;
	tp->t_maxseg = tp->t_ourmss;
	tp->t_rcvtime = getnanouptime();
	soisconnecting(so);
	tcp_set_state(tp, TCPS_SYN_SENT);
	TCP_STATINC(tcps_connattempt);
	error = tcp_output(tp);
	if (error == EHOSTUNREACH || error == ENETUNREACH) {
		tcp_timer_stopall(tp);
		tcp_set_state(tp, TCPS_CLOSED);
		in_pcbdisconnect(inp);
		so->so_state &= ~SS_ISCONNECTING;
		return error;
	}
	return 0;
}

static int
tcp_disconnect(struct socket *so)
{
	struct tcpcb *tp = tcp_live(so);

	if (tp == NULL)
		return ENOTCONN;
	if (tp->t_state < TCPS_ESTABLISHED) {
		tcp_close(tp);
		return 0;
	}
	if ((so->so_options & SO_OPT_LINGER) && so->so_linger == 0) {
		tcp_drop(tp, 0);
		return 0;
	}
	soisdisconnecting(so);
	tcp_usrclosed(tp);
	if (!(tp->t_flags & TF_DEAD))
		(void)tcp_output(tp);
	return 0;
}

static int
tcp_shutdown(struct socket *so)
{
	struct tcpcb *tp = tcp_live(so);

	if (tp == NULL)
		return 0;
	tcp_usrclosed(tp);
	if (!(tp->t_flags & TF_DEAD))
		(void)tcp_output(tp);
	return 0;
}

static void
tcp_abort(struct socket *so)
{
	struct tcpcb *tp = tcp_live(so);

	if (tp != NULL)
		tcp_drop(tp, ECONNABORTED);
}

static int
tcp_send(struct socket *so, struct mbuf *m, const struct sockaddr *nam __unused,
    socklen_t namlen __unused, struct mbuf *control, int flags)
{
	struct tcpcb *tp = tcp_live(so);

	m_freem(control);
	if (flags & MSG_OOB) {
		m_freem(m);
		return EOPNOTSUPP;
	}
	if (tp == NULL || tp->t_state < TCPS_SYN_SENT ||
	    (tp->t_flags & TF_NEEDFIN)) {
		m_freem(m);
		return tp == NULL && so->so_error ? so->so_error : EPIPE;
	}
	if (m != NULL)
		sbappendstream(&so->so_snd, m);
	if (flags & MSG_MORE)
		tp->t_flags |= TF_MORE;
	else
		tp->t_flags &= ~TF_MORE;
	(void)tcp_output(tp);
	return 0;
}

static void
tcp_rcvd(struct socket *so, int flags __unused)
{
	struct tcpcb *tp = tcp_live(so);

	if (tp == NULL || tp->t_state < TCPS_ESTABLISHED)
		return;
	tcp_rcv_autotune(tp);
	/*
	 * A delayed ACK is owed and the reader took the data (as Linux's
	 * tcp_cleanup_rbuf): ACK now; the sender may be waiting for it to
	 * free its buffer.  Not for an emptied buffer in a request/response
	 * exchange (TF_PINGPONG, Linux's pingpong mode): the reply that
	 * follows carries the ACK, and the delayed-ACK timer covers a
	 * reply that does not come.
	 */
	if ((tp->t_flags & TF_DELACK) &&
	    ((so->so_rcv.sb_cc == 0 && !(tp->t_flags & TF_PINGPONG)) ||
	        tp->t_unacked >= tcp_rcvmss(tp)))
		tp->t_flags |= TF_ACKNOW;
	(void)tcp_output(tp);
}

/* ----------------------------------------------------------- TCP_INFO */

static uint32_t
ns_to_us(uint64_t ns)
{
	uint64_t us = ns / 1000;

	return us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static uint32_t
ms_since(uint64_t then, uint64_t now)
{
	if (then == 0 || then > now)
		return 0;
	return (uint32_t)MIN((now - then) / 1000000, UINT32_MAX);
}

static void
tcp_fill_info(struct tcpcb *tp, struct linux_tcp_info *ti)
{
	struct socket *so = tp->t_socket;
	uint32_t mss = tp->t_maxseg - tcp_optlen(tp);
	uint32_t flight = tp->snd_max - tp->snd_una;
	uint64_t now = getnanouptime();

	if (mss == 0)
		mss = 1;
	memset(ti, 0, sizeof(*ti));
	ti->tcpi_state = (uint8_t)tcp_linux_state(tp->t_state);
	if (tp->t_flags & TF_INRECOVERY)
		ti->tcpi_ca_state = TCP_CA_Recovery;
	else if (tp->t_rxtshift > 0)
		ti->tcpi_ca_state = TCP_CA_Loss;
	else if (tp->t_dupacks > 0 || tp->t_nsack > 0)
		ti->tcpi_ca_state = TCP_CA_Disorder;
	else
		ti->tcpi_ca_state = TCP_CA_Open;
	ti->tcpi_retransmits = (uint8_t)MIN(tp->t_rxtshift, 255);
	ti->tcpi_probes = (uint8_t)MIN(tp->t_keepprobes, 255);
	ti->tcpi_backoff = (uint8_t)MIN(tp->t_rxtshift, 255);
	if (tp->t_flags & TF_RCVD_TSTMP)
		ti->tcpi_options |= TCPI_OPT_TIMESTAMPS;
	if (tp->t_flags & TF_SACK_PERMIT)
		ti->tcpi_options |= TCPI_OPT_SACK;
	if (tp->t_flags & TF_RCVD_SCALE) {
		ti->tcpi_options |= TCPI_OPT_WSCALE;
		ti->tcpi_wscale = (uint8_t)((tp->snd_scale & 0xf) |
		    (tp->rcv_scale & 0xf) << 4);
	}
	ti->tcpi_rto = ns_to_us(tcp_rexmt_delta(tp));
	ti->tcpi_ato = ns_to_us(atomic_load_relaxed(&tcp_tun.delack_ns));
	ti->tcpi_snd_mss = mss;
	ti->tcpi_rcv_mss = tp->t_rcvmss ? tp->t_rcvmss : TCP_DEFAULT_MSS;
	ti->tcpi_unacked = howmany(flight, mss);
	ti->tcpi_sacked = howmany(tp->t_sacked, mss);
	ti->tcpi_retrans = tp->t_retrans_out;
	ti->tcpi_last_data_sent = ms_since(tp->t_sndtime, now);
	ti->tcpi_last_data_recv = ms_since(tp->t_lastdata_rcv_ns, now);
	ti->tcpi_last_ack_recv = ms_since(tp->t_lastack_ns, now);
	ti->tcpi_pmtu = tp->t_pmtu ? tp->t_pmtu
	                           : tp->t_ourmss +
	        (uint32_t)(sizeof(struct ip) + sizeof(struct tcphdr));
	ti->tcpi_rcv_ssthresh = tcp_rcv_window(tp);
	ti->tcpi_rtt = ns_to_us(tp->t_srtt);
	ti->tcpi_rttvar = ns_to_us(tp->t_rttvar);
	ti->tcpi_snd_ssthresh = tp->snd_ssthresh >= 0x7fffffff
	    ? 0x7fffffff
	    : tp->snd_ssthresh / mss;
	ti->tcpi_snd_cwnd = tp->t_state >= TCPS_ESTABLISHED
	    ? howmany(tp->snd_cwnd, mss)
	    : (uint32_t)atomic_load_relaxed(&tcp_tun.init_cwnd_segs);
	ti->tcpi_advmss = tp->t_ourmss ? tp->t_ourmss - tcp_optlen(tp) : mss;
	ti->tcpi_reordering = 3;
	ti->tcpi_rcv_rtt = ns_to_us(tp->t_srtt);
	ti->tcpi_rcv_space = (uint32_t)so->so_rcv.sb_hiwat;
	ti->tcpi_total_retrans = tp->t_retrans_total;
	ti->tcpi_pacing_rate = UINT64_MAX;
	ti->tcpi_max_pacing_rate = UINT64_MAX;
	ti->tcpi_bytes_acked = tp->t_bytes_acked;
	ti->tcpi_bytes_received = tp->t_bytes_received;
	ti->tcpi_segs_out = tp->t_segs_out;
	ti->tcpi_segs_in = tp->t_segs_in;
	ti->tcpi_notsent_bytes = so->so_snd.sb_cc > flight
	    ? (uint32_t)(so->so_snd.sb_cc - flight)
	    : 0;
	ti->tcpi_min_rtt = tp->t_rtt_min ? ns_to_us(tp->t_rtt_min) : UINT32_MAX;
	ti->tcpi_data_segs_in = tp->t_data_segs_in;
	ti->tcpi_data_segs_out = tp->t_data_segs_out;
	ti->tcpi_delivered = (uint32_t)howmany(tp->t_bytes_acked, mss);
	ti->tcpi_bytes_sent = tp->t_bytes_sent + tp->t_bytes_retrans;
	ti->tcpi_bytes_retrans = tp->t_bytes_retrans;
	ti->tcpi_rcv_ooopack = tp->t_rcv_ooopack;
	ti->tcpi_snd_wnd = tp->snd_wnd;
}

/* ------------------------------------------------------------ options */

static int
opt_int(const void *val, socklen_t len, int *vp)
{
	if (len < sizeof(int))
		return EINVAL;
	memcpy(vp, val, sizeof(int));
	return 0;
}

static void
opt_put(void *val, socklen_t *len, const void *src, size_t n)
{
	if (*len > n)
		*len = (socklen_t)n;
	memcpy(val, src, *len);
}

static int
tcp_ctloutput_tcp(
    int op, struct socket *so, int name, void *val, socklen_t *len)
{
	struct tcpcb *tp = sototcpcb(so);
	int v = 0, error = 0;

	if (tp == NULL)
		return ECONNRESET;
	if (op == PRCO_SETOPT) {
		if (name == TCP_CONGESTION) {
			char cname[16];
			const struct tcp_cc_algo *cc;
			size_t n = MIN((size_t)*len, sizeof(cname) - 1);

			memcpy(cname, val, n);
			cname[n] = '\0';
			cc = tcp_cc_find(cname);
			if (cc == NULL)
				return ENOENT;
			if (cc != tp->t_cc) {
				tp->t_cc = cc;
				memset(&tp->t_cubic, 0, sizeof(tp->t_cubic));
			}
			return 0;
		}
		if ((error = opt_int(val, *len, &v)) != 0)
			return error;
		switch (name) {
		case TCP_NODELAY:
			if (v)
				tp->t_flags |= TF_NODELAY;
			else
				tp->t_flags &= ~TF_NODELAY;
			if (v && !(tp->t_flags & TF_DEAD))
				(void)tcp_output(tp);
			break;
		case TCP_CORK:
			if (v)
				tp->t_flags |= TF_CORK;
			else {
				tp->t_flags &= ~(TF_CORK | TF_MORE);
				if (!(tp->t_flags & TF_DEAD))
					(void)tcp_output(tp);
			}
			break;
		case TCP_MAXSEG:
			if (v != 0 && (v < TCP_MIN_MSS || v > TCP_MAX_USERMSS))
				return EINVAL;
			tp->t_usermss = (uint32_t)v;
			if (tp->t_state >= TCPS_ESTABLISHED)
				tcp_mss_update(tp);
			break;
		case TCP_KEEPIDLE:
			if (v < 1 || v > TCP_KEEP_MAX)
				return EINVAL;
			tp->t_keepidle = (uint64_t)v * NS_PER_SEC;
			if (TCPS_HAVEESTABLISHED(tp->t_state) &&
			    !(tp->t_flags & TF_DEAD))
				tcp_keep_arm(tp);
			break;
		case TCP_KEEPINTVL:
			if (v < 1 || v > TCP_KEEP_MAX)
				return EINVAL;
			tp->t_keepintvl = (uint64_t)v * NS_PER_SEC;
			break;
		case TCP_KEEPCNT:
			if (v < 1 || v > 127)
				return EINVAL;
			tp->t_keepcnt = v;
			break;
		case TCP_SYNCNT:
			if (v < 1 || v > 127)
				return EINVAL;
			tp->t_syncnt = v;
			break;
		case TCP_LINGER2:
			if (v < 0)
				tp->t_lingertime = 0;
			else
				tp->t_lingertime =
				    (uint64_t)MIN(v, 120) * NS_PER_SEC;
			break;
		case TCP_QUICKACK:
			if (v) {
				tp->t_flags |= TF_QUICKACK;
				if ((tp->t_flags & TF_DELACK) &&
				    !(tp->t_flags & TF_DEAD)) {
					tp->t_flags |= TF_ACKNOW;
					(void)tcp_output(tp);
				}
			} else
				tp->t_flags &= ~TF_QUICKACK;
			break;
		case TCP_DEFER_ACCEPT:
		case TCP_WINDOW_CLAMP:
			break; /* accepted, no effect */
		default:
			return ENOPROTOOPT;
		}
		return 0;
	}

	/* PRCO_GETOPT */
	switch (name) {
	case TCP_INFO: {
		struct linux_tcp_info ti;

		tcp_fill_info(tp, &ti);
		opt_put(val, len, &ti, sizeof(ti));
		return 0;
	}
	case TCP_CONGESTION: {
		char cname[16];

		memset(cname, 0, sizeof(cname));
		strlcpy(cname, tp->t_cc->cc_name, sizeof(cname));
		opt_put(val, len, cname, sizeof(cname));
		return 0;
	}
	case TCP_NODELAY:
		v = (tp->t_flags & TF_NODELAY) != 0;
		break;
	case TCP_CORK:
		v = (tp->t_flags & TF_CORK) != 0;
		break;
	case TCP_MAXSEG:
		if (tp->t_state >= TCPS_ESTABLISHED)
			v = (int)(tp->t_maxseg - tcp_optlen(tp));
		else
			v = tp->t_usermss ? (int)tp->t_usermss
			                  : TCP_DEFAULT_MSS;
		break;
	case TCP_KEEPIDLE:
		v = (int)(tp->t_keepidle / NS_PER_SEC);
		break;
	case TCP_KEEPINTVL:
		v = (int)(tp->t_keepintvl / NS_PER_SEC);
		break;
	case TCP_KEEPCNT:
		v = tp->t_keepcnt;
		break;
	case TCP_SYNCNT:
		v = tp->t_syncnt ? tp->t_syncnt
		                 : atomic_load_relaxed(&tcp_tun.syn_retries);
		break;
	case TCP_LINGER2:
		v = (int)((tp->t_lingertime ? tp->t_lingertime
		                            : atomic_load_relaxed(
		                                  &tcp_tun.fin_timeout_ns)) /
		    NS_PER_SEC);
		break;
	case TCP_QUICKACK:
		v = (tp->t_flags & TF_QUICKACK) != 0 || tp->t_quickack > 0;
		break;
	case TCP_DEFER_ACCEPT:
	case TCP_WINDOW_CLAMP:
		v = 0;
		break;
	default:
		return ENOPROTOOPT;
	}
	opt_put(val, len, &v, sizeof(v));
	return 0;
}

static int
tcp_ctloutput(
    int op, struct socket *so, int level, int name, void *val, socklen_t *len)
{
	struct inpcb *inp = so->so_pcb;

	if (level == SOL_TCP)
		return tcp_ctloutput_tcp(op, so, name, val, len);
	if (level == SOL_IP) {
		if (inp == NULL)
			return ECONNRESET;
		return in_ctloutput_ip(op, inp, name, val, len);
	}
	return ENOPROTOOPT;
}

const struct protosw tcp_protosw[] = {{
    .pr_type = SOCK_STREAM,
    .pr_domain = &tcp_domain,
    .pr_protocol = IPPROTO_TCP,
    .pr_flags = PR_CONNREQUIRED | PR_WANTRCVD | PR_LISTEN,
    .pr_attach = tcp_attach,
    .pr_detach = tcp_detach,
    .pr_bind = tcp_bind,
    .pr_listen = tcp_listen,
    .pr_connect = tcp_connect,
    .pr_disconnect = tcp_disconnect,
    .pr_shutdown = tcp_shutdown,
    .pr_abort = tcp_abort,
    .pr_send = tcp_send,
    .pr_rcvd = tcp_rcvd,
    .pr_sockaddr = in_sockaddr,
    .pr_peeraddr = in_peeraddr,
    .pr_ctloutput = tcp_ctloutput,
    .pr_ioctl = in_control,
}};
