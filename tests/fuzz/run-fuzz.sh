#!/bin/sh
# run-fuzz.sh NAME BINARY SECONDS BUILDDIR: one `make fuzz` run of a target.
# ($IPCGEN, if set, writes a lock file for the backend's seeds.)
#
# Fuzzes for SECONDS from the committed corpus (tests/fuzz/corpus/NAME) and
# seeds taken from the repository (its protocols and test inputs), then
# merges everything into a minimal corpus (-merge=1) that replaces the
# committed one.  A crash input is kept in tests/fuzz/crashes/ and fails
# the run.  Prints one summary line: executions, coverage, corpus size.
name=$1 bin=$2 secs=$3 build=$4
corpus=tests/fuzz/corpus/$name
work=$build/work/$name
seeds=$build/seeds/$name
merged=$build/merged/$name
crashes=tests/fuzz/crashes
log=$build/$name.log
rm -rf "$seeds" "$merged"
mkdir -p "$corpus" "$work" "$seeds" "$merged" "$crashes"

opts=
case $name in
frontend|backend)
	for f in protocols/*.ipc tests/ipcgen/*/*.ipc bench/*/*.ipc examples/*/*.ipc; do
		[ -f "$f" ] && cp "$f" "$seeds/$(printf '%s' "$f" | tr / _)"
	done
	# Several files in one input (see fuzz_ipc.h): dev uses io; sys named too.
	{ cat protocols/dev.ipc; printf '\n%%%% io\n'; cat protocols/io.ipc
	  printf '\n%%%%! sys\n'; cat protocols/sys.ipc; } >"$seeds/multi"
	# A lock file (the backend checks the unit against it: see fuzz_backend.c).
	if [ -n "$IPCGEN" ] && [ -x "$IPCGEN" ]; then
		"$IPCGEN" -I protocols --lock "$seeds/lock" protocols/dev.ipc 2>/dev/null &&
		{ cat protocols/dev.ipc; printf '\n%%%% lock\n'; cat "$seeds/lock"; } >"$seeds/multi-lock"
		rm -f "$seeds/lock"
	fi
	opts="-dict=tests/fuzz/ipc.dict -max_len=4096 -timeout=25"
	;;
server)
	opts="-max_len=1024 -timeout=25"
	;;
esac

echo "fuzz-$name: $secs s (log in $log)"
"$bin" $opts -max_total_time="$secs" -print_final_stats=1 \
	-artifact_prefix="$crashes/$name-" "$work" "$corpus" "$seeds" >"$log" 2>&1
status=$?
if [ $status -ne 0 ]; then
	tail -n 60 "$log"
	echo "fuzz-$name: FAILED (exit $status); the input is in $crashes/"
fi

# Merge: -merge=1 keeps, smallest first, every input that reaches an edge
# no smaller one does (hundreds); then each of those alone gives its edges
# and a greedy set cover (minimize.awk) keeps the few that reach them all.
"$bin" $opts -use_counters=0 -merge=1 "$merged" "$corpus" "$work" "$seeds" >"$log.merge" 2>&1 || {
	tail -n 20 "$log.merge"; echo "fuzz-$name: merge failed"; exit 1; }
one=$build/one/$name
for f in "$merged"/*; do
	rm -rf "$one" && mkdir -p "$one/in" "$one/out" && cp "$f" "$one/in/"
	FUZZ_REJECTED_MARK=$one/rejected "$bin" $opts -use_counters=0 -merge=1 \
		-merge_control_file="$one/cf" "$one/out" "$one/in" >/dev/null 2>&1
	# The backend's corpus: only what the checker accepts.
	[ -e "$one/rejected" ] && continue
	printf '%s %s%s\n' "$f" "$(wc -c <"$f")" "$(sed -n 's/^COV [0-9]*//p' "$one/cf")"
done >"$build/$name.cover"
rm -rf "$one"
rm -f "$corpus"/*
awk -f tests/fuzz/minimize.awk "$build/$name.cover" | while read -r f; do cp "$f" "$corpus"/; done

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
cov=$(printf '%s\n' "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
ft=$(printf '%s\n' "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
echo "fuzz-$name: ${runs:-?} executions, cov ${cov:-?}, ft ${ft:-?}; corpus $(ls "$corpus" | wc -l) files"
exit $status
