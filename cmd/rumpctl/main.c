/*
 * main.c — rumpctl, the rump.* utilities as one multi-call program: the
 * command comes from the name it was run as (rump.ls → ls) or from its
 * first argument (rumpctl ls ...).  Each command works on the kernel that
 * rumpctl_connect() (connect.c) reaches.
 */
#include <locale.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "rumpctl.h"

const char *progname = "rumpctl";
const struct rumpctl_cmd *curcmd;

const struct rumpctl_cmd rumpctl_cmds[] = {
    {"cat", cmd_cat, "[FILE]...", "print files of the kernel", false},
    {"chmod", cmd_chmod, "[-R] MODE FILE...",
        "change modes (octal or u+x style)", false},
    {"chown", cmd_chown, "[-R] OWNER[:GROUP] FILE...",
        "change owners (numbers or the host's names)", false},
    {"cp", cmd_cp, "[-rRpf] SOURCE... DEST",
        "copy files; 'rump:PATH' is in the kernel, other paths on the host",
        false},
    {"dd", cmd_dd,
        "[if=FILE] [of=FILE] [bs=N] [count=N] [skip=N] [seek=N] "
        "[conv=notrunc]",
        "copy blocks between kernel files (stdin/stdout by default)", false},
    {"df", cmd_df, "[-h] [FILE]...", "file system space", false},
    {"halt", cmd_halt, "", "sync and power off the kernel", false},
    {"ifconfig", cmd_ifconfig,
        "[IF [create|destroy|up|down|linkstr STR|inet ADDR[/LEN] "
        "[netmask M]|mtu N]...]",
        "show or configure network interfaces", false},
    {"ln", cmd_ln, "[-sf] TARGET [LINK]  |  [-sf] TARGET... DIR", "make links",
        false},
    {"ls", cmd_ls, "[-laRd1] [FILE]...", "list directories", false},
    {"mkdir", cmd_mkdir, "[-p] [-m MODE] DIR...", "make directories", false},
    {"mount", cmd_mount, "[-t TYPE] [-o OPTIONS] [-r|-w] SOURCE TARGET",
        "mount a file system (no arguments: list mounts)", false},
    {"mv", cmd_mv, "[-f] SOURCE... DEST", "rename files", false},
    {"netstat", cmd_netstat, "[-r|-i|-a] [-n]", "routes, interfaces or sockets",
        false},
    {"ping", cmd_ping, "[-c COUNT] [-i INTERVAL] [-s SIZE] [-W TIMEOUT] HOST",
        "send ICMP echo requests", false},
    {"rm", cmd_rm, "[-rRf] FILE...", "remove files", false},
    {"rmdir", cmd_rmdir, "DIR...", "remove empty directories", false},
    {"route", cmd_route,
        "[-n] | add|del [-net|-host] TARGET[/LEN] [netmask M] [gw GW] "
        "[dev IF]",
        "show or change the routing table", false},
    {"stat", cmd_stat, "FILE...", "file status", false},
    {"sysctl", cmd_sysctl, "[-n] [-a] [-w] NAME[=VALUE]...",
        "read and write /proc/sys", false},
    {"umount", cmd_umount, "[-f] [-l] TARGET...", "unmount file systems",
        false},
    {NULL, NULL, NULL, NULL, false},
};

static const struct rumpctl_cmd *
find_cmd(const char *name)
{
	for (const struct rumpctl_cmd *c = rumpctl_cmds; c->rc_name; c++)
		if (strcmp(c->rc_name, name) == 0)
			return c;
	return NULL;
}

static int
list_cmds(FILE *f)
{
	fprintf(f,
	    "usage: rumpctl COMMAND [ARGS]...  (or run as rump.COMMAND)\n"
	    "Works on the rump kernel at $RUMP_SERVER "
	    "(unix://PATH, tcp://HOST:PORT).\n\nCommands:\n");
	for (const struct rumpctl_cmd *c = rumpctl_cmds; c->rc_name; c++)
		fprintf(f, "  %-9s %s\n", c->rc_name, c->rc_help);
	fprintf(f, "\n'rumpctl COMMAND --help' describes a command.\n");
	return 0;
}

int
print_help(void)
{
	printf(
	    "usage: %s %s\n%s\n", progname, curcmd->rc_usage, curcmd->rc_help);
	return 0;
}

bool
wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0) {
			print_help();
			return true;
		}
	}
	return false;
}

void
warnmsg(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
warnerr(int error, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(error));
}

int
usage_error(int status, const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		fprintf(stderr, "%s: ", progname);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "Try '%s --help' for more information.\n", progname);
	return status;
}

int
main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	static char namebuf[64];
	int error;

	setlocale(LC_ALL, "");
	base = base ? base + 1 : argv[0];
	if (strncmp(base, "rump.", 5) == 0) {
		curcmd = find_cmd(base + 5);
		if (curcmd == NULL) {
			fprintf(stderr, "%s: no such command\n", base);
			return 1;
		}
	} else {
		if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
		    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0)
			return list_cmds(argc < 2 ? stderr : stdout) ||
			    (argc < 2 ? 1 : 0);
		curcmd = find_cmd(argv[1]);
		if (curcmd == NULL) {
			fprintf(stderr,
			    "rumpctl: unknown command '%s' (rumpctl --help "
			    "lists them)\n",
			    argv[1]);
			return 1;
		}
		argc--;
		argv++;
	}
	snprintf(namebuf, sizeof(namebuf), "rump.%s", curcmd->rc_name);
	progname = namebuf;
	if (wants_help(argc, argv))
		return 0;
	if (!curcmd->rc_nokernel && (error = rumpctl_connect()) != 0) {
		fprintf(stderr, "%s: cannot reach the rump kernel: %s\n",
		    progname, strerror(error));
		return 1;
	}
	return curcmd->rc_main(argc, argv);
}
