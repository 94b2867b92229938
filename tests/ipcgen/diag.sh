#!/bin/sh
# diag.sh IPCGEN: every file in tests/ipcgen/errors/ must be refused with
# exit status 1 and exactly the diagnostics in its .err file, and nothing
# may be written.  Run from the source root.  UPDATE=1 rewrites the .err files.
ipcgen=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd tests/ipcgen/errors || exit 2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
pass=0 fail=0
for f in *.ipc; do
	exp=${f%.ipc}.err
	NO_COLOR=1 "$ipcgen" -I . -o "$out" "$f" 2>"$out/stderr"
	st=$?
	[ -n "$UPDATE" ] && cp "$out/stderr" "$exp"
	if [ "$st" -ne 1 ]; then
		echo "not ok - $f: exit status $st, expected 1"; fail=$((fail + 1))
	elif ! diff -u "$exp" "$out/stderr"; then
		echo "not ok - $f: diagnostics differ"; fail=$((fail + 1))
	elif [ -n "$(ls "$out" | grep -v '^stderr$')" ]; then
		echo "not ok - $f: files written despite errors"; fail=$((fail + 1))
	else
		echo "ok - $f"; pass=$((pass + 1))
	fi
	rm -f "$out"/*
done
echo "diag: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
