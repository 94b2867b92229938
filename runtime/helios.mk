# runtime/helios.mk: fragment of Makefile.in (included after kernel/kernel.mk).
# The Mercury runtime on the bundled kernel (runtime/port/helios), sysinit
# (runtime/sysinit), the example OS (examples/serial, see examples/examples.mk)
# and their QEMU tests (tests/mercury).  Outputs under $(HB).
#
#   $(HB)/gen/            stubs generated from protocols/ (never committed)
#   $(HB)/libmercury.a    the port and the stubs, for freestanding programs
#   $(HB)/sysinit.elf     the root task
#   $(HB)/initramfs.tar   /sbin/usrinit, /sbin/drv/serial, test drivers
#
# Programs are freestanding code built with the host compiler, like the
# kernel's test tasks: no red zone, no SSE, no PIC, static, one linker script.

HB = $(B)/helios
HGEN = $(HB)/gen
HGCC_INC := $(shell $(CC) -print-file-name=include)
HUSER_CFLAGS = -std=c11 $(WARN) -O2 -g -ffreestanding -nostdinc -isystem $(HGCC_INC) \
	-fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fcf-protection=none -fno-builtin \
	-Iruntime/include -Ikernel/include -I$(HGEN)
HLDFLAGS = -nostdlib -static -no-pie -Wl,-z,max-page-size=4096 -Wl,--build-id=none \
	-Wl,-z,noexecstack -Wl,-T,runtime/port/helios/user.ld

# Stubs: every system protocol, and sysinit's private one.
HPROTOS = errors io dev sys fs
HGEN_STAMP = $(HGEN)/stamp
$(HGEN_STAMP): $(HPROTOS:%=protocols/%.ipc) runtime/sysinit/sysinit.ipc $(IPCGEN)
	@mkdir -p $(HGEN)
	$(IPCGEN) -I protocols -o $(HGEN) $(HPROTOS:%=protocols/%.ipc) runtime/sysinit/sysinit.ipc
	@touch $@
HSTUB_NAMES = $(HPROTOS) sysinit
HSTUB_OBJS = $(foreach p,$(HSTUB_NAMES),$(HB)/obj/gen/$(p)_client.o $(HB)/obj/gen/$(p)_server.o)
$(HGEN)/%_client.c $(HGEN)/%_server.c $(HGEN)/%.h: $(HGEN_STAMP)
	@true

HPORT_SRC = runtime/port/helios/transport.c runtime/port/helios/start.c \
	runtime/port/helios/mem.c runtime/port/helios/log.c runtime/port/helios/file.c
HPORT_OBJS = $(HB)/obj/port/crt0.o $(HPORT_SRC:runtime/port/helios/%.c=$(HB)/obj/port/%.o)
HPORT_HDR = runtime/include/mercury/ipc.h runtime/include/mercury/helios.h kernel/include/abi/helios.h

$(HB)/obj/port/%.o: runtime/port/helios/%.c $(HPORT_HDR) $(HGEN_STAMP)
	@mkdir -p $(@D)
	$(CC) $(HUSER_CFLAGS) -c -o $@ $<
$(HB)/obj/port/crt0.o: runtime/port/helios/crt0.S
	@mkdir -p $(@D)
	$(CC) $(HUSER_CFLAGS) -c -o $@ $<
$(HB)/obj/gen/%.o: $(HGEN)/%.c $(HGEN_STAMP) $(HPORT_HDR)
	@mkdir -p $(@D)
	$(CC) $(HUSER_CFLAGS) -c -o $@ $<

HLIB = $(HB)/libmercury.a
$(HLIB): $(HPORT_OBJS) $(HSTUB_OBJS)
	rm -f $@ && ar rcs $@ $(filter-out %/crt0.o,$^)

# HLINK(output, objects): a program.
HLINK = $(CC) $(HLDFLAGS) -o $(1) $(HB)/obj/port/crt0.o $(2) $(HLIB)

# Objects of any program under runtime/, examples/ or tests/mercury/.
$(HB)/obj/%.o: %.c $(HPORT_HDR) $(HGEN_STAMP)
	@mkdir -p $(@D)
	$(CC) $(HUSER_CFLAGS) -c -o $@ $<

# Tests ------------------------------------------------------------------

HQEMU_TEST = sh kernel/tests/qemu-test "$(QEMU)" $(KB)/kernel.bin

$(HB)/test/roundtrip.elf: $(HB)/obj/tests/mercury/roundtrip.o $(HLIB) runtime/port/helios/user.ld
	@mkdir -p $(@D)
	$(call HLINK,$@,$<)

ALL_TARGETS += $(HLIB) $(HB)/test/roundtrip.elf
HELIOS_CHECKS = check-mercury-roundtrip
CHECK_TARGETS += $(HELIOS_CHECKS)
check-mercury: $(HELIOS_CHECKS)

# Two tasks, generated stubs between them, over the kernel's IPC.
check-mercury-roundtrip: $(KB)/kernel.bin $(HB)/test/roundtrip.elf
	@sh tests/run-test mercury-roundtrip $(B)/results $(HQEMU_TEST) -m $(HB)/test/roundtrip.elf \
		-e 'roundtrip: [0-9]+ checks, 0 failed' -e 'root task exited \(0\)'

.PHONY: check-mercury
