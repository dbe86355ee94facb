# report_net.awk — the networking table and bench/results/net.json from
# the raw samples of net_perf ("name value" lines; "skip tap reason").
# Load after report_lib.awk:
#   awk -v json=FILE ... -f bench/report_lib.awk -f bench/report_net.awk OUT
# Medians of every sample set; ratios are taken between medians of the
# same run (rump over the host's figure, or the host's over rump's for
# latencies).

$1 == "skip" {
	skip[$2] = $0
	sub(/^skip [a-z]+ /, "", skip[$2])
	next
}
NF == 2 && $2 ~ /^[0-9.]+$/ {
	cnt[$1]++
	s[$1, cnt[$1]] = $2 + 0
}

function net_have(k)
{
	return cnt[k] > 0
}

function net_med(k)
{
	return net_have(k) ? median(k) : 0
}

function net_row(label, v, unit)
{
	printf "%-52s %12s %s\n", label, v, unit
}

function net_num(k, v)
{
	net_body = net_body sprintf("%s\n    \"%s\": %s", net_n++ ? "," : "", k, v)
}

function net_str(k, v)
{
	gsub(/"/, "'", v)
	net_body = net_body sprintf("%s\n    \"%s\": \"%s\"", net_n++ ? "," : "", k, v)
}

function net_ratio(a, b)
{
	return b > 0 ? sprintf("%.3f", a / b) : "null"
}

END {
	st = net_med("shmif_tcp_mibs"); ht = net_med("host_tcp_mibs")
	j9 = net_med("shmif9k_tcp_mibs")
	j64 = net_med("shmif64k_tcp_mibs")
	sr = net_med("shmif_rr_us"); hr = net_med("host_rr_us")
	sc = net_med("shmif_conn_s"); hc = net_med("host_conn_s")
	tt = net_med("tap_tcp_mibs"); vt = net_med("veth_tcp_mibs")
	tr = net_med("tap_rr_us"); vr = net_med("veth_rr_us")
	tx = net_med("tap_rx_tcp_mibs")
	pt = net_med("tap_plain_tcp_mibs"); px = net_med("tap_plain_rx_tcp_mibs")

	print ""
	print "networking (medians)"
	net_row("TCP bulk, two kernels over shmif (MTU 1500)", sprintf("%.1f", st), "MiB/s")
	net_row("TCP bulk, two kernels over shmif (MTU 9000)", sprintf("%.1f", j9), "MiB/s")
	net_row("TCP bulk, two kernels over shmif (MTU 65535)", sprintf("%.1f", j64), "MiB/s")
	net_row("TCP bulk, Linux over loopback (MTU 65536)", sprintf("%.1f", ht), "MiB/s")
	net_row("  shmif / loopback, MTU 1500 (target >= 0.5)", net_ratio(st, ht), "")
	net_row("  shmif / loopback, MTU 65535 (target >= 0.5)", net_ratio(j64, ht), "")
	net_row("1-byte request/response over shmif", sprintf("%.1f", sr), "us")
	net_row("1-byte request/response over Linux loopback", sprintf("%.1f", hr), "us")
	net_row("open+close TCP connections, two kernels over shmif", sprintf("%.0f", sc), "conn/s")
	net_row("open+close TCP connections, Linux loopback", sprintf("%.0f", hc), "conn/s")
	if ("tap" in skip) {
		net_row("TAP benchmarks", "skipped", "(" skip["tap"] ")")
	} else {
		net_row("TCP bulk, rump -> Linux over a TAP", sprintf("%.1f", tt), "MiB/s")
		net_row("TCP bulk, Linux -> rump over a TAP", sprintf("%.1f", tx), "MiB/s")
		net_row("TCP bulk, rump -> Linux, TAP offloads off", sprintf("%.1f", pt), "MiB/s")
		net_row("TCP bulk, Linux -> rump, TAP offloads off", sprintf("%.1f", px), "MiB/s")
		net_row("TCP bulk, Linux -> Linux over a veth pair", sprintf("%.1f", vt), "MiB/s")
		net_row("  TAP / veth, rump -> Linux (target >= 0.7)", net_ratio(tt, vt), "")
		net_row("  TAP / veth, Linux -> rump (target >= 0.7)", net_ratio(tx, vt), "")
		net_row("1-byte request/response rump <-> Linux over a TAP", sprintf("%.1f", tr), "us")
		net_row("1-byte request/response Linux <-> Linux over veth", sprintf("%.1f", vr), "us")
	}

	net_str("date", date)
	net_str("host", host)
	net_str("uname", uname)
	net_str("cpu", cpu)
	net_num("nproc", nproc)
	net_num("shmif_tcp_mibs", st)
	net_num("shmif_tcp_mibs_samples", samples("shmif_tcp_mibs"))
	net_num("shmif_mtu9000_tcp_mibs", j9)
	net_num("shmif_mtu65535_tcp_mibs", j64)
	net_num("shmif_mtu65535_tcp_mibs_samples", samples("shmif64k_tcp_mibs"))
	net_num("host_loopback_tcp_mibs", ht)
	net_num("host_loopback_tcp_mibs_samples", samples("host_tcp_mibs"))
	net_num("shmif_vs_loopback_tcp", net_ratio(st, ht))
	net_num("shmif_mtu65535_vs_loopback_tcp", net_ratio(j64, ht))
	net_num("shmif_vs_loopback_tcp_target", 0.5)
	net_num("shmif_rr_us", sr)
	net_num("host_loopback_rr_us", hr)
	net_num("shmif_conn_per_s", sc)
	net_num("host_loopback_conn_per_s", hc)
	if ("tap" in skip) {
		net_str("tap", "skipped: " skip["tap"])
	} else {
		net_num("tap_tcp_mibs", tt)
		net_num("veth_tcp_mibs", vt)
		net_num("tap_vs_veth_tcp", net_ratio(tt, vt))
		net_num("tap_rx_tcp_mibs", tx)
		net_num("tap_rx_vs_veth_tcp", net_ratio(tx, vt))
		net_num("tap_plain_tcp_mibs", pt)
		net_num("tap_plain_rx_tcp_mibs", px)
		net_num("tap_vs_veth_tcp_target", 0.7)
		net_num("tap_rr_us", tr)
		net_num("veth_rr_us", vr)
	}
	printf "{%s\n}\n", net_body > json
}
