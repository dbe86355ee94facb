# report_sp.awk — the remote-client table and bench/results/sysproxy.json
# from the raw samples of sp_bench and sp_local ("name v1 v2 ..." lines,
# any number of lines per name).  Load after report_lib.awk:
#   awk -v json=FILE ... -f bench/report_lib.awk -f bench/report_sp.awk OUT
#
# Every figure is a median of the run's samples; every ratio is taken
# against a reference measured in the same run:
#   - remote getpid against the bare unix-socket ping-pong of the same
#     frame sizes.  Each repetition timed both, one after the other in one
#     process, so each gives a ratio too; the target is judged on the
#     median of those per-repetition ratios (drift of the machine during
#     the run falls on both halves of a pair alike).  The ratio of the two
#     medians is reported beside it.
#   - TCP through sysproxy against the same transfer between two kernels
#     linked into the two processes, repetitions interleaved; the target
#     is an absolute one (5 x NetBSD's 11.8 MiB/s here).

NF >= 2 && $2 ~ /^[0-9.]+$/ {
	for (i = 2; i <= NF; i++)
		add($1, $i + 0)
}

function sp_have(k)
{
	return cnt[k] > 0
}

function sp_med(k)
{
	return sp_have(k) ? median(k) : "null"
}

function sp_row(label, v, unit)
{
	printf "%-52s %12s %s\n", label, v, unit
}

function sp_num(k, v)
{
	sp_body = sp_body sprintf("%s\n  \"%s\": %s", sp_n++ ? "," : "", k, v)
}

