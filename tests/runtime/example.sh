#!/bin/sh
# example.sh MAKE BUILDDIR IPCGEN: install the runtime into a staging
# folder, build examples/posix with its own Makefile against it (pkg-config,
# shared library), run the server and the client and compare the output;
# then link the client statically (libmercury.a) and run it again.
set -eu
make=$1 b=$(cd "$2" && pwd) ipcgen=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")
stage=$b/runtime/stage out=$b/runtime/example
rm -rf "$stage" "$out"
mkdir -p "$out"

$make --no-print-directory -s install-runtime DESTDIR="$stage" PREFIX=/usr
for f in include/mercury/ipc.h include/mercury/posix.h lib/libmercury.a \
	lib/libmercury.so lib/libmercury.so.1 lib/pkgconfig/mercury.pc; do
	[ -e "$stage/usr/$f" ] || { echo "not installed: $f"; exit 1; }
done
echo "installed: headers, libmercury.a, libmercury.so, mercury.pc"

export PKG_CONFIG_PATH="$stage/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$stage"
echo "pkg-config: $(pkg-config --cflags --libs mercury)"
$make --no-print-directory -C examples/posix O="$out" IPCGEN="$ipcgen" \
	CFLAGS="-O2 -g -Wall -Wextra -Werror"

sock=$out/calc.sock
run() {
	LD_LIBRARY_PATH="$stage/usr/lib" "$out/calc-server" "$sock" & pid=$!
	i=0
	while [ ! -S "$sock" ]; do
		i=$((i + 1)); [ $i -lt 500 ] || { echo "server did not start"; kill $pid; exit 1; }
		sleep 0.01
	done
	LD_LIBRARY_PATH="$stage/usr/lib" "$@" "$sock" >"$out/out.txt"
	kill -TERM $pid
	wait $pid || { echo "server exited with $?"; exit 1; }
	[ ! -e "$sock" ] || { echo "server left its socket behind"; exit 1; }
	diff -u examples/posix/expected.txt "$out/out.txt"
}
run "$out/calc-client"
echo "example: shared build ok"

cc -O2 -I"$stage/usr/include" -I"$out/gen" -o "$out/calc-client-static" \
	examples/posix/client.c "$out/gen/calc_client.c" "$stage/usr/lib/libmercury.a" -pthread
if ldd "$out/calc-client-static" | grep -q libmercury; then
	echo "static client still needs libmercury.so"; exit 1
fi
run "$out/calc-client-static"
echo "example: static build ok"
