# report_e2dir.awk — the big-directory benchmark (bench/ext2fs_dir.c):
# a table on stdout and one JSON object in the file named by -v json=.
# Needs report_lib.awk first.  -v sizes="1000 10000 100000": the numbers
# of names; the last is the large one.  Input lines: "create_rump_N us",
# "create_host_N us", "stat_rump_N us", "stat_host_N us", "param k=v".
#
# Target: creating stays flat as the directory grows: µs per create at
# the largest size at most 1.5 × that at the smallest (rumpk).  The
# figures against the host are for information.

$1 == "param" {
	for (i = 2; i <= NF; i++) {
		k = $i
		v = $i
		sub(/=.*/, "", k)
		sub(/^[^=]*=/, "", v)
		param[k] = v
	}
	next
}
NF >= 2 {
	for (i = 2; i <= NF; i++)
		add($1, $i)
}

function info(name, key, hkey, label,    m, h, r)
{
	m = median(key)
	h = median(hkey)
	r = h > 0 ? m / h : 0
	metric(name, m, key, "us", "null", "", "", sprintf("%.3f", r),
	    hkey " (host " param["host_fs"] ")", "null", "")
	printf("%-40s %10.2f %10.2f %8.2f\n", label, m, h, r)
}

END {
	n = split(sizes, sz, " ")
	printf("%-40s %10s %10s %8s\n", "big ext4 directory, us per call",
	    "rumpk", "host " param["host_fs"], "ratio")
	for (i = 1; i <= n; i++)
		info("create_" sz[i], "create_rump_" sz[i],
		    "create_host_" sz[i], "create+close, " sz[i] " names")
	info("stat_" sz[n], "stat_rump_" sz[n], "stat_host_" sz[n],
	    "stat, " sz[n] " names")
	g = median("create_rump_" sz[n]) / median("create_rump_" sz[1])
	gh = median("create_host_" sz[n]) / median("create_host_" sz[1])
	pass = g <= 1.5
	nmetrics++
	body = body ",\n    \"create_growth\": {\"median\": " g \
	    ", \"unit\": \"ratio\", \"target\": 1.5, \"target_op\": \"<=\"" \
	    ", \"target_on\": \"median\", \"ratio_of\": " \
	    jstr("create_rump_" sz[n] " / create_rump_" sz[1]) \
	    ", \"host\": " gh ", \"pass\": " jbool(pass) "}"
	printf("%-40s %10.2f %10.2f %8s  %s\n",
	    "growth " sz[n] " / " sz[1] " (<= 1.5)", g, gh, "",
	    pass ? "PASS" : "FAIL")
	printf("{\n  \"benchmark\": \"ext2fs_dir\",\n  \"date\": %s,\n" \
	    "  \"machine\": {\"uname\": %s, \"host\": %s, \"nproc\": %s, " \
	    "\"cpu\": %s},\n  \"params\": {\"sizes\": %s, \"host_fs\": %s},\n" \
	    "  \"metrics\": {\n%s\n  }\n}\n", jstr(date), jstr(uname),
	    jstr(host), nproc, jstr(cpu), jstr(sizes), jstr(param["host_fs"]),
	    body) > json
	exit bad
}
