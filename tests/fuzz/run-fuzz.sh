#!/bin/sh
# run-fuzz.sh NAME BINARY SECONDS BUILDDIR: one `make fuzz` run of a target.
# run-fuzz.sh -m NAME BINARY BUILDDIR: `make fuzz-minimize` of a target.
# ($IPCGEN, if set, writes a lock file for the backend's seeds.)
#
# A run fuzzes for SECONDS from the committed corpus (tests/fuzz/corpus/NAME)
# and seeds taken from the repository (its protocols and test inputs), then
# adds to the committed corpus what reaches an edge it does not: one -merge=1
# (one process, every input run once) with a copy of the corpus first.  The
# backend counts the front end's corpus as reached too, and keeps only what
# the checker accepts (each input the merge picked is asked, alone).  A crash
# input is kept in tests/fuzz/crashes/ and fails the run.  Prints one
# summary line: executions, coverage, corpus size.
#
# -m rewrites the committed corpus as a small set cover of the edges reached
# by it, the build's scratch corpus and the seeds: -merge=1 keeps, smallest
# first, every input that reaches an edge no smaller one does (hundreds);
# then each of those alone gives its edges (a process per input: minutes)
# and a greedy set cover (minimize.awk) keeps the fewest that reach them all.
minimize=
if [ "$1" = -m ]; then
	minimize=1 name=$2 bin=$3 build=$4
else
	name=$1 bin=$2 secs=$3 build=$4
fi
corpus=tests/fuzz/corpus/$name
work=$build/work/$name
seeds=$build/seeds/$name
crashes=tests/fuzz/crashes
log=$build/$name.log
rm -rf "$seeds"
mkdir -p "$corpus" "$work" "$seeds" "$crashes"

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

if [ -n "$minimize" ]; then
	merged=$build/merged/$name
	one=$build/one/$name
	rm -rf "$merged" && mkdir -p "$merged"
	before=$(ls "$corpus" | wc -l)
	echo "fuzz-minimize-$name: corpus/$name, $work and the seeds (log in $log.merge)"
	"$bin" $opts -use_counters=0 -merge=1 "$merged" "$corpus" "$work" "$seeds" >"$log.merge" 2>&1 || {
		tail -n 20 "$log.merge"; echo "fuzz-minimize-$name: merge failed"; exit 1; }
	for f in "$merged"/*; do
		[ -f "$f" ] || continue
		rm -rf "$one" && mkdir -p "$one/in" "$one/out" && cp "$f" "$one/in/"
		FUZZ_REJECTED_MARK=$one/rejected "$bin" $opts -use_counters=0 -merge=1 \
			-merge_control_file="$one/cf" "$one/out" "$one/in" >/dev/null 2>&1
		# The backend's corpus: only what the checker accepts.
		[ -e "$one/rejected" ] && continue
		printf '%s %s%s\n' "$f" "$(wc -c <"$f")" "$(sed -n 's/^COV [0-9]*//p' "$one/cf")"
	done >"$build/$name.cover"
	rm -rf "$one"
	awk -f tests/fuzz/minimize.awk "$build/$name.cover" >"$build/$name.keep"
	[ -s "$build/$name.keep" ] || {
		echo "fuzz-minimize-$name: nothing to keep; corpus/$name left as it was"; exit 1; }
	rm -f "$corpus"/*
	while read -r f; do cp "$f" "$corpus"/; done <"$build/$name.keep"
	echo "fuzz-minimize-$name: corpus $(ls "$corpus" | wc -l) files (was $before)"
	exit 0
fi

echo "fuzz-$name: $secs s (log in $log)"
"$bin" $opts -max_total_time="$secs" -print_final_stats=1 \
	-artifact_prefix="$crashes/$name-" "$work" "$corpus" "$seeds" >"$log" 2>&1
status=$?
if [ $status -ne 0 ]; then
	tail -n 60 "$log"
	echo "fuzz-$name: FAILED (exit $status); the input is in $crashes/"
fi

# Merge: a copy of what counts as reached first (libFuzzer adds to the first
# directory what reaches an edge not yet reached, smallest first), then what
# the merge added goes to the committed corpus.
base=$build/base/$name
rm -rf "$base" && mkdir -p "$base"
cp -R "$corpus"/. "$base"/
# The backend's edges in the front end are the front end's corpus's job.
[ "$name" = backend ] && [ -d tests/fuzz/corpus/frontend ] && cp -R tests/fuzz/corpus/frontend/. "$base"/
ls "$base" >"$base.old"
"$bin" $opts -use_counters=0 -merge=1 "$base" "$work" "$seeds" >"$log.merge" 2>&1 || {
	tail -n 20 "$log.merge"; echo "fuzz-$name: merge failed"; exit 1; }
added=0 rejected=0
for f in $(ls "$base" | comm -13 "$base.old" -); do
	if [ "$name" = backend ]; then
		# The backend's corpus: only what the checker accepts.
		rm -f "$base.rejected"
		if ! FUZZ_REJECTED_MARK=$base.rejected "$bin" $opts "$base/$f" >/dev/null 2>&1 ||
		   [ -e "$base.rejected" ]; then
			rejected=$((rejected + 1))
			continue
		fi
	fi
	cp "$base/$f" "$corpus"/
	added=$((added + 1))
done
rm -rf "$base" "$base.old" "$base.rejected"

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
cov=$(printf '%s\n' "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
ft=$(printf '%s\n' "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
more=
[ "$name" = backend ] && more=", $rejected rejected by the checker left out"
echo "fuzz-$name: ${runs:-?} executions, cov ${cov:-?}, ft ${ft:-?}; corpus $(ls "$corpus" | wc -l) files ($added new$more)"
exit $status
