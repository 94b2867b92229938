#!/bin/sh
# compat.sh IPCGEN: each tests/ipcgen/compat/NAME.new.ipc checked against the
# lock of base.ipc must give exactly NAME.expect (exit status, then output);
# against the lock of PREFIX.base.ipc instead where that file is there, PREFIX
# being NAME up to its first '_'.  UPDATE=1 rewrites the .expect files.
ipcgen=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd tests/ipcgen/compat || exit 2
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
pass=0 fail=0
"$ipcgen" --lock "$t/base.lock" base.ipc || { echo "not ok - --lock failed"; exit 1; }
# The lock of an unchanged protocol is stable, and compatible with itself.
"$ipcgen" --lock "$t/again.lock" base.ipc && cmp -s "$t/base.lock" "$t/again.lock" \
	&& { echo "ok - the lock is deterministic"; pass=$((pass + 1)); } \
	|| { echo "not ok - the lock differs between runs"; fail=$((fail + 1)); }
cp "$t/base.lock" base.lock
for b in *.base.ipc; do
	[ -e "$b" ] || continue
	"$ipcgen" --lock "${b%.ipc}.lock" "$b" || { echo "not ok - --lock $b failed"; fail=$((fail + 1)); }
done
for f in *.new.ipc; do
	n=${f%.new.ipc}
	lock=base.lock
	[ -e "${n%%_*}.base.ipc" ] && lock=${n%%_*}.base.lock
	NO_COLOR=1 "$ipcgen" --compat "$lock" "$f" >"$t/out" 2>&1
	{ echo "exit $?"; cat "$t/out"; } >"$t/got"
	[ -n "$UPDATE" ] && cp "$t/got" "$n.expect"
	if diff -u "$n.expect" "$t/got"; then echo "ok - $n"; pass=$((pass + 1))
	else echo "not ok - $n"; fail=$((fail + 1)); fi
done
rm -f base.lock ./*.base.lock
echo "compat: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
