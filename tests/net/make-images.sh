#!/bin/bash
# tests/net/make-images.sh: the server images for `mote run IMAGE -p ...` (make net-images):
# build/net/nginx.img, redis.img, pyhttp.img (and echo.img when build/net/echo-server exists),
# each from tests/net/servers.sh. They boot only once the kernel has its network stack.
# Usage: make-images.sh [NAME...]      (BUILD and MOTE override build/ and build/mote)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$here/../../build}
mote=${MOTE:-$BUILD/mote}
. "$here/servers.sh"
mkdir -p "$BUILD/net"
names=${*:-$server_names}
for name in $names; do
	server_def "$name" || { echo "make-images: unknown server $name" >&2; exit 2; }
	if [ "$name" = echo ] && [ ! -x "$srv_prog" ]; then
		echo "make-images: skipping echo ($srv_prog not built)" >&2
		continue
	fi
	opts=()
	for f in ${srv_files[@]+"${srv_files[@]}"}; do opts+=(--file "$f"); done
	for d in ${srv_dirs[@]+"${srv_dirs[@]}"}; do opts+=(--dir "$d"); done
	echo "  IMAGE   $BUILD/net/$name.img"
	"$mote" build --quiet -o "$BUILD/net/$name.img" "$srv_prog" ${opts[@]+"${opts[@]}"} \
		-- ${srv_args[@]+"${srv_args[@]}"}
done
