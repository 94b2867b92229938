#!/bin/sh
# manifest.sh MFCHECK: the manifest parser on the host, and the loader's
# policy of what a driver may be granted.  Every good-*.manifest
# passes; every bad-*.manifest fails with exactly the diagnostics listed in
# expected-errors (FILE:LINE: error: ..., and a FILE:LINE: note: where the
# error is about another line).  The header of good-serial.manifest's slot
# names (mfcheck -o) is good-serial.manifest.h.  The manifests of system/,
# good alone, conflict as one system (mfcheck -s): each case's
# diagnostics are exactly system/CASE.expected.
mfcheck=$1 dir=tests/mercury/manifests fail=0
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
for f in "$dir"/good-*.manifest; do
	if "$mfcheck" "$f"; then echo "ok - $f"; else echo "not ok - $f was refused"; fail=1; fi
done
for f in "$dir"/bad-*.manifest; do
	got=$("$mfcheck" "$f" 2>&1); st=$?
	want=$(grep -F "$f:" "$dir/expected-errors")
	if [ "$st" -ne 1 ]; then echo "not ok - $f: exit $st, expected 1"; fail=1
	elif [ "$got" != "$want" ]; then echo "not ok - $f"; echo "  got:  $got"; echo "  want: $want"; fail=1
	else echo "ok - $f"
	fi
done
# -P: the syntax only, for a driver the loader is to refuse at boot.
if "$mfcheck" -P "$dir/bad-policy-ports.manifest" && "$mfcheck" -P "$dir/bad-policy-service.manifest" &&
	! "$mfcheck" -P "$dir/bad-name.manifest" 2>/dev/null; then
	echo "ok - -P checks the syntax, not what the loader grants"
else
	echo "not ok - -P"; fail=1
fi
# The header of slot names, and none for a bad manifest.
if "$mfcheck" -o "$tmp/good-serial.manifest.h" "$dir/good-serial.manifest" &&
	diff -u "$dir/good-serial.manifest.h" "$tmp/good-serial.manifest.h"; then
	echo "ok - the header of good-serial.manifest"
else
	echo "not ok - the header of good-serial.manifest"; fail=1
fi
echo stale >"$tmp/bad.h"
if "$mfcheck" -o "$tmp/bad.h" "$dir/bad-name.manifest" 2>/dev/null || [ -e "$tmp/bad.h" ]; then
	echo "not ok - a bad manifest leaves a header"; fail=1
else
	echo "ok - no header of a bad manifest"
fi
# The system check, with a budget of 64 pages: serial and rtc fit exactly
# (32 + 32), 63 is too few; ports, an IRQ line or memory another driver
# has already fail, at both lines.
sys=$dir/system
system() {     # CASE STATUS BUDGET FILE...: mfcheck -P -s -b BUDGET FILE...
	case=$1 want_st=$2 budget=$3; shift 3
	# -P: their ports are any, so that they can overlap where no
	# grantable ones do.
	got=$("$mfcheck" -P -s -b "$budget" "$@" 2>&1); st=$?
	want=$(cat "$sys/$case.expected" 2>/dev/null)
	if [ "$st" -ne "$want_st" ]; then echo "not ok - system $case: exit $st, expected $want_st"; fail=1
	elif [ "$got" != "$want" ]; then echo "not ok - system $case"; echo "  got:  $got"; echo "  want: $want"; fail=1
	else echo "ok - system $case"
	fi
}
system good 0 64 "$sys/serial.manifest" "$sys/rtc.manifest"
system budget 1 63 "$sys/serial.manifest" "$sys/rtc.manifest"
system ports 1 64 "$sys/serial.manifest" "$sys/rtc.manifest" "$sys/ports.manifest"
system irq 1 64 "$sys/serial.manifest" "$sys/rtc.manifest" "$sys/irq.manifest"
system memory 1 64 "$sys/serial.manifest" "$sys/rtc.manifest" "$sys/memory.manifest"
system dupname 1 64 "$sys/serial.manifest" "$sys/rtc.manifest" "$sys/dupname.manifest"
# A bad manifest among them is reported as alone, and stops the check.
system bad 1 64 "$sys/serial.manifest" "$dir/bad-slot-twice.manifest" "$sys/irq.manifest"
# Usage errors.
"$mfcheck" -b 64 "$sys/serial.manifest" 2>/dev/null; [ $? -eq 2 ] || { echo "not ok - -b without -s"; fail=1; }
"$mfcheck" -o "$tmp/x.h" "$sys/serial.manifest" "$sys/rtc.manifest" 2>/dev/null
[ $? -eq 2 ] || { echo "not ok - -o with two files"; fail=1; }
# Unreadable input is a usage error.
"$mfcheck" "$dir/no-such-file" 2>/dev/null; [ $? -eq 2 ] || { echo "not ok - missing file"; fail=1; }
[ "$fail" -eq 0 ] && echo "manifest: all ok"
exit "$fail"
