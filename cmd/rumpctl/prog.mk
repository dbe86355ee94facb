# prog.mk — rumpctl: one client program, also installed under the
# NetBSD-style names rump.<command> (symlinks to rumpctl, which picks the
# command from the name it runs as).
#
# rumpctl talks to a remote kernel through librumpclient ($RUMP_SERVER).
# connect.c works with either library; without LDLIBS_rumpctl the program
# links the whole local kernel instead, and each command boots its own.
LDLIBS_rumpctl = -lrumpclient
RUMPCTL_CMDS := cat chmod chown cp dd df halt ifconfig ln ls mkdir mount \
	mv netstat ping rm rmdir route stat sysctl umount
RUMPCTL_LINKS := $(RUMPCTL_CMDS:%=$(B)/bin/rump.%)
EXTRA_PROGRAMS += $(RUMPCTL_LINKS)
$(RUMPCTL_LINKS): $(B)/bin/rumpctl
	ln -sf rumpctl $@

install: install-rumpctl-links
install-rumpctl-links:
	install -d $(DESTDIR)$(PREFIX)/bin
	for c in $(RUMPCTL_CMDS); do ln -sf rumpctl $(DESTDIR)$(PREFIX)/bin/rump.$$c; done
.PHONY: install-rumpctl-links
