#!/bin/sh
# manifest.sh MFCHECK: the manifest parser on the host.  Every good-*.manifest
# passes; every bad-*.manifest fails with exactly the diagnostic listed in
# expected-errors (FILE:LINE: error: ...).
mfcheck=$1 dir=tests/mercury/manifests fail=0
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
# Unreadable input is a usage error.
"$mfcheck" "$dir/no-such-file" 2>/dev/null; [ $? -eq 2 ] || { echo "not ok - missing file"; fail=1; }
[ "$fail" -eq 0 ] && echo "manifest: all ok"
exit "$fail"
