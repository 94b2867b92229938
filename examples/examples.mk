# examples: fragment of Makefile.in.  The example OS (examples/serial): the
# 16550 driver and the usrinit echo demo, on the kernel, with sysinit as the
# root task (runtime/helios.mk builds the runtime and sysinit).
#
#   make run      boot it in QEMU, COM1 on this terminal: typing echoes
#                 (quit: Ctrl-A then X; the system log goes to $(HB)/run.log)
#   make debug    the same, with QEMU's gdb stub waiting on :1234

EX = examples/serial
$(HB)/root/sbin/usrinit: $(HB)/obj/$(EX)/usrinit.o $(HLIB) runtime/port/helios/user.ld
	@mkdir -p $(@D)
	$(call HLINK,$@,$<)
$(HB)/root/sbin/drv/serial: $(HB)/obj/$(EX)/serial.o $(HLIB) $(EX)/serial.manifest $(MFCHECK) \
		runtime/port/helios/user.ld
	$(call HDRIVER,$@,$<,$(EX)/serial.manifest)
$(eval $(call HMANIFEST_HEADER,$(EX)/serial))
$(HB)/obj/$(EX)/usrinit.o: examples/rtc/calendar.h

# The CMOS clock driver (examples/rtc), which usrinit loads once the echo
# is ready, to log the date.
RTC = examples/rtc
$(HB)/root/sbin/drv/rtc: $(HB)/obj/$(RTC)/rtc.o $(HLIB) $(RTC)/rtc.manifest $(MFCHECK) runtime/port/helios/user.ld
	$(call HDRIVER,$@,$<,$(RTC)/rtc.manifest)
$(eval $(call HMANIFEST_HEADER,$(RTC)/rtc))
$(HB)/obj/$(RTC)/rtc.o: $(RTC)/cmos.h $(RTC)/calendar.h

# The initramfs: a ustar archive, byte for byte the same from run to run,
# of the programs without their debug information (the loader reads whole
# files; gdb wants the unstripped ones under $(HB)/root).
$(HB)/strip/%: $(HB)/root/%
	@mkdir -p $(@D)
	objcopy --strip-debug $< $@
HTAR = tar --format=ustar --owner=0 --group=0 --numeric-owner --mtime=@0 --sort=name
HROOT_FILES = sbin/usrinit sbin/drv/serial sbin/drv/rtc
# The drivers of the image, checked together before it is made (mfcheck
# -s, mercury_manifest(5)): no two claim a port or an IRQ line, and in all
# they ask for at most HDRIVER_BUDGET pages of memory, a quarter of the
# machine's (QEMU -m $(HMEM_MB), in MiB): the rest is the kernel's,
# sysinit's (every process's objects and page tables) and usrinit's 1024.
HMEM_MB = 128
HDRIVER_BUDGET = $(shell expr $(HMEM_MB) \* 256 / 4)
HDRIVER_MANIFESTS = $(EX)/serial.manifest $(RTC)/rtc.manifest
$(HB)/initramfs.tar: $(HROOT_FILES:%=$(HB)/strip/%) $(HDRIVER_MANIFESTS) $(MFCHECK)
	$(MFCHECK) -s -b $(HDRIVER_BUDGET) $(HDRIVER_MANIFESTS)
	$(HTAR) -cf $@ -C $(HB)/strip $(HROOT_FILES)

# sysinit boots without its debug information too ($(HB)/sysinit.elf keeps it, for gdb).
$(HB)/strip/sysinit.elf: $(HB)/sysinit.elf
	@mkdir -p $(@D)
	objcopy --strip-debug $< $@
HIMAGE = $(KB)/kernel.bin $(HB)/strip/sysinit.elf $(HB)/initramfs.tar
ALL_TARGETS += $(HIMAGE)

# QEMU for the example OS: TCG, headless, the log on the debug console.
HQEMU = $(QEMU) -nodefaults -no-user-config -display none -accel tcg -m $(HMEM_MB) -no-reboot \
	-kernel $(KB)/kernel.bin -initrd "$(HB)/strip/sysinit.elf,$(HB)/initramfs.tar"

