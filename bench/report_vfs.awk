# report_vfs.awk — turns the raw samples of the VFS benchmarks into a
# table on stdout and one JSON object in the file named by -v json=.
# Needs the helpers of report_lib.awk, loaded before it (bench/run.sh).
#
# Input: the output files of the programs, each named after its program
# (bench/run.sh passes meta, io, scale, etfs, any of them possibly missing
# or empty when the program failed; -v failed="<names>" lists those).  Each
# line is "<metric> <value>..." or "param <name>=<value>...".  Keys get the
# file's name as prefix: "meta.meta_rump", "io.write_1m", "etfs.read"...
# Ratios are ratios of medians; a metric whose samples are missing is left
# out of the JSON and shown as ERROR in the table.

FILENAME != last {
	last = FILENAME
	pre = FILENAME
	sub(/.*\//, "", pre)
	pre = pre "."
}
$1 == "param" {
	for (i = 2; i <= NF; i++) {
		k = $i
		v = $i
		sub(/=.*/, "", k)
		sub(/^[^=]*=/, "", v)
		param[pre k] = v
	}
	next
}
NF >= 2 {
	# "cpu_rump1" of scale goes to "cpu_scale.rump1", as scale_extra()
	# of report_lib.awk wants.
	k = $1 ~ /^cpu_/ ? "cpu_" pre substr($1, 5) : pre $1
	for (i = 2; i <= NF; i++)
		add(k, $i)
}

function have(k1, k2)
{
	return cnt[k1] > 0 && (k2 == "" || cnt[k2] > 0)
}

# Per-run ratios a[i] / b[i] as samples of dst.
function ratios(dst, a, b,    i)
{
	for (i = 1; i <= cnt[a] && i <= cnt[b]; i++)
		add(dst, s[b, i] > 0 ? s[a, i] / s[b, i] : 0)
}

function row(label, med, other, ratio, target, result)
{
	printf(fmt, label, med, other, ratio, target, result)
}

function err_row(label, prog)
{
	row(label, "-", "", "", "", "ERROR (" prog " failed)")
	nerr++
}

function mb(v)
{
	return sprintf("%.0f MB/s", v)
}

function kops(v)
{
	return sprintf("%.1f k/s", v / 1e3)
}

# A throughput metric against a floor: ratio = med / floor >= target.
function vs_floor(name, key, fkey, unit, target, ratio_of, label, prog,
    showfn,    m, f, r, p)
{
	if (!have(key, fkey)) {
		err_row(label, prog)
		return
	}
	m = median(key)
	f = median(fkey)
	r = m / f
	if (target == "null") {
		metric(name, m, key, unit, "null", "", "", r, ratio_of, "null",
		    "")
		row(label, showfn == "mb" ? mb(m) : kops(m), "", \
		    sprintf("%.2fx", r), "", "info")
		return
	}
	p = jbool(r >= target)
	metric(name, m, key, unit, target, ">=", "ratio", r, ratio_of, p, "")
	row(label, showfn == "mb" ? mb(m) : kops(m), "", sprintf("%.2fx", r),
	    sprintf(">= %.2gx", target), verdict(p))
}

END {
	fmt = "%-38s %12s %16s %8s %9s  %s\n"
	printf("\nrumpk VFS — medians (%s, %d CPUs, %s)\n", uname, nproc, date)
	printf(fmt, "metric", "median", "other", "ratio", "target", "result")

	# 1. tmpfs metadata.
	if (have("meta.meta_rump", "meta.meta_host")) {
		mr = median("meta.meta_rump")
		mh = median("meta.meta_host")
		metric("tmpfs_meta_host", mh, "meta.meta_host", "ops/s", "null",
		    "", "", 1, "host / host", "null",
		    ", \"files\": " param["meta.meta_files"])
		p = jbool(mr / mh >= 2)
		metric("tmpfs_meta", mr, "meta.meta_rump", "ops/s", 2, ">=",
		    "ratio", mr / mh, "rump / host tmpfs", p,
		    ", \"files\": " param["meta.meta_files"])
		row("host tmpfs create+fstat+close+unlink", kops(mh), "", "",
		    "", "info")
		row("rump tmpfs create+fstat+close+unlink", kops(mr),
		    sprintf("host %s", kops(mh)), sprintf("%.2fx", mr / mh),
		    ">= 2x", verdict(p))
	} else
		err_row("tmpfs create+fstat+close+unlink", "vfs_meta")
	if (have("meta.create_small_rump", "meta.create_large_host")) {
		ns = param["meta.small_files"]
		nl = param["meta.large_files"]
		for (side = 0; side < 2; side++) {
			sd = side ? "host" : "rump"
			ks = "meta.create_small_" sd
			kl = "meta.create_large_" sd
			cs = median(ks)
			cl = median(kl)
			ch[sd, "s"] = cs
			ch[sd, "l"] = cl
			metric("tmpfs_create_small_" sd, cs, ks, "us/file",
			    "null", "", "", side ? 1 : cs / median( \
			    "meta.create_small_host"), side ? "host / host" : \
			    "rump / host (lower is faster)", "null",
			    ", \"files\": " ns)
			metric("tmpfs_create_large_" sd, cl, kl, "us/file",
			    "null", "", "", side ? 1 : cl / median( \
			    "meta.create_large_host"), side ? "host / host" : \
			    "rump / host (lower is faster)", "null",
			    ", \"files\": " nl)
			ratios("growth_" sd, kl, ks)
			g = cl / cs
			if (side) {
				metric("tmpfs_create_growth_host", g,
				    "growth_host", "ratio", "null", "", "", g,
				    "us/file at " nl " / at " ns, "null", "")
			} else {
				gp = jbool(g <= 1.3)
				metric("tmpfs_create_growth", g, "growth_rump",
				    "ratio", 1.3, "<=", "ratio", g,
				    "us/file at " nl " / at " ns, gp, "")
			}
		}
		row(sprintf("create+close, %d files, host", ns),
		    sprintf("%.2f us", ch["host", "s"]), "", "", "", "info")
		row(sprintf("create+close, %d files, rump", ns),
		    sprintf("%.2f us", ch["rump", "s"]),
		    sprintf("NetBSD rump 57.5"),
		    sprintf("%.2fx", ch["rump", "s"] / ch["host", "s"]), "",
		    "info")
		row(sprintf("create+close, %d files, host", nl),
		    sprintf("%.2f us", ch["host", "l"]), "", "", "", "info")
		row(sprintf("create+close, %d files, rump", nl),
		    sprintf("%.2f us", ch["rump", "l"]), "",
		    sprintf("%.2fx", ch["rump", "l"] / ch["host", "l"]), "",
		    "info")
		row(sprintf("per-file growth %dk/%dk, host", nl / 1000,
		    ns / 1000), sprintf("%.2f", ch["host", "l"] / \
		    ch["host", "s"]), "", "", "", "info")
		row(sprintf("per-file growth %dk/%dk, rump", nl / 1000,
		    ns / 1000), sprintf("%.2f", ch["rump", "l"] / \
		    ch["rump", "s"]), "", "", "<= 1.3", verdict(gp))
	} else
		err_row("create+close in one directory", "vfs_meta")

	# 2. tmpfs sequential I/O against memcpy.
	if (have("io.memcpy")) {
		fl = median("io.memcpy")
		metric("memcpy", fl, "io.memcpy", "MB/s", "null", "", "", 1,
		    "floor / floor", "null", ", \"block\": 1048576")
		row("floor: memcpy 1 MiB blocks, 256 MiB", mb(fl), "", "1.00x",
		    "", "")
		ex = ", \"size_mib\": " param["io.size_mib"]
	} else
		ex = ""
	vs_floor("tmpfs_write_64k", "io.write_64k", "io.memcpy", "MB/s", 0.25,
	    "write / memcpy", "rump tmpfs write, 64 KiB calls", "vfs_io", "mb")
	vs_floor("tmpfs_write_1m", "io.write_1m", "io.memcpy", "MB/s", 0.25,
	    "write / memcpy", "rump tmpfs write, 1 MiB calls", "vfs_io", "mb")
	vs_floor("tmpfs_read_64k", "io.read_64k", "io.memcpy", "MB/s", 0.5,
	    "read / memcpy", "rump tmpfs read, 64 KiB calls", "vfs_io", "mb")
	vs_floor("tmpfs_read_1m", "io.read_1m", "io.memcpy", "MB/s", 0.5,
	    "read / memcpy", "rump tmpfs read, 1 MiB calls", "vfs_io", "mb")
	vs_floor("host_tmpfs_write_1m", "io.host_write_1m", "io.memcpy",
	    "MB/s", "null", "host write / memcpy",
	    "host tmpfs write, 1 MiB calls", "vfs_io", "mb")
	vs_floor("host_tmpfs_read_1m", "io.host_read_1m", "io.memcpy", "MB/s",
	    "null", "host read / memcpy", "host tmpfs read, 1 MiB calls",
	    "vfs_io", "mb")

	# 3. Scaling over two virtual CPUs.
	if (have("scale.rump1", "scale.rump2")) {
		r1 = median("scale.rump1")
		r2 = median("scale.rump2")
		p = jbool(r2 / r1 >= 1.8)
		metric("tmpfs_scale", r2, "scale.rump2", "ops/s", 1.8, ">=",
		    "ratio", r2 / r1, "2 threads / 1 thread", p,
		    scale_extra("scale.rump1", "scale.rump2"))
		row("tmpfs scaling 2/1 threads, 2 CPUs", kops(r2),
		    "1 thr " kops(r1), sprintf("%.2f", r2 / r1), ">= 1.8",
		    verdict(p))
	} else
		err_row("tmpfs scaling 2/1 threads, 2 CPUs", "vfs_scale")
	if (have("scale.host1", "scale.host2")) {
		h1 = median("scale.host1")
		h2 = median("scale.host2")
		metric("host_tmpfs_scale", h2, "scale.host2", "ops/s", "null",
		    "", "", h2 / h1, "2 threads / 1 thread", "null",
		    scale_extra("scale.host1", "scale.host2"))
		row("host tmpfs scaling 2/1 threads", kops(h2),
		    "1 thr " kops(h1), sprintf("%.2f", h2 / h1), "", "info")
	}

	# 4. etfs block device against the host file.
	vs_floor("etfs_host_write", "etfs.host_write", "etfs.host_write",
	    "MB/s", "null", "host / host", "host file pwrite 1 MiB + fsync",
	    "vfs_etfs", "mb")
	vs_floor("etfs_write", "etfs.write", "etfs.host_write", "MB/s", "null",
	    "rump / host", "etfs blk write 1 MiB + fsync", "vfs_etfs", "mb")
	vs_floor("etfs_host_read", "etfs.host_read", "etfs.host_read", "MB/s",
	    "null", "host / host", "host file pread 1 MiB", "vfs_etfs", "mb")
	vs_floor("etfs_read", "etfs.read", "etfs.host_read", "MB/s", "null",
	    "rump / host", "etfs blk read 1 MiB", "vfs_etfs", "mb")

	if (have("scale.rump2"))
		printf("scaling, host CPU share of 2 threads (median): rump " \
		    "%.2f (1 thread %.2f); ratio if unstarved: %.2f\n",
		    median("cpu_" "scale.rump2"), median("cpu_scale.rump1"),
		    nratio["scale.rump2"])
	printf("sizes: meta %s files, create %s and %s files; I/O %s MiB; " \
	    "scaling %s ms per run; etfs %s MiB image in %s\n",
	    param["meta.meta_files"], param["meta.small_files"],
	    param["meta.large_files"], param["io.size_mib"], param["scale.ms"],
	    param["etfs.size_mib"], param["etfs.image_dir"])
	if (failed != "")
		printf("failed: %s\n", failed)

	printf("{\n  \"benchmark\": \"vfs\",\n  \"date\": %s,\n", jstr(date)) > json
	printf("  \"machine\": {\"uname\": %s, \"hostname\": %s, " \
	    "\"nproc\": %d, \"cpu\": %s, \"rump_ncpu_env\": %s},\n",
	    jstr(uname), jstr(host), nproc, jstr(cpu), jstr(ncpu_env)) > json
	printf("  \"params\": {\"meta_files\": %s, \"small_files\": %s, " \
	    "\"large_files\": %s, \"io_size_mib\": %s, \"scale_ms\": %s, " \
	    "\"etfs_size_mib\": %s, \"etfs_image_dir\": %s, " \
	    "\"host_tmpfs\": %s},\n",
	    num(param["meta.meta_files"]), num(param["meta.small_files"]),
	    num(param["meta.large_files"]), num(param["io.size_mib"]),
	    num(param["scale.ms"]), num(param["etfs.size_mib"]),
	    jstr(param["etfs.image_dir"]), jstr(param["meta.host_dir"])) > json
	printf("  \"failed\": [%s],\n", jlist(failed)) > json
	printf("  \"metrics\": {\n%s\n  }\n}\n", body) > json
	close(json)
}

function num(v)
{
	return v == "" ? "null" : v
}

function jlist(v,    a, n, i, out)
{
	n = split(v, a, " ")
	out = ""
	for (i = 1; i <= n; i++)
		out = out (i > 1 ? ", " : "") jstr(a[i])
	return out
}
