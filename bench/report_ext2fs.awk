# report_ext2fs.awk — turns the raw samples of ext2fs_perf into a table on
# stdout and one JSON object in the file named by -v json=.  Needs the
# helpers of report_lib.awk, loaded before it (bench/run.sh).
#
# Input: one file of lines "<metric> <value>...", "param <name>=<value>..."
# and "skip <what> <why...>" (bench/run.sh collects them from every run of
# ext2fs_perf).  Times are ns per job, throughputs MB/s.  A "speed" ratio
# of two times is reference time / rumpk time (above 1: rumpk is faster);
# ratios are ratios of medians.

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
$1 == "skip" {
	w = $0
	sub(/^skip [^ ]* /, "", w)
	skip[$2] = w
	next
}
NF >= 2 {
	for (i = 2; i <= NF; i++)
		add($1, $i)
}

function have(k1, k2)
{
	return cnt[k1] > 0 && (k2 == "" || cnt[k2] > 0)
}

function row(label, med, other, ratio, target, result)
{
	printf(fmt, label, med, other, ratio, target, result)
}

function secs(ns)
{
	return sprintf("%.3f s", ns / 1e9)
}

function mb(v)
{
	return sprintf("%.0f MB/s", v)
}

function missing(label, why)
{
	row(label, "-", "", "", "", why)
	nmiss++
}

# A job time of rumpk against a reference time: speed = ref / rumpk.
function vs_time(name, key, rkey, target, ratio_of, label,    m, r, q, p)
{
	if (!have(key, rkey)) {
		missing(label, "ERROR (no samples)")
		return
	}
	m = median(key)
	r = median(rkey)
	q = r / m
	p = target == "null" ? "null" : jbool(q >= target)
	metric(name, m, key, "ns", target, target == "null" ? "" : ">=",
	    target == "null" ? "" : "ratio", q, ratio_of, p,
	    ", \"reference_median\": " r ", \"reference_samples\": " \
	    samples(rkey))
	row(label, secs(m), "ref " secs(r), sprintf("%.2fx", q),
	    target == "null" ? "" : sprintf(">= %gx", target), verdict(p))
}

# A throughput of rumpk against a reference throughput.
function vs_rate(name, key, rkey, target, ratio_of, label, extra,    m, r,
    q, p)
{
	if (!have(key, rkey)) {
		missing(label, "ERROR (no samples)")
		return
	}
	m = median(key)
	r = median(rkey)
	q = m / r
	p = target == "null" ? "null" : jbool(q >= target)
	metric(name, m, key, "MB/s", target, target == "null" ? "" : ">=",
	    target == "null" ? "" : "ratio", q, ratio_of, p,
	    ", \"reference_median\": " r ", \"reference_samples\": " \
	    samples(rkey) extra)
	row(label, mb(m), "ref " mb(r), sprintf("%.2fx", q),
	    target == "null" ? "" : sprintf(">= %gx", target), verdict(p))
}

function num(v)
{
	return v == "" ? "null" : v
}