# The log's date line (or why there is none) is shown on the terminal too,
# once usrinit has read the clock: CR LF around it, the terminal being raw.
HRUN_DATE = for i in $$(seq 600); do \
	l=$$(grep -m 1 -e '^\[usrinit\] date: ' -e '^\[usrinit\] no date' $(HB)/run.log 2>/dev/null) && \
	{ printf '\r\n%s\r\n' "$$l"; exit; }; sleep 0.1; done
run: $(HIMAGE)
	@echo "Mercury echo demo: type, and it echoes (CR becomes LF).  Quit: Ctrl-A then X."
	@echo "(the system log goes to $(HB)/run.log; its date line shows here too)"
	@rm -f $(HB)/run.log; ($(HRUN_DATE)) & \
	$(HQEMU) -debugcon file:$(HB)/run.log -serial mon:stdio; st=$$?; kill $$! 2>/dev/null; exit $$st

debug: $(HIMAGE)
	@echo "QEMU waits for gdb: gdb $(KB)/kernel.elf -ex 'target remote :1234'.  Quit: Ctrl-A then X."
	@$(HQEMU) -debugcon file:$(HB)/run.log -serial mon:stdio -s -S

# The demo's boot test: text into COM1 comes back with CR as LF, and a
# burst of 32 KiB sent at once comes back whole.  (check-mercury-services
# overflows the driver's buffer on purpose.)
HELIOS_CHECKS += check-mercury-echo
CHECK_TARGETS += check-mercury-echo
check-mercury-echo: $(HIMAGE) $(HSERIAL_TEST)
	@sh tests/run-test mercury-echo $(B)/results $(HSERIAL_TEST) -t 60 -w 'echo ready' \
		-s 'hello, world\r' -s 'no newline' -s '\r\r' -b 32768 -x 'FAIL' -- $(HQEMU)

# The confinement image: the demo, plus test drivers that /etc/drivers
# makes usrinit load once serial0 is open (tests/mercury/drivers): three
# whose manifests must be refused, one without COM1's ports that tries to
# reach them, one that crashes, one that sends malformed requests to every
# service.  The echo must still work after all of them.  (greedy claims
# COM1's ports for the loader to refuse: this image is made without the
# system check.)
HTB = $(HB)/test/root
HTEST_DRIVERS = greedy keyboard procs malformed nomanifest noports crash hostile
HTEST_CODE_greedy = idle
HTEST_CODE_malformed = idle
HTEST_CODE_keyboard = idle
HTEST_CODE_procs = idle
# The loader must refuse these at boot: mfcheck checks their syntax only.
HTEST_MFCHECK_keyboard = -P
HTEST_MFCHECK_procs = -P
define HTEST_DRIVER_RULE
$$(HTB)/sbin/drv/test/$(1): $$(HB)/obj/tests/mercury/drivers/$$(or $$(HTEST_CODE_$(1)),$(1)).o $$(HLIB) \
		tests/mercury/drivers/$(1).manifest $$(MFCHECK) runtime/port/helios/user.ld
	$$(call HDRIVER,$$@,$$<,tests/mercury/drivers/$(1).manifest,$$(HTEST_MFCHECK_$(1)))
endef
$(foreach d,$(filter-out malformed nomanifest,$(HTEST_DRIVERS)),$(eval $(call HTEST_DRIVER_RULE,$(d))))
# Two that the host check would stop, built around it: the loader must
# refuse them itself.
$(HTB)/sbin/drv/test/malformed: $(HB)/obj/tests/mercury/drivers/idle.o $(HLIB) \
		tests/mercury/drivers/malformed.manifest runtime/port/helios/user.ld
	@mkdir -p $(@D)
	$(call HLINK,$@.tmp,$<)
	objcopy --add-section .manifest=tests/mercury/drivers/malformed.manifest \
		--set-section-flags .manifest=noload,readonly $@.tmp $@
	@rm -f $@.tmp