function sp_str(k, v)
{
	gsub(/"/, "'", v)
	sp_body = sp_body sprintf("%s\n  \"%s\": \"%s\"", sp_n++ ? "," : "", k, v)
}

function sp_ratio(a, b, prec)
{
	return a != "null" && b != "null" && b > 0 ? sprintf("%." prec "f", a / b) : "null"
}

# Per-repetition ratios of two sample sets, i-th with i-th, into key dst.
function sp_pairs(dst, a, b,    i)
{
	for (i = 1; i <= cnt[a] && i <= cnt[b]; i++)
		if (s[b, i] > 0)
			add(dst, s[a, i] / s[b, i])
}

function sp_verdict(v, op, t)
{
	if (v == "null")
		return "FAIL (no figure)"
	if (op == "<=")
		return v + 0 <= t ? "PASS" : "FAIL"
	return v + 0 >= t ? "PASS" : "FAIL"
}

END {
	pp = sp_med("pingpong_ns"); gp = sp_med("getpid_ns")
	pr = sp_med("getpid_pair_ratio")
	pm = sp_med("pingpong_mt_ns")
	rmed = sp_ratio(gp, pp, 3)
	of = sp_med("ofrc_ns"); ol = sp_med("ofrc_local_ns")
	rt = sp_med("ofrc_roundtrips_per_call")
	rp = sp_med("ofrc_replies_per_call")
	mc = sp_med("multi_calls_per_s")
	ts = sp_med("tcp_sysproxy_mibs"); tl = sp_med("tcp_local_mibs")
	tsc = sp_med("tcp_sysproxy_mibs_cpu_ms_per_mib")
	tlc = sp_med("tcp_local_mibs_cpu_ms_per_mib")
	sp_pairs("tcp_pair_ratio", "tcp_sysproxy_mibs", "tcp_local_mibs")
	tp = sp_med("tcp_pair_ratio")
	tr = sp_ratio(ts, tl, 3)
	tn = sp_ratio(ts, 11.8, 2)
	if (pr != "null")
		pr = sprintf("%.3f", pr)
	if (tp != "null")
		tp = sprintf("%.3f", tp)

	print ""
	print "remote clients (medians)"
	sp_row("bare unix ping-pong (32/48 B frames)", pp, "ns")
	sp_row("remote getpid", gp, "ns")
	sp_row("  getpid / ping-pong, per-pair median", pr,
	    "(target <= 1.05: " sp_verdict(pr, "<=", 1.05) ")")
	sp_row("  getpid / ping-pong, ratio of medians", rmed, "")
	sp_row("ping-pong, echo in a 6-thread process (info)", pm, "ns")
	sp_row("  getpid / that, ratio of medians", sp_ratio(gp, pm, 3), "")
	sp_row("remote open+fstat+read 4K+close", of, "ns")
	sp_row("local open+fstat+read 4K+close", ol, "ns")
	sp_row("  remote / local", sp_ratio(of, ol, 1), "")
	sp_row("round trips per call (target 1)", rt, "")
	sp_row("64 clients getpid", mc, "calls/s")
	sp_row("TCP through sysproxy (two rump_servers, shmif)", ts, "MiB/s")
	sp_row("TCP between two local kernels (shmif)", tl, "MiB/s")
	sp_row("  sysproxy / local, ratio of medians", tr, "")
	sp_row("  sysproxy / local, per-pair median", tp, "")
	sp_row("  sysproxy / NetBSD's 11.8 MiB/s", tn,
	    "(target >= 59 MiB/s: " sp_verdict(ts, ">=", 59) ")")
	sp_row("  CPU, sysproxy (servers and clients)", tsc, "ms/MiB")
	sp_row("  CPU, local kernels", tlc, "ms/MiB")

	sp_str("date", date)
	sp_str("loadavg_before", load0)
	sp_str("loadavg_after", load1)
	sp_str("host", uname)
	sp_str("cpu", cpu)
	sp_num("nproc", nproc)
	sp_num("rt_reps", cnt["getpid_ns"])
	sp_num("rt_calls_per_rep", rt_n)
	sp_num("pingpong_ns", pp)
	sp_num("pingpong_samples", samples("pingpong_ns"))
	sp_num("remote_getpid_ns", gp)
	sp_num("getpid_samples", samples("getpid_ns"))
	sp_num("getpid_vs_pingpong", pr)
	sp_num("getpid_vs_pingpong_of_medians", rmed)
	sp_num("getpid_pair_ratio_samples", samples("getpid_pair_ratio"))
	sp_num("pingpong_mt_ns", pm)
	sp_num("pingpong_mt_samples", samples("pingpong_mt_ns"))
	sp_num("getpid_vs_pingpong_mt", sp_ratio(gp, pm, 3))
	sp_num("getpid_target", 1.05)
	sp_num("getpid_pass", pr != "null" && pr + 0 <= 1.05 ? "true" : "false")
	sp_num("remote_ofrc_ns", of)
	sp_num("local_ofrc_ns", ol)
	sp_num("ofrc_remote_vs_local", sp_ratio(of, ol, 1))
	sp_num("roundtrips_per_call", rt)
	sp_num("replies_per_call", rp)
	sp_num("clients64_getpid_calls_per_s", mc)
	sp_num("clients64_samples", samples("multi_calls_per_s"))
	sp_num("tcp_mib", tcp_mb)
	sp_num("tcp_reps", cnt["tcp_sysproxy_mibs"])
	sp_num("tcp_sysproxy_mibs", ts)
	sp_num("tcp_sysproxy_samples", samples("tcp_sysproxy_mibs"))
	sp_num("tcp_local_mibs", tl)
	sp_num("tcp_local_samples", samples("tcp_local_mibs"))
	sp_num("tcp_sysproxy_vs_local", tr)
	sp_num("tcp_sysproxy_vs_local_pair_median", tp)
	sp_num("tcp_sysproxy_cpu_ms_per_mib", tsc)
	sp_num("tcp_local_cpu_ms_per_mib", tlc)
	sp_num("tcp_vs_netbsd_11_8", tn)
	sp_num("tcp_target_mibs", 59)
	sp_num("tcp_pass", ts != "null" && ts + 0 >= 59 ? "true" : "false")
	printf "{%s\n}\n", sp_body > json
	exit bad
}
