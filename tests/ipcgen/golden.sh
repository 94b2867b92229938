#!/bin/sh
# golden.sh IPCGEN: the C generated from the frozen protocols in
# tests/golden/protocols/ must equal tests/golden/expected/ byte for byte.
# UPDATE=1 rewrites the expected files (review the diff before committing).
ipcgen=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$ipcgen" -o "$out" tests/golden/protocols/*.ipc || { echo "not ok - ipcgen failed"; echo "golden: 0 passed, 1 failed"; exit 1; }
[ -n "$UPDATE" ] && { rm -f tests/golden/expected/*; cp "$out"/* tests/golden/expected/; }
pass=0 fail=0
for f in "$out"/* tests/golden/expected/*; do
	n=$(basename "$f")
	case " $seen " in *" $n "*) continue ;; esac
	seen="$seen $n"
	if [ ! -e "tests/golden/expected/$n" ]; then
		echo "not ok - $n: generated but not expected"; fail=$((fail + 1))
	elif [ ! -e "$out/$n" ]; then
		echo "not ok - $n: expected but not generated"; fail=$((fail + 1))
	elif ! diff -u "tests/golden/expected/$n" "$out/$n"; then
		echo "not ok - $n differs"; fail=$((fail + 1))
	else
		echo "ok - $n"; pass=$((pass + 1))
	fi
done
# Deterministic: a second run writes the same bytes.
"$ipcgen" -o "$out" tests/golden/protocols/*.ipc && for f in tests/golden/expected/*; do
	cmp -s "$f" "$out/$(basename "$f")" || { echo "not ok - second run differs: $f"; fail=$((fail + 1)); }
done
echo "golden: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