$(HTB)/sbin/drv/test/nomanifest: $(HB)/obj/tests/mercury/drivers/idle.o $(HLIB) runtime/port/helios/user.ld
	@mkdir -p $(@D)
	$(call HLINK,$@,$<)
$(HTB)/etc/drivers: examples/examples.mk
	@mkdir -p $(@D)
	printf '/sbin/drv/test/%s\n' $(HTEST_DRIVERS) >$@
$(HTB)/sbin/%: $(HB)/strip/sbin/%
	@mkdir -p $(@D)
	cp $< $@
HTEST_FILES = $(HROOT_FILES) etc/drivers $(HTEST_DRIVERS:%=sbin/drv/test/%)
$(HB)/test/initramfs.tar: $(HTEST_FILES:%=$(HTB)/%)
	$(HTAR) -cf $@ -C $(HTB) $(HTEST_FILES)

HQEMU_CONFINE = $(subst $(HB)/initramfs.tar,$(HB)/test/initramfs.tar,$(HQEMU))
HELIOS_CHECKS += check-mercury-confine
CHECK_TARGETS += check-mercury-confine
check-mercury-confine: $(KB)/kernel.bin $(HB)/strip/sysinit.elf $(HB)/test/initramfs.tar $(HSERIAL_TEST)
	@sh tests/run-test mercury-confine $(B)/results $(HSERIAL_TEST) -t 90 -w 'echo ready' \
		-w 'devloader: driver greedy: manifest line 5: ports 3f8..400 belong to another driver; refused' \
		-w 'devloader: driver keyboard: manifest line 5: ports 60..65 are not a serial port' \
		-w 'devloader: driver procs: manifest line 5: a driver may not have the procmgr service; refused' \
		-w 'devloader: driver malformed: manifest line 4: error: missing max=; refused' \
		-w 'devloader: the image has no .manifest section; refused' \
		-w '[noports] holds 1 capabilities; slot 0: type 9, ports 2f8..300' \
		-w '[noports] COM1 through its own ioport capability: status -11; through any slot: 0 reached' \
		-w '(noports) faulted: vector 13' \
		-w '(crash) faulted: vector 14' -w 'device 0 of interface 00c0ffee is gone with its driver' \
		-w '[hostile] ' -w ' rejected, 0 failures; every service still answers' \
		-w '[hostile] kernel panic: forged by hostile' -w '[hostile] [sysinit] started process 99 (forged)' \
		-x "$$(printf '\nkernel panic')" -x "$$(printf '\n[sysinit] started process 99')" \
		-s 'still echoing\r' -b 4096 -x 'FAIL' -- $(HQEMU_CONFINE)

# The services image: a usrinit that sends malformed requests to every
# service and object sysinit offers, then loads the serial driver through
# them (tests/mercury/usrinit_attack.c).  This QEMU has COM4 too: serial1.
HSB = $(HB)/test/services
$(HSB)/sbin/usrinit: $(HB)/obj/tests/mercury/usrinit_attack.o $(HLIB) runtime/port/helios/user.ld
	@mkdir -p $(@D)
	$(call HLINK,$@,$<)
	objcopy --strip-debug $@
$(HSB)/sbin/drv/serial: $(HB)/strip/sbin/drv/serial
	@mkdir -p $(@D)
	cp $< $@
$(HSB)/sbin/drv/test/waiter: $(HB)/obj/tests/mercury/drivers/waiter.o $(HLIB) \
		tests/mercury/drivers/waiter.manifest $(MFCHECK) runtime/port/helios/user.ld
	$(call HDRIVER,$@,$<,tests/mercury/drivers/waiter.manifest)
$(HSB)/sbin/drv/test/opener: $(HB)/obj/tests/mercury/drivers/opener.o $(HLIB) \
		tests/mercury/drivers/opener.manifest $(MFCHECK) runtime/port/helios/user.ld
	$(call HDRIVER,$@,$<,tests/mercury/drivers/opener.manifest)
