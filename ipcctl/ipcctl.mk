# ipcctl/: a command-line client for any service ipcgen's stubs serve on the
# POSIX port.  Fragment of Makefile.in: it links ipcgen's front end
# ($(IPCGEN_FRONT), ipcgen/ipcgen.mk) and libmercury.

IPCCTL = $(B)/ipcgen/ipcctl
IPCCTL_ASAN = $(B)/ipcgen/asan/ipcctl
IPCCTL_SRCS = ipcctl/main.c ipcctl/value.c
IPCCTL_HDRS = ipcctl/value.h ipcgen/ipcgen.h $(RT_HDRS)
IPCCTL_CFLAGS = $(HOST_CFLAGS) -Iipcgen -Iruntime/include -pthread

ALL_TARGETS += $(IPCCTL)

$(IPCCTL): $(IPCCTL_SRCS) $(IPCCTL_HDRS) $(IPCGEN_FRONT) $(RT_LIB)
	$(CC) $(IPCCTL_CFLAGS) $(LDFLAGS) -o $@ $(IPCCTL_SRCS) $(IPCGEN_FRONT) $(RT_LIB) \
		$(XXHASH_LIBS) $(RT_LIBS)

# The same under ASan/UBSan, which check-ipcctl-asan runs the tests with.
$(IPCCTL_ASAN): $(IPCCTL_SRCS) $(IPCCTL_HDRS) $(IPCGEN_FRONT_ASAN) $(RT_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(IPCCTL_CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $(IPCCTL_SRCS) $(IPCGEN_FRONT_ASAN) \
		$(RT_SAN_LIB) $(XXHASH_LIBS) $(RT_LIBS)

INSTALL_TARGETS += install-ipcctl
install-ipcctl: $(IPCCTL)
	mkdir -p $(DESTDIR)$(BINDIR)
	install -m 755 $(IPCCTL) $(DESTDIR)$(BINDIR)/ipcctl

.PHONY: install-ipcctl

include tests/ipcctl/tests.mk
