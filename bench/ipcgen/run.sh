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
# plus "#" lines: the machine, each tool's own figures and command line, and
# "peer X: not installed (Debian package Y)" for a missing peer.  Installs
# nothing.  PEER... limits the peers (default: all).
#
# The build machines are shared, so absolute times drift with the load.  A
# peer is therefore timed in alternation with ipcgen (ipcgen, peer, ipcgen,
# peer ...: 3 to 5 pairs, fewer past 10 s of the peer), and each "vs PEER"
# line gives the median of the ipcgen runs interleaved with that peer, and
# the ratio of the two medians.  Every run writes its outputs afresh into an
# emptied folder (untimed).
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

rm -rf "$work" && mkdir -p "$work/schema" || exit 2
awk -v n="$n" -v dir="$work/schema" -f "$here/gen.awk" </dev/null || exit 2

median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 } END { printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
fmt_ms() { awk -v a="$1" 'BEGIN { printf "%.1f", a }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
add() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a + b }'; }

# setup NAME SCHEMAFILE: a fresh folder for NAME holding a copy of its schema.
setup() {
	mkdir -p "$work/$1" && cp "$work/schema/$2" "$work/$1/" || exit 2
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
# something else).  Sets ms (median wall), cpu (median CPU), kb (peak RSS),
# runs, bytes, files; returns 1 after printing why if a run failed.
run() {
	name=$1 schemafile=$2 maxruns=$3
	shift 3
	prep="for f in *; do case \$f in $schemafile|log) ;; *) rm -rf \"\$f\" ;; esac; done"
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
	ours="" theirs="" ourcpu="" theircpu="" total=0 pairs=0 peak=0 failed=""
	while [ $pairs -lt 5 ] && { [ $pairs -lt 3 ] || ! ge "$total" 10000; }; do
		run ipcgen bench.ipc 1 "$ipcgen" bench.ipc || exit 1
		ours="$ours $ms" ourcpu="$ourcpu $cpu"
		if ! run "$p" "$file" 1 "$@"; then
			failed=1
			break
		fi
		theirs="$theirs $ms" theircpu="$theircpu $cpu"
		total=$(add "$total" "$ms")
		[ "$kb" -gt "$peak" ] && peak=$kb
		pairs=$((pairs + 1))
	done
	[ -n "$failed" ] && continue
	their_ms=$(echo "$theirs" | median)
	with_ms=$(echo "$ours" | median)
	their_cpu=$(echo "$theircpu" | median)
	with_cpu=$(echo "$ourcpu" | median)
	echo "# $tag: $p ($cmd): $(fmt_ms "$their_ms") ms median of $pairs runs (CPU $(fmt_ms "$their_cpu") ms; ipcgen between them: $(fmt_ms "$with_ms") ms, CPU $(fmt_ms "$with_cpu") ms), peak RSS $peak KB, wrote $bytes bytes in $files files"
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
