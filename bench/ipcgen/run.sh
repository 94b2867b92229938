#!/bin/sh
# run.sh: the ipcgen speed benchmark of issue #2.
#
#   sh bench/ipcgen/run.sh IPCGEN MEASURE WORKDIR N [PEER...]
#
# Writes an N interfaces x 16 methods schema in every language (gen.awk), then
# times the whole process of ipcgen and of each peer that is installed, with
# its peak RSS (measure.c), and prints in the format of DESIGN.md
# "Benchmarks":
#
#   bench ipcgen.nN MS ms vs PEER RATIO          RATIO = peer's ms / ipcgen's
#   bench ipcgen.nN.cpu MS ms vs PEER RATIO      the same in CPU time (user +
#                                                system, steadier under load)
#   bench ipcgen.nN.maxrss KB KB vs PEER RATIO   RATIO = peer's KB / ipcgen's
#
# then the same for the structured schema (gen.awk -v structured=1: structs,
# lists, optional values, several results), against ipcgen on the scalar
# schema in the same run and against rpcgen on its equivalent, the one peer
# whose language holds all of it:
#
#   bench ipcgen.nN.struct.output BYTES bytes
#   bench ipcgen.nN.struct MS ms vs scalar RATIO        RATIO = scalar's ms /
#                                                       structured's
#   bench ipcgen.nN.struct MS ms vs rpcgen RATIO
#   bench ipcgen.nN.struct.cpu MS ms vs scalar|rpcgen RATIO
#   bench ipcgen.nN.struct.maxrss KB KB vs scalar|rpcgen RATIO
#
# plus "#" lines: the machine, each tool's own figures and command line, and
# "peer X: not installed (Debian package Y)" for a missing peer.  Installs
# nothing.  PEER... limits the peers (default: all).
#
# The build machines are shared, so absolute times drift with the load.  A
# peer is therefore timed in alternation with ipcgen (ipcgen, peer, ipcgen,
# peer ...: 3 to 5 pairs, no more than 3 once the peer's runs took 10 s; for
# rpcgen on the structured schema, whose one run takes over a minute, 1 to 5
# pairs likewise), and each "vs PEER" line gives the median of the ipcgen
# runs interleaved with that peer, and the ratio of the two medians.  Each
# pair has three runs of ipcgen: a peer's run is ten times as long or more,
# and a burst of load that a peer's run averages over can fill one of
# ipcgen's: with one run a pair, six benches in a row on a shared machine
# gave ipcgen medians from 57 to 83 ms beside MIG's 607 to 689.  Every run writes its outputs
# afresh into an emptied folder (untimed).
set -u
LC_ALL=C
export LC_ALL
unset CC CPP CFLAGS MIGDIR MIGCOM 2>/dev/null

if [ $# -lt 4 ]; then
	echo "usage: run.sh IPCGEN MEASURE WORKDIR N [PEER...]" >&2
	exit 2
fi
abs() { case $1 in /*) echo "$1" ;; *) echo "$(pwd)/$1" ;; esac; }
ipcgen=$(abs "$1"); measure=$(abs "$2"); work=$(abs "$3"); n=$4
shift 4
peers=${*:-mig flatc flatc-grpc protoc-c capnp rpcgen}
here=$(cd "$(dirname "$0")" && pwd)
tag=ipcgen.n$n

# Which machine, CPU and accelerator.
model=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | sed 1q)
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')
echo "# $tag: machine $(uname -s) $(uname -m), cpu ${model:-unknown}, $ncpu cpus online, accelerator none"
echo "# $tag: schema: $n interfaces x 16 methods (3-4 scalar arguments, a scalar result), one 8-value enum per interface"
echo "# $tag.struct: schema: the same $n interfaces x 16 methods and enums, two structs per interface (a string, an optional value, lists, one holding the other struct), each method taking or returning them, half with several results"

rm -rf "$work" && mkdir -p "$work/schema" "$work/schema-struct" || exit 2
awk -v n="$n" -v dir="$work/schema" -f "$here/gen.awk" </dev/null || exit 2
awk -v n="$n" -v dir="$work/schema-struct" -v structured=1 -f "$here/gen.awk" </dev/null || exit 2

median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 } END { printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
fmt_ms() { awk -v a="$1" 'BEGIN { printf "%.1f", a }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
add() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a + b }'; }

# setup NAME SCHEMAFILE [SCHEMADIR]: a fresh folder for NAME holding a copy
# of its schema (from $work/schema unless SCHEMADIR says).
setup() {
	mkdir -p "$work/$1" && cp "${3:-$work/schema}/$2" "$work/$1/" || exit 2
	: >"$work/$1/log"
}

# outsize DIR SCHEMAFILE: sets bytes and files, what a tool wrote into DIR.
outsize() {
	bytes=0 files=0
	for f in "$1"/*; do
		case ${f##*/} in "$2"|log) continue ;; esac
		[ -f "$f" ] || continue
		bytes=$((bytes + $(wc -c <"$f"))) files=$((files + 1))
	done
}

