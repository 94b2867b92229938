# ipcgen/: the compiler.  Fragment of Makefile.in.

IPCGEN = $(B)/ipcgen/ipcgen
IPCGEN_ASAN = $(B)/ipcgen/asan/ipcgen
IPCGEN_SRCS = ipcgen/util.c ipcgen/ast.c ipcgen/load.c ipcgen/check.c ipcgen/resolve.c ipcgen/types.c \
	ipcgen/cnames.c ipcgen/identity.c ipcgen/gen_c.c ipcgen/gen_fuzz.c ipcgen/compat.c ipcgen/write.c
IPCGEN_GEN = $(B)/ipcgen/lexer.c $(B)/ipcgen/parser.c
IPCGEN_OBJS = $(IPCGEN_SRCS:ipcgen/%.c=$(B)/ipcgen/%.o) $(B)/ipcgen/lexer.o $(B)/ipcgen/parser.o
IPCGEN_CFLAGS = $(HOST_CFLAGS) -pthread -I$(B)/ipcgen -Iipcgen $(XXHASH_CFLAGS)
IPCGEN_HDRS = ipcgen/ipcgen.h ipcgen/ast.h ipcgen/checker.h $(B)/ipcgen/parser.h $(B)/ipcgen/limits.h \
	$(B)/ipcgen/fuzz_template.h

ALL_TARGETS += $(IPCGEN)

# The transport's limits, read from the header that owns them.
$(B)/ipcgen/limits.h: runtime/include/mercury/ipc.h
	@mkdir -p $(@D)
	@w=$$(sed -n 's/^#define IPC_MAX_WORDS \([0-9][0-9]*\).*/\1/p' $<); \
	 c=$$(sed -n 's/^#define IPC_MAX_CAPS \([0-9][0-9]*\).*/\1/p' $<); \
	 [ -n "$$w" ] && [ -n "$$c" ] || { echo "$<: IPC_MAX_WORDS or IPC_MAX_CAPS not found" >&2; exit 1; }; \
	 printf '/* written by the build from %s */\n#define IPCGEN_MAX_WORDS %s\n#define IPCGEN_MAX_CAPS %s\n' "$<" "$$w" "$$c" >$@

$(B)/ipcgen/lexer.c: ipcgen/lexer.re $(B)/ipcgen/parser.h
	@mkdir -p $(@D)
	$(RE2C) -W -Werror --no-generation-date --no-version -o $@ $<

# The protocol-independent part of NS_fuzz.c, as a C string.
$(B)/ipcgen/fuzz_template.h: ipcgen/fuzz_template.c
	@mkdir -p $(@D)
	@{ echo '/* written by the build from $<: the text gen_fuzz.c copies in */'; \
	   echo 'static const char fuzz_template[] ='; \
	   sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; \
	   echo ';'; } >$@

# lemon writes parser.c and parser.h beside its input: give it a copy.
$(B)/ipcgen/parser.h: $(B)/ipcgen/parser.c
$(B)/ipcgen/parser.c: ipcgen/parser.y ipcgen/ipcgen.mk
	@mkdir -p $(@D)
	cp ipcgen/parser.y $(B)/ipcgen/parser.y
	$(LEMON) -q -c -T$(LEMPAR) $(B)/ipcgen/parser.y >/dev/null

$(B)/ipcgen/%.o: ipcgen/%.c $(IPCGEN_HDRS)
	$(CC) $(IPCGEN_CFLAGS) -c -o $@ $<
$(B)/ipcgen/lexer.o: $(B)/ipcgen/lexer.c $(IPCGEN_HDRS)
	$(CC) $(IPCGEN_CFLAGS) -c -o $@ $<
# Lemon's template is not ours: its few unused-parameter warnings are not errors.
# NDEBUG drops its tracing hooks and asserts from the hot loop (the ASan build
# below keeps the asserts).
$(B)/ipcgen/parser.o: $(B)/ipcgen/parser.c $(IPCGEN_HDRS)
	$(CC) $(IPCGEN_CFLAGS) -DNDEBUG -Wno-unused-parameter -Wno-unused-variable -c -o $@ $<