$(HB)/test/services.tar: $(HSB)/sbin/usrinit $(HSB)/sbin/drv/serial $(HSB)/sbin/drv/test/waiter \
		$(HSB)/sbin/drv/test/opener
	$(HTAR) -cf $@ -C $(HSB) sbin/usrinit sbin/drv/serial sbin/drv/test/waiter sbin/drv/test/opener
HELIOS_CHECKS += check-mercury-services
CHECK_TARGETS += check-mercury-services
check-mercury-services: $(KB)/kernel.bin $(HB)/strip/sysinit.elf $(HB)/test/services.tar $(HSERIAL_TEST)
	@sh tests/run-test mercury-services $(B)/results $(HSERIAL_TEST) -t 90 -w '[usrinit] services: ' \
		-w ' rejected, 0 failures' -e 'process 0 (usrinit) exited with 0' -x 'FAIL' \
		-o 'serial ok' -w 'flow: send 16384 bytes now' -i 16384 -e 'flow: 16384 bytes came in whole' \
		-e 'receive buffer full: input waits in the UART' \
		-e 'COM4 at 2e8, IRQ 3: serial1' \
		-e '[opener] opened a file while another process holds its share: status 0' \
		-e 'too many open files (8, its share): refused (201 refusals before it not logged)' \
		-x "$$(printf 'its share): refused\n[sysinit] process')" \
		-- $(subst $(HB)/initramfs.tar,$(HB)/test/services.tar,$(HQEMU)) \
		-chardev null,id=com4 -device isa-serial,index=3,chardev=com4

# The lifecycle image: a usrinit that starts and ends 2,000 processes
# (half exit, the others are killed, some fault first) and opens and closes
# 10,000 files, then checks that sysinit's free memory and live objects are
# back where they were (tests/mercury/lifecycle).
HLB = $(HB)/test/lifecycle
LC = tests/mercury/lifecycle
LC_FILES_ = sbin/usrinit sbin/lc/exit sbin/lc/spin sbin/lc/fault
$(HLB)/sbin/usrinit: $(HB)/obj/$(LC)/usrinit.o $(HLIB) runtime/port/helios/user.ld
	@mkdir -p $(@D)
	$(call HLINK,$@,$<)
	objcopy --strip-debug $@
$(HLB)/sbin/lc/%: $(HB)/obj/$(LC)/child.o $(HLIB) $(LC)/lc-%.manifest $(MFCHECK) runtime/port/helios/user.ld
	$(call HDRIVER,$@,$<,$(LC)/lc-$*.manifest)
	objcopy --strip-debug $@
$(HB)/test/lifecycle.tar: $(LC_FILES_:%=$(HLB)/%)
	$(HTAR) -cf $@ -C $(HLB) $(LC_FILES_)
HELIOS_CHECKS += check-mercury-lifecycle
CHECK_TARGETS += check-mercury-lifecycle
check-mercury-lifecycle: $(KB)/kernel.bin $(HB)/strip/sysinit.elf $(HB)/test/lifecycle.tar $(HSERIAL_TEST)
	@sh tests/run-test mercury-lifecycle $(B)/results $(HSERIAL_TEST) -t 900 \
		-w '[usrinit] lifecycle: 2000 processes (1000 exited, 800 killed, 200 faulted), 10000 files: ' \
		-e ': ok' -x 'FAIL' -- $(subst $(HB)/initramfs.tar,$(HB)/test/lifecycle.tar,$(HQEMU))

# The supervision image: the serial driver built to fault on Ctrl-], and the
# demo's usrinit with tests/mercury/supervise.c's checks linked in (after
# boot and after each restart: the driver holds what its manifest grants,
# and sysinit's free memory is back).  The host crashes the driver 50
# times; each time a line sent right behind the crash byte must come back,
# echoed through the restarted driver.
HSVB = $(HB)/test/supervise
$(HB)/obj/supervise/serial.o: $(EX)/serial.c $(HGEN)/serial.manifest.h $(HPORT_HDR) $(HGEN_STAMP)
	@mkdir -p $(@D)
	$(CC) $(HUSER_CFLAGS) -DSERIAL_CRASH_HOOK -c -o $@ $<
