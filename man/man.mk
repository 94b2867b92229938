# man/: every part adds its pages to MAN_PAGES in its own fragment; this one,
# included last, lints and installs them all.

MAN_PAGES += $(wildcard man/*.[1-9])

CHECK_TARGETS += check-man
check-man:
	@sh tests/run-test man $(B)/results sh -c '[ -n "$(MANDOC)" ] || { echo "mandoc not found: run ./tools/install-deps"; exit 1; }; $(MANDOC) -Tlint -W warning $(sort $(MAN_PAGES))'

INSTALL_TARGETS += install-man
install-man:
	@for p in $(sort $(MAN_PAGES)); do s=$${p##*.}; \
		mkdir -p $(DESTDIR)$(MANDIR)/man$$s && install -m 644 $$p $(DESTDIR)$(MANDIR)/man$$s/ || exit 1; done