$(IPCGEN): $(IPCGEN_OBJS) $(B)/ipcgen/main.o
	$(CC) $(CFLAGS) -pthread $(LDFLAGS) -o $@ $^ $(XXHASH_LIBS)

# The front end alone (lexer, parser, checks: no main.c, no backends), as a
# static library for other tools that read .ipc files (ipcctl), through the
# public API of ipcgen/ipcgen.h; and the same under ASan/UBSan.  They link it
# with -pthread $(XXHASH_LIBS).
IPCGEN_BACKEND_OBJS = $(B)/ipcgen/gen_c.o $(B)/ipcgen/gen_fuzz.o $(B)/ipcgen/compat.o $(B)/ipcgen/write.o
IPCGEN_FRONT_OBJS = $(filter-out $(IPCGEN_BACKEND_OBJS),$(IPCGEN_OBJS))
IPCGEN_FRONT = $(B)/ipcgen/libipcgen-front.a
IPCGEN_FRONT_ASAN = $(B)/ipcgen/asan/libipcgen-front.a
$(IPCGEN_FRONT): $(IPCGEN_FRONT_OBJS)
	rm -f $@ && ar rcs $@ $^
$(IPCGEN_FRONT_ASAN): $(IPCGEN_FRONT_OBJS:$(B)/ipcgen/%.o=$(B)/ipcgen/asan/%.o)
	rm -f $@ && ar rcs $@ $^

# The same compiler under ASan/UBSan, run over every test input by check-ipcgen-asan.
IPCGEN_ASAN_OBJS = $(IPCGEN_OBJS:$(B)/ipcgen/%.o=$(B)/ipcgen/asan/%.o) $(B)/ipcgen/asan/main.o
$(B)/ipcgen/asan/%.o: ipcgen/%.c $(IPCGEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(IPCGEN_CFLAGS) $(SAN_FLAGS) -c -o $@ $<
$(B)/ipcgen/asan/lexer.o: $(B)/ipcgen/lexer.c $(IPCGEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(IPCGEN_CFLAGS) $(SAN_FLAGS) -c -o $@ $<
$(B)/ipcgen/asan/parser.o: $(B)/ipcgen/parser.c $(IPCGEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(IPCGEN_CFLAGS) $(SAN_FLAGS) -Wno-unused-parameter -Wno-unused-variable -c -o $@ $<
$(IPCGEN_ASAN): $(IPCGEN_ASAN_OBJS)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -pthread $(LDFLAGS) -o $@ $^ $(XXHASH_LIBS)

# The same compiler under ThreadSanitizer (clang's), for check-ipcgen-tsan: a
# large file parsed in parts, fingerprints beside the claims, parts written
# on parallel threads.
IPCGEN_TSAN = $(B)/ipcgen/tsan/ipcgen
IPCGEN_TSAN_OBJS = $(IPCGEN_OBJS:$(B)/ipcgen/%.o=$(B)/ipcgen/tsan/%.o) $(B)/ipcgen/tsan/main.o
TSAN_FLAGS = -fsanitize=thread -fno-omit-frame-pointer
$(B)/ipcgen/tsan/%.o: ipcgen/%.c $(IPCGEN_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(IPCGEN_CFLAGS) $(TSAN_FLAGS) -c -o $@ $<
$(B)/ipcgen/tsan/lexer.o: $(B)/ipcgen/lexer.c $(IPCGEN_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(IPCGEN_CFLAGS) $(TSAN_FLAGS) -c -o $@ $<
$(B)/ipcgen/tsan/parser.o: $(B)/ipcgen/parser.c $(IPCGEN_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(IPCGEN_CFLAGS) $(TSAN_FLAGS) -Wno-unused-parameter -Wno-unused-variable -c -o $@ $<
$(IPCGEN_TSAN): $(IPCGEN_TSAN_OBJS)
	$(CLANG) $(CFLAGS) $(TSAN_FLAGS) -pthread $(LDFLAGS) -o $@ $^ $(XXHASH_LIBS)

INSTALL_TARGETS += install-ipcgen
install-ipcgen: $(IPCGEN)
	mkdir -p $(DESTDIR)$(BINDIR)
	install -m 755 $(IPCGEN) $(DESTDIR)$(BINDIR)/ipcgen

include tests/ipcgen/tests.mk