# run NAME SCHEMAFILE MAXRUNS CMD...: runs CMD in NAME's folder (3 to MAXRUNS
# times, fewer past 10 s), each time into an emptied folder (ipcgen leaves an
# output that already holds the same text untouched, so a rerun would time
# something else), after sync(1): no run is timed while the kernel still
# writes back what the one before it wrote (MIG writes 120 MB).  Sets ms
# (median wall), cpu (median CPU), kb (peak RSS), runs, bytes, files;
# returns 1 after printing why if a run failed.
run() {
	name=$1 schemafile=$2 maxruns=$3
	shift 3
	prep="for f in *; do case \$f in $schemafile|log) ;; *) rm -rf \"\$f\" ;; esac; done; sync"
	set -- $("$measure" -C "$work/$name" -p "$prep" -n "$maxruns" -m 3 -b 10000 -l "$work/$name/log" -- "$@")
	if [ "${1:-}" != ok ]; then
		echo "# $tag: $name failed (${*:-no result}); its last output:"
		tail -n 5 "$work/$name/log" | sed 's/^/#   /'
		return 1
	fi
	ms=$2 kb=$4 runs=$5 cpu=$6
	outsize "$work/$name" "$schemafile"
	return 0
}

# alternate MINPAIRS EACH OURS PEER PEERFILE CMD...: runs ipcgen on
# bench.ipc in OURS's folder (EACH times in a row) and CMD in PEER's in
# alternation, MINPAIRS to 5 pairs, no more than MINPAIRS once the peer's
# runs took 10 s.  Sets with_ms,
# with_cpu, with_kb (ipcgen's median wall and CPU time, peak RSS), their_ms,
# their_cpu, their_kb (the peer's), pairs, bytes and files (what the peer
# wrote); returns 1 if the peer failed.
alternate() {
	minpairs=$1 each=$2 our=$3 peer=$4 peerfile=$5
	shift 5
	ours="" theirs="" ourcpu="" theircpu="" total=0 pairs=0 with_kb=0 their_kb=0 ourruns=0
	while [ $pairs -lt 5 ] && { [ $pairs -lt "$minpairs" ] || ! ge "$total" 10000; }; do
		k=0
		while [ $k -lt "$each" ]; do
			run "$our" bench.ipc 1 "$ipcgen" bench.ipc || exit 1
			ours="$ours $ms" ourcpu="$ourcpu $cpu"
			[ "$kb" -gt "$with_kb" ] && with_kb=$kb
			k=$((k + 1)) ourruns=$((ourruns + 1))
		done
		run "$peer" "$peerfile" 1 "$@" || return 1
		theirs="$theirs $ms" theircpu="$theircpu $cpu"
		total=$(add "$total" "$ms")
		[ "$kb" -gt "$their_kb" ] && their_kb=$kb
		pairs=$((pairs + 1))
	done
	their_ms=$(echo "$theirs" | median)
	with_ms=$(echo "$ours" | median)
	their_cpu=$(echo "$theircpu" | median)
	with_cpu=$(echo "$ourcpu" | median)
	return 0
}

# ipcgen alone: its own figures, and those every ratio is taken against when
# no peer is installed.
setup ipcgen bench.ipc
run ipcgen bench.ipc 11 "$ipcgen" bench.ipc || exit 1
our_ms=$ms our_kb=$kb our_cpu=$cpu
echo "# $tag: ipcgen (${ipcgen#$(pwd)/} bench.ipc; $(wc -c <"$work/schema/bench.ipc") bytes of .ipc): $(fmt_ms "$ms") ms median of $runs runs (CPU $(fmt_ms "$cpu") ms), peak RSS $kb KB, wrote $bytes bytes in $files files"
echo "bench $tag.output $bytes bytes"
# A floor for reference: a process that only writes as many bytes (dd, 1 MB
# at a time, into a fresh file).
mkdir -p "$work/floor"
mb=$(( (bytes + 1048575) / 1048576 ))
set -- $("$measure" -C "$work/floor" -p "rm -f out" -n 11 -- dd if=/dev/zero of=out bs=1048576 count=$mb)
[ "${1:-}" = ok ] && echo "# $tag: floor: writing $mb MB (dd bs=1M into a fresh file) takes $(fmt_ms "$2") ms (CPU $(fmt_ms "$6") ms)"
setup ipcgen-check bench.ipc
if run ipcgen-check bench.ipc 11 "$ipcgen" --check bench.ipc; then
	echo "bench $tag.check $(fmt_ms "$ms") ms"
fi