$(HB)/obj/supervise/checks.o: tests/mercury/supervise.c runtime/sysinit/manifest.h $(HPORT_HDR) $(HGEN_STAMP)
	@mkdir -p $(@D)
	$(CC) $(HUSER_CFLAGS) -Iruntime/sysinit -c -o $@ $<
$(HSVB)/sbin/usrinit: $(HB)/obj/$(EX)/usrinit.o $(HB)/obj/supervise/checks.o \
		$(HB)/obj/runtime/sysinit/manifest.o $(HLIB) runtime/port/helios/user.ld
	@mkdir -p $(@D)
	$(call HLINK,$@,$(HB)/obj/$(EX)/usrinit.o $(HB)/obj/supervise/checks.o $(HB)/obj/runtime/sysinit/manifest.o)
	objcopy --strip-debug $@
$(HSVB)/sbin/drv/serial: $(HB)/obj/supervise/serial.o $(HLIB) $(EX)/serial.manifest $(MFCHECK) \
		runtime/port/helios/user.ld
	$(call HDRIVER,$@,$<,$(EX)/serial.manifest)
	objcopy --strip-debug $@
$(HB)/test/supervise.tar: $(HSVB)/sbin/usrinit $(HSVB)/sbin/drv/serial
	$(HTAR) -cf $@ -C $(HSVB) sbin/usrinit sbin/drv/serial
HELIOS_CHECKS += check-mercury-supervise
CHECK_TARGETS += check-mercury-supervise
check-mercury-supervise: $(KB)/kernel.bin $(HB)/strip/sysinit.elf $(HB)/test/supervise.tar $(HSERIAL_TEST)
	@sh tests/run-test mercury-supervise $(B)/results $(HSERIAL_TEST) -t 300 -w 'echo ready' \
		-s 'before the first crash\r' -c 50 -s 'after the last\r' \
		-e 'supervise: restart 50: free pages' -e 'serial: holds what its manifest grants' \
		-x 'FAIL' -x 'given up' -- $(subst $(HB)/initramfs.tar,$(HB)/test/supervise.tar,$(HQEMU))

# Benchmarks: a driver's restart, a process's spawn (bench/mercury/run).
BENCH_TARGETS += bench-mercury
bench-mercury: $(KB)/kernel.bin $(HB)/strip/sysinit.elf $(HB)/test/supervise.tar $(HB)/test/lifecycle.tar \
		$(HSERIAL_TEST)
	@sh bench/mercury/run "$(QEMU)" $(KB)/kernel.bin $(HB)/strip/sysinit.elf $(HSERIAL_TEST) \
		$(HB)/test/supervise.tar $(HB)/test/lifecycle.tar

# The clock driver's calendar and CMOS registers, on the host.
$(HB)/cmos_test: tests/mercury/cmos_test.c $(RTC)/cmos.h $(RTC)/calendar.h
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(LDFLAGS) -o $@ $<
ALL_TARGETS += $(HB)/cmos_test
HELIOS_CHECKS += check-mercury-cmos
CHECK_TARGETS += check-mercury-cmos
check-mercury-cmos: $(HB)/cmos_test
	@sh tests/run-test mercury-cmos $(B)/results $(HB)/cmos_test

