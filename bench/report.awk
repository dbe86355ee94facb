# report.awk — turns the raw samples of the kernel-base benchmarks into a
# table on stdout and one JSON object in the file named by -v json=.
# Needs the helpers of report_lib.awk, loaded before it (bench/run.sh).
#
# Input, in this order (bench/run.sh passes the files):
#   init   lines "<ns> <kB>", one per fresh process (init_time)
#   null   lines "<floor|host|implicit|bound> <ns per call>..." (nullsys)
#   scale  lines "<bound1|bound2|implicit1|implicit2> <calls/s>..." and
#          "cpu_<config> <share>...", the share of the host CPU time the
#          workers got (scale)
# Medians of an even count are the mean of the two middle samples; p90 is
# the nearest-rank percentile.  Ratios are ratios of medians.  The scaling
# metrics also carry, for information, the ratio of medians of calls/s
# divided by the CPU share of each run: what the ratio would be had the host
# given the threads all the CPUs they asked for.

FILENAME != last {
	file++
	last = FILENAME
}
file == 1 && NF == 2 {
	add("init_ns", $1)
	add("init_kb", $2)
	next
}
file >= 2 && $1 != "loops" {
	for (i = 2; i <= NF; i++)
		add($1, $i)
	next
}
$1 == "loops" {
	loops = $0
	sub(/^loops /, "", loops)
}

END {
	if (cnt["init_ns"] == 0 || cnt["floor"] == 0 || cnt["bound2"] == 0) {
		print "report: missing samples" > "/dev/stderr"
		exit 1
	}
	# 1. Boot time.
	init_med = median("init_ns")
	init_p90 = pctl("init_ns", 90)
	init_pass = init_med < 1000000
	metric("init_time", init_med, "init_ns", "ns", 1000000, "<",
	    "median", init_med / 1000000, "median / target", jbool(init_pass),
	    ", \"p90\": " init_p90)
	# 2. Memory added by the boot.
	rss_med = median("init_kb")
	rss_pass = rss_med < 1024
	metric("init_rss", rss_med, "init_kb", "kB", 1024, "<", "median",
	    rss_med / 1024, "median / target", jbool(rss_pass),
	    ", \"p90\": " pctl("init_kb", 90))
	# 3. Null system call against the mutex floor.
	fl = median("floor")
	ho = median("host")
	im = median("implicit")
	bo = median("bound")
	lo = ", \"loops\": " jstr(loops)
	metric("null_floor_mutex", fl, "floor", "ns/call", "null", "", "",
	    1, "floor / floor", "null", lo)
	metric("null_host_getpid", ho, "host", "ns/call", "null", "", "",
	    ho / fl, "host / floor", "null", lo)
	if (cnt["floor_mt"] > 0)
		metric("null_floor_mutex_2threads", median("floor_mt"), "floor_mt",
		    "ns/call", "null", "", "", median("floor_mt") / fl,
		    "floor_mt / floor", "null", lo)
	metric("null_implicit", im, "implicit", "ns/call", 10, "<=", "ratio",
	    im / fl, "implicit / floor", jbool(im / fl <= 10), lo)
	metric("null_bound", bo, "bound", "ns/call", 3, "<=", "ratio",
	    bo / fl, "bound / floor", jbool(bo / fl <= 3), lo)
	# 4. Scaling from one to two threads on two virtual CPUs.
	b1 = median("bound1")
	b2 = median("bound2")
	i1 = median("implicit1")
	i2 = median("implicit2")
	metric("scale_bound", b2, "bound2", "calls/s", 1.8, ">=", "ratio",
	    b2 / b1, "2 threads / 1 thread", jbool(b2 / b1 >= 1.8),
	    scale_extra("bound1", "bound2"))
	metric("scale_implicit", i2, "implicit2", "calls/s", "null", "", "",
	    i2 / i1, "2 threads / 1 thread", "null",
	    scale_extra("implicit1", "implicit2"))
	if (bad)
		exit 1

	printf("{\n  \"benchmark\": \"kern\",\n  \"date\": %s,\n", jstr(date)) > json
	printf("  \"machine\": {\"uname\": %s, \"hostname\": %s, " \
	    "\"nproc\": %d, \"cpu\": %s, \"rump_ncpu_env\": %s},\n",
	    jstr(uname), jstr(host), nproc, jstr(cpu), jstr(ncpu_env)) > json
	printf("  \"metrics\": {\n%s\n  }\n}\n", body) > json
	close(json)

	printf("\nrumpk kernel base — medians (%s, %d CPUs, %s)\n", uname,
	    nproc, date)
	fmt = "%-34s %14s %14s %9s %9s  %s\n"
	printf(fmt, "metric", "median", "other", "ratio", "target", "result")
	printf(fmt, "rump_init() wall time", sprintf("%.3f ms", init_med / 1e6),
	    sprintf("p90 %.3f ms", init_p90 / 1e6), "", "< 1 ms",
	    verdict(jbool(init_pass)))
	printf(fmt, "RSS added by rump_init()", sprintf("%d kB", rss_med),
	    sprintf("p90 %d kB", pctl("init_kb", 90)), "", "< 1024 kB",
	    verdict(jbool(rss_pass)))
	printf(fmt, "floor: mutex lock+unlock", sprintf("%.2f ns", fl), "",
	    "1.00x", "", "")
	fm = median("floor_mt")
	if (fm > 0)
		printf(fmt, "floor, 2 threads (real atomics)",
		    sprintf("%.2f ns", fm), "", sprintf("%.2fx", fm / fl), "",
		    sprintf("info: bound/this %.2fx", bo / fm))
	printf(fmt, "host syscall(SYS_getpid)", sprintf("%.1f ns", ho), "",
	    sprintf("%.1fx", ho / fl), "", "info")
	printf(fmt, "rump_sys_getpid, implicit (a/c)", sprintf("%.2f ns", im),
	    "", sprintf("%.2fx", im / fl), "<= 10x", verdict(jbool(im / fl <= 10)))
	printf(fmt, "rump_sys_getpid, bound (b/c)", sprintf("%.2f ns", bo),
	    "", sprintf("%.2fx", bo / fl), "<= 3x", verdict(jbool(bo / fl <= 3)))
	printf(fmt, "scaling 2/1 bound threads, 2 CPUs",
	    sprintf("%.1f M/s", b2 / 1e6), sprintf("1 thr %.1f M/s", b1 / 1e6),
	    sprintf("%.2f", b2 / b1), ">= 1.8", verdict(jbool(b2 / b1 >= 1.8)))
	printf(fmt, "scaling 2/1 implicit, 2 CPUs",
	    sprintf("%.1f M/s", i2 / 1e6), sprintf("1 thr %.1f M/s", i1 / 1e6),
	    sprintf("%.2f", i2 / i1), "", "info")
	printf("scaling, host CPU share of 2 threads (median): bound %.2f, " \
	    "implicit %.2f; ratio if unstarved: bound %.2f, implicit %.2f\n",
	    median("cpu_bound2"), median("cpu_implicit2"), nratio["bound2"],
	    nratio["implicit2"])
	printf("runs: init %d processes; null syscall %d x [%s]; " \
	    "scaling %d x %s ms per configuration\n", cnt["init_ns"],
	    cnt["floor"], loops, cnt["bound1"], scale_ms)
}
