# report_lib.awk — the statistics and JSON helpers shared by report.awk
# (kernel base) and report_vfs.awk (VFS).  Load it first:
#   awk -f bench/report_lib.awk -f bench/report.awk ...
#
# Samples live in s[key, 1..cnt[key]] (add()).  Medians of an even count
# are the mean of the two middle samples; p90 is the nearest-rank
# percentile.  metric() appends one JSON member to the global body and
# counts nmetrics; a missing sample set sets bad.

function sortv(a, n,    i, j, t)
{
	for (i = 2; i <= n; i++) {
		t = a[i]
		for (j = i - 1; j >= 1 && a[j] > t; j--)
			a[j + 1] = a[j]
		a[j + 1] = t
	}
}

# Median of samples s[key, 1..n[key]].
function median(key,    a, i, m)
{
	m = cnt[key]
	if (m == 0) {
		print "report: no samples for " key > "/dev/stderr"
		bad = 1
		return 0
	}
	for (i = 1; i <= m; i++)
		a[i] = s[key, i]
	sortv(a, m)
	if (m % 2)
		return a[(m + 1) / 2]
	return (a[m / 2] + a[m / 2 + 1]) / 2
}

function pctl(key, p,    a, i, m, r)
{
	m = cnt[key]
	for (i = 1; i <= m; i++)
		a[i] = s[key, i]
	sortv(a, m)
	r = int(p * m / 100)
	if (r < p * m / 100)
		r++
	if (r < 1)
		r = 1
	return a[r]
}

function samples(key,    i, out)
{
	out = "["
	for (i = 1; i <= cnt[key]; i++)
		out = out (i > 1 ? ", " : "") s[key, i]
	return out "]"
}

function jstr(v)
{
	gsub(/\\/, "\\\\", v)
	gsub(/"/, "\\\"", v)
	return "\"" v "\""
}

function jbool(b)
{
	return b ? "true" : "false"
}

function add(key, v)
{
	s[key, ++cnt[key]] = v
}

# Adds samples dst = rate / cpu share, run by run.
function normalise(dst, rate, share,    i)
{
	for (i = 1; i <= cnt[rate]; i++)
		add(dst, cnt[share] >= i && s[share, i] > 0 ? \
		    s[rate, i] / s[share, i] : s[rate, i])
}

# JSON members of the host-CPU-share figures of a scaling metric.
function scale_extra(one, two)
{
	normalise("n_" one, one, "cpu_" one)
	normalise("n_" two, two, "cpu_" two)
	nratio[two] = median("n_" two) / median("n_" one)
	return ", \"ncpu\": 2, \"one_thread_median\": " median(one) \
	    ", \"one_thread_samples\": " samples(one) \
	    ", \"cpu_share_median\": " median("cpu_" two) \
	    ", \"one_thread_cpu_share_median\": " median("cpu_" one) \
	    ", \"ratio_cpu_normalised\": " nratio[two]
}

# One metric as a JSON member; extra is more members, already formatted.
function metric(name, med, key, unit, target, op, on, ratio, ratio_of, pass,
    extra)
{
	nmetrics++
	body = body (nmetrics > 1 ? ",\n" : "") "    " jstr(name) ": {" \
	    "\"median\": " med ", \"runs\": " cnt[key] ", \"unit\": " \
	    jstr(unit) ", \"target\": " target ", \"target_op\": " \
	    jstr(op) ", \"target_on\": " jstr(on) ", \"ratio\": " ratio \
	    ", \"ratio_of\": " jstr(ratio_of) ", \"pass\": " pass extra \
	    ", \"samples\": " samples(key) "}"
}

function verdict(p)
{
	if (p == "null")
		return "info"
	return p == "true" ? "PASS" : "FAIL"
}

