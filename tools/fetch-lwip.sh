#!/bin/sh
# Fetches lwIP, the TCP/IP stack built into the kernel, from Debian's `lwip`
# source package into DEST (build/lwip), without touching the system's apt
# setup: a private deb-src list (the same mirror, suite and keyring as
# /etc/apt/sources.list.d/debian.sources), private package lists, and
# `apt-get source --download-only`. The version is pinned and every file
# is checked against the SHA-256 sums below before it is unpacked with
# dpkg-source (which applies Debian's patches). Then mote's own fixes,
# tools/net-patches/*.patch (each says why), are applied in name order.
# No lwIP source is ever committed to mote.
#
#   tools/fetch-lwip.sh DEST       -> DEST/src (the unpacked tree), DEST/VERSION
set -eu

VERSION=2.1.3+dfsg1-2
ORIG=lwip_2.1.3+dfsg1.orig.tar.xz
ORIG_SHA256=0a8276d09fc4e97bbba2f953d74af2388fc2195ea156be9d7589e297a68fde24
DEBIAN=lwip_$VERSION.debian.tar.xz
DEBIAN_SHA256=c5a48413d362cc757032cdd58f528f75eb64ee781ca46ca24f010b49b0e62a90
DSC=lwip_$VERSION.dsc
DSC_SHA256=8d8f944db8e6d542fc2d6f01559078fb1b5dda71651c67ee5fa3571ed1342c50

dest=${1:?usage: fetch-lwip.sh DEST}
patches=$(cd "$(dirname "$0")/net-patches" && pwd)
# The stamp names the package version and our patch set: a new patch refetches.
stamp="$VERSION $(cat "$patches"/*.patch | sha256sum | cut -c1-16)"
[ "$(cat "$dest/VERSION" 2>/dev/null)" = "$stamp" ] && [ -d "$dest/src/src/core" ] && exit 0

rm -rf "$dest"
mkdir -p "$dest/apt/lists/partial" "$dest/download"
dest=$(cd "$dest" && pwd)

# The mirror and suite the system uses (Debian 12's deb822 sources file), else Debian's own.
uri=http://deb.debian.org/debian suite=bookworm keyring=/usr/share/keyrings/debian-archive-keyring.gpg
src=/etc/apt/sources.list.d/debian.sources
if [ -r "$src" ]; then
	u=$(awk '/^URIs:/ && !/security/ { print $2; exit }' "$src")
	s=$(awk '/^Suites:/ { print $2; exit }' "$src")
	k=$(awk '/^Signed-By:/ { print $2; exit }' "$src")
	[ -n "$u" ] && uri=$u
	[ -n "$s" ] && suite=$s
	[ -n "$k" ] && keyring=$k
fi
echo "deb-src [signed-by=$keyring] $uri $suite main" > "$dest/apt/sources.list"

apt() {
	apt-get -q -o Dir::Etc::SourceList="$dest/apt/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$dest/apt/lists" \
		-o APT::Sandbox::User=root "$@"
}
echo "  FETCH   lwip $VERSION (Debian source package)"
apt update >"$dest/apt/update.log" 2>&1 || { cat "$dest/apt/update.log" >&2; exit 1; }
(cd "$dest/download" && apt source --download-only "lwip=$VERSION") >"$dest/apt/source.log" 2>&1 ||
	{ cat "$dest/apt/source.log" >&2; echo "fetch-lwip: could not download lwip $VERSION" >&2; exit 1; }

check() {
	sum=$(sha256sum "$dest/download/$1" | cut -d' ' -f1)
	[ "$sum" = "$2" ] || { echo "fetch-lwip: $1: SHA-256 $sum, expected $2" >&2; exit 1; }
}
check "$ORIG" "$ORIG_SHA256"
check "$DEBIAN" "$DEBIAN_SHA256"
check "$DSC" "$DSC_SHA256"

dpkg-source --no-check -x "$dest/download/$DSC" "$dest/src" >"$dest/apt/unpack.log" 2>&1 ||
	{ cat "$dest/apt/unpack.log" >&2; exit 1; }
for p in "$patches"/*.patch; do
	patch -s -p1 -d "$dest/src" < "$p" ||
		{ echo "fetch-lwip: $p does not apply to lwip $VERSION" >&2; exit 1; }
done
echo "$stamp" > "$dest/VERSION"