msl="" cpul="" kbl=""
for p in $peers; do
	case $p in
	mig) tool=x86_64-gnu-mig pkg=mig-x86-64-gnu file=bench.defs
	     set -- x86_64-gnu-mig bench.defs ;;
	flatc) tool=flatc pkg=flatbuffers-compiler file=bench.fbs
	     set -- flatc --cpp bench.fbs ;;
	flatc-grpc) tool=flatc pkg=flatbuffers-compiler file=bench.fbs
	     set -- flatc --cpp --grpc bench.fbs ;;
	protoc-c) tool=protoc-c pkg=protobuf-c-compiler file=bench.proto
	     set -- protoc-c --c_out=. bench.proto ;;
	capnp) tool=capnp pkg=capnproto file=bench.capnp
	     set -- capnp compile -oc++ bench.capnp ;;
	rpcgen) tool=rpcgen pkg=libc-dev-bin file=bench.x
	     set -- rpcgen -N bench.x ;;
	*) echo "run.sh: unknown peer $p" >&2; exit 2 ;;
	esac
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "# $tag: peer $p: not installed (Debian package $pkg)"
		continue
	fi
	if [ "$p" = capnp ] && ! command -v capnpc-c++ >/dev/null 2>&1; then
		echo "# $tag: peer $p: not installed (its plugin capnpc-c++; Debian package $pkg)"
		continue
	fi
	cmd=$*
	setup "$p" "$file"
	alternate 3 3 ipcgen "$p" "$file" "$@" || continue
	peak=$their_kb
	echo "# $tag: $p ($cmd): $(fmt_ms "$their_ms") ms median of $pairs runs (CPU $(fmt_ms "$their_cpu") ms; ipcgen between them: $(fmt_ms "$with_ms") ms median of $ourruns, CPU $(fmt_ms "$with_cpu") ms), peak RSS $peak KB, wrote $bytes bytes in $files files"
	msl="${msl}bench $tag $(fmt_ms "$with_ms") ms vs $p $(ratio "$their_ms" "$with_ms")
"
	cpul="${cpul}bench $tag.cpu $(fmt_ms "$with_cpu") ms vs $p $(ratio "$their_cpu" "$with_cpu")
"
	kbl="${kbl}bench $tag.maxrss $our_kb KB vs $p $(ratio "$peak" "$our_kb")
"
done
if [ -z "$msl" ]; then
	echo "bench $tag $(fmt_ms "$our_ms") ms"
	echo "bench $tag.cpu $(fmt_ms "$our_cpu") ms"
	echo "bench $tag.maxrss $our_kb KB"
else
	printf '%s%s%s' "$msl" "$cpul" "$kbl"
fi

# The structured schema: ipcgen on it in alternation with ipcgen on the
# scalar schema (the baseline that is always there), then with rpcgen on its
# equivalent if rpcgen is installed (and among PEER...).
stag=$tag.struct
setup ipcgen-struct bench.ipc "$work/schema-struct"
setup ipcgen-scalar bench.ipc
alternate 3 1 ipcgen-struct ipcgen-scalar bench.ipc "$ipcgen" bench.ipc || exit 1
outsize "$work/ipcgen-struct" bench.ipc
echo "# $stag: ipcgen (bench.ipc; $(wc -c <"$work/schema-struct/bench.ipc") bytes of .ipc): $(fmt_ms "$with_ms") ms median of $pairs runs (CPU $(fmt_ms "$with_cpu") ms), peak RSS $with_kb KB, wrote $bytes bytes in $files files; the scalar schema between them: $(fmt_ms "$their_ms") ms (CPU $(fmt_ms "$their_cpu") ms), peak RSS $their_kb KB"
echo "bench $stag.output $bytes bytes"
msl="bench $stag $(fmt_ms "$with_ms") ms vs scalar $(ratio "$their_ms" "$with_ms")
"
cpul="bench $stag.cpu $(fmt_ms "$with_cpu") ms vs scalar $(ratio "$their_cpu" "$with_cpu")
"
kbl="bench $stag.maxrss $with_kb KB vs scalar $(ratio "$their_kb" "$with_kb")
"
case " $peers " in
*" rpcgen "*)
	if ! command -v rpcgen >/dev/null 2>&1; then
		echo "# $stag: peer rpcgen: not installed (Debian package libc-dev-bin)"
	else
		setup rpcgen-struct bench.x "$work/schema-struct"
		# rpcgen's time grows with the square of the definitions (here
		# about 80 s at n = 1000): one pair is enough past 10 s.
		if alternate 1 3 ipcgen-struct rpcgen-struct bench.x rpcgen -N bench.x; then
			echo "# $stag: rpcgen (rpcgen -N bench.x; $(wc -c <"$work/schema-struct/bench.x") bytes of .x): $(fmt_ms "$their_ms") ms median of $pairs runs (CPU $(fmt_ms "$their_cpu") ms; ipcgen between them: $(fmt_ms "$with_ms") ms median of $ourruns, CPU $(fmt_ms "$with_cpu") ms), peak RSS $their_kb KB, wrote $bytes bytes in $files files"
			msl="${msl}bench $stag $(fmt_ms "$with_ms") ms vs rpcgen $(ratio "$their_ms" "$with_ms")
"
			cpul="${cpul}bench $stag.cpu $(fmt_ms "$with_cpu") ms vs rpcgen $(ratio "$their_cpu" "$with_cpu")
"
			kbl="${kbl}bench $stag.maxrss $with_kb KB vs rpcgen $(ratio "$their_kb" "$with_kb")
"
		fi
	fi ;;
esac
printf '%s%s%s' "$msl" "$cpul" "$kbl"