# The clock image: the demo, whose usrinit logs the date, and rtcclient
# (tests/mercury/drivers), which /etc/drivers makes usrinit load: it sends
# rtc0 malformed requests and alarms it must refuse, then waits for more
# alarms than the driver serves at once.  The clock starts on a leap day,
# two seconds before midnight, and the echo must still work after the
# alarms (tests/mercury/rtc.sh checks the date).  (This QEMU's clock
# cannot pass 2038-01-19: it wraps to 1901, which the driver reports as no
# time.  So the century register, years past 2038 and the formats QEMU does
# not use are checked on the host, by check-mercury-cmos.)
HRB = $(HB)/test/rtc
$(HRB)/sbin/drv/test/rtcclient: $(HB)/obj/tests/mercury/drivers/rtcclient.o $(HLIB) \
		tests/mercury/drivers/rtcclient.manifest $(MFCHECK) runtime/port/helios/user.ld
	$(call HDRIVER,$@,$<,tests/mercury/drivers/rtcclient.manifest)
$(HRB)/etc/drivers: examples/examples.mk
	@mkdir -p $(@D)
	echo /sbin/drv/test/rtcclient >$@
$(HRB)/sbin/%: $(HB)/strip/sbin/%
	@mkdir -p $(@D)
	cp $< $@
HRTC_FILES = $(HROOT_FILES) etc/drivers sbin/drv/test/rtcclient
$(HB)/test/rtc.tar: $(HRTC_FILES:%=$(HRB)/%) $(HDRIVER_MANIFESTS) tests/mercury/drivers/rtcclient.manifest $(MFCHECK)
	$(MFCHECK) -s -b $(HDRIVER_BUDGET) $(HDRIVER_MANIFESTS) tests/mercury/drivers/rtcclient.manifest
	$(HTAR) -cf $@ -C $(HRB) $(HRTC_FILES)
HELIOS_CHECKS += check-mercury-rtc
CHECK_TARGETS += check-mercury-rtc
check-mercury-rtc: $(KB)/kernel.bin $(HB)/strip/sysinit.elf $(HB)/test/rtc.tar $(HSERIAL_TEST)
	@sh tests/run-test mercury-rtc $(B)/results sh tests/mercury/rtc.sh $(HSERIAL_TEST) 2020-02-29T23:59:58 \
		-t 90 -w '[rtcclient] rtc: ' -e ', 0 failures' -e '[rtcclient] 8 alarms at ' \
		-e '[rtcclient] alarm at ' -s 'still echoing\r' -x 'FAIL' -x 'no date' \
		-- $(subst $(HB)/initramfs.tar,$(HB)/test/rtc.tar,$(HQEMU))

# Every boot test of the runtime, sysinit and the example OS.
check-mercury: $(HELIOS_CHECKS)

.PHONY: run debug check-mercury

# examples/glib-async: a generated server and asynchronous clients in one
# GLib main loop (its own Makefile builds it against an install; here it is
# built against the tree's runtime and run by make check).
EXGA = examples/glib-async
EXGA_B = $(B)/examples/glib-async
$(EXGA_B)/gen/stamp: $(EXGA)/table.ipc $(IPCGEN)
	@mkdir -p $(@D)
	$(IPCGEN) -o $(@D) $(EXGA)/table.ipc
	@touch $@
$(EXGA_B)/glib-async: $(EXGA)/main.c $(EXGA_B)/gen/stamp $(RT_LIB) $(RT_HDRS)
	@$(PKG_CONFIG) --exists glib-2.0 || { echo "$@: GLib not found (Debian: libglib2.0-dev; tools/install-deps)"; exit 1; }
	$(CC) $(HOST_CFLAGS) -Iruntime/include -I$(EXGA) -I$(EXGA_B)/gen $$($(PKG_CONFIG) --cflags glib-2.0) \
		-o $@ $(EXGA)/main.c $(EXGA_B)/gen/table_client.c $(EXGA_B)/gen/table_server.c \
		$(RT_LIB) $$($(PKG_CONFIG) --libs glib-2.0) $(RT_LIBS)
CHECK_TARGETS += check-example-glib-async
check-example-glib-async: $(EXGA_B)/glib-async
	@sh tests/run-test example-glib-async $(B)/results sh -c \
		'$(EXGA_B)/glib-async >$(EXGA_B)/out.txt && diff -u $(EXGA)/expected.txt $(EXGA_B)/out.txt && echo "glib-async: output as expected"'