END {
	fmt = "%-40s %11s %18s %7s %8s  %s\n"
	printf("\nrumpk ext4 — medians (%s, %d CPUs, %s)\n", uname, nproc, date)
	printf(fmt, "metric", "median", "reference", "ratio", "target",
	    "result")

	# 1. Populating an image from the tree.
	vs_time("populate_vs_mkfsd", "populate_ns", "mkfsd_ns", 1,
	    "mke2fs -d time / rumpk time (both from nothing)",
	    "populate: rumpk vs mke2fs -d")
	if (have("populate_ns", "mkfsd_ns") && have("mkfs_empty_ns")) {
		e = median("mkfs_empty_ns")
		q = (median("mkfsd_ns") - e) / (median("populate_ns") - e)
		metric("populate_vs_mkfsd_net", median("populate_ns") - e,
		    "populate_ns", "ns", "null", "", "", q,
		    "(mke2fs -d - empty mke2fs) / (rumpk - empty mke2fs)",
		    "null", ", \"mkfs_empty_median\": " e)
		row("  the same without the empty mke2fs", \
		    secs(median("populate_ns") - e), "ref " \
		    secs(median("mkfsd_ns") - e), sprintf("%.2fx", q), "",
		    "info")
	}
	if ("fuse" in skip) {
		metric("populate_vs_fuse2fs", "null", "populate_ns", "ns", 5,
		    ">=", "ratio", "null", "fuse2fs + cp -a time / rumpk time",
		    "null", ", \"skipped\": " jstr(skip["fuse"]))
		missing("populate: rumpk vs fuse2fs + cp -a",
		    "skipped: " skip["fuse"])
	} else
		vs_time("populate_vs_fuse2fs", "populate_ns", "fuse_ns", 5,
		    "fuse2fs + cp -a time / rumpk time",
		    "populate: rumpk vs fuse2fs + cp -a")

	# 2. Reading the tree back.
	vs_time("readtree_vs_rdump", "readtree_ns", "rdump_ns", "null",
	    "debugfs rdump time / rumpk time", "read tree: rumpk vs rdump")

	# 3. Sequential I/O of one file.
	vs_rate("seq_write", "seq_rump_write", "seq_host_write", "null",
	    "rumpk / host file", "1 GiB write+fsync: rumpk vs host", "")
	vs_rate("seq_read", "seq_rump_read", "seq_host_read", "null",
	    "rumpk / host file", "1 GiB read, cold: rumpk vs host", "")

	# 4. Two writers against one.
	ex = have("cpu_scale_rump1", "cpu_scale_rump2") ? \
	    scale_extra("scale_rump1", "scale_rump2") : ""
	vs_rate("scale_write", "scale_rump2", "scale_rump1", 1.6,
	    "2 threads / 1 thread", "2 writers / 1, 2 CPUs: rumpk", ex)
	if (have("scale_host_onefile2", "scale_host_onefile1"))
		vs_rate("scale_host_onefile", "scale_host_onefile2",
		    "scale_host_onefile1", "null", "2 threads / 1 thread",
		    "2 writers / 1: host, one shared file", "")
	if ("scalefuse" in skip) {
		missing("2 writers / 1: fuse2fs",
		    "skipped: " skip["scalefuse"])
	} else if (have("scale_fuse2", "scale_fuse1"))
		vs_rate("scale_write_fuse2fs", "scale_fuse2", "scale_fuse1",
		    "null", "2 threads / 1 thread",
		    "2 writers / 1: fuse2fs (for scale)", "")

	if (have("cpu_scale_rump1", "cpu_scale_rump2"))
		printf("scaling, process CPU share over 2 CPUs (median): " \
		    "2 writers %.2f, 1 writer %.2f; ratio per CPU-second: " \
		    "%.2f\n", median("cpu_scale_rump2"),
		    median("cpu_scale_rump1"), nratio["scale_rump2"])
	printf("tree: %s files, %s dirs (%s deep), %s symlinks, %s bytes; " \
	    "image %s; seq %s MiB; scaling %s MiB per thread\n",
	    param["tree_files"], param["tree_dirs"], param["tree_maxdepth"],
	    param["tree_symlinks"], param["tree_bytes"], param["image_size"],
	    param["seq_mib"], param["scale_mib_per_thread"])

	printf("{\n  \"benchmark\": \"ext2fs\",\n  \"date\": %s,\n",
	    jstr(date)) > json
	printf("  \"machine\": {\"uname\": %s, \"hostname\": %s, " \
	    "\"nproc\": %d, \"cpu\": %s, \"rump_ncpu_env\": %s},\n",
	    jstr(uname), jstr(host), nproc, jstr(cpu), jstr(ncpu_env)) > json
	printf("  \"params\": {\"tree_files\": %s, \"tree_dirs\": %s, " \
	    "\"tree_symlinks\": %s, \"tree_bytes\": %s, " \
	    "\"tree_maxdepth\": %s, \"image_size\": %s, \"image_dir\": %s, " \
	    "\"seq_mib\": %s, \"scale_mib_per_thread\": %s, " \
	    "\"scale_file_kib\": %s},\n",
	    num(param["tree_files"]), num(param["tree_dirs"]),
	    num(param["tree_symlinks"]), num(param["tree_bytes"]),
	    num(param["tree_maxdepth"]), jstr(param["image_size"]),
	    jstr(param["image_dir"]), num(param["seq_mib"]),
	    num(param["scale_mib_per_thread"]),
	    num(param["scale_file_kib"])) > json
	printf("  \"metrics\": {\n%s\n  }\n}\n", body) > json
	close(json)
	if (bad)
		exit 1
}
