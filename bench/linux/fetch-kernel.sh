#!/bin/sh
# bench/linux/fetch-kernel.sh: make Debian's cloud kernel available to the
# Linux-guest benchmarks without installing it (the host's /boot, initramfs
# hooks and boot loader are never touched).
#
# linux-image-cloud-amd64 is a metapackage; `apt-cache depends` names the
# versioned package it pulls in (linux-image-6.1.0-N-cloud-amd64). That .deb
# is fetched with `apt-get download` (apt checks its hash against the signed
# index), checked to be a Debian package of that name with dpkg-deb, and
# only unpacked (dpkg-deb -x) into $BUILD/linux/pkg; vmlinuz is copied to
# $BUILD/linux/vmlinuz and its version to $BUILD/linux/version.
#
# The cloud kernel builds some drivers the benchmarks need as modules (virtio
# and virtio-mmio, virtio-blk, squashfs; ext4 is built in), so those are kept
# too: the package ships no modules.dep (the installer makes it), so depmod
# (kmod) writes one in the unpacked tree, and each wanted module and its
# dependencies are copied to $BUILD/linux/modules/, with `load-order` there
# naming the files in the order a guest must load them (dependencies first).
# bench/linux/run-guest.sh -k puts them in the guest's initramfs.
# virtio_net (with failover, net_failover) is kept for bench/linux/run-server.sh, listed
# only in load-order-net.
#
# Idempotent: once $BUILD/linux/vmlinuz and the modules exist nothing is
# fetched again (--refresh re-resolves the package, e.g. after a kernel update).
# Prints the kernel version on stdout. Exit 0 on success, 1 on failure.
set -eu
cd "$(dirname "$0")/../.."
dir=${BUILD:-build}/linux
meta=linux-image-cloud-amd64
modules="virtio_mmio virtio_blk squashfs"	# what the guests load (run-guest.sh -k)
# bench/linux/run-server.sh's guests load these too (load-order-net); kept apart so that the
# other guests' boots (bench/boot, bench/fs) load nothing more than before.
net_modules="virtio_net"
mkdir -p "$dir"

if [ "${1:-}" != --refresh ] && [ -s "$dir/vmlinuz" ] && [ -s "$dir/version" ] &&
	[ "$(cat "$dir/modules/wanted" 2>/dev/null)" = "$modules + $net_modules" ]; then
	cat "$dir/version"
	exit 0
fi

fail() { echo "fetch-kernel: $*" >&2; exit 1; }
depmod=$(PATH=$PATH:/usr/sbin:/sbin command -v depmod) || fail "depmod missing (apt-get install kmod)"

# keep_modules TREE VERSION: copy $modules and their dependencies from the
# unpacked TREE to $dir/modules and write load-order; then load-order-net, the
# same followed by $net_modules and their dependencies. modules.dep lists a
# module's dependencies so that each one's own dependencies come after it,
# hence loading them in reverse, then the module itself.
add_module() {	# TREE VERSION MODULE ORDER-FILE: MODULE and its dependencies, once each
	local tree=$1 ver=$2 m=$3 order=$4 line dep f
	line=$(grep -E "(^|/)$m\.ko:" "$tree/lib/modules/$ver/modules.dep") || fail "no module $m in $ver"
	for dep in $(echo "${line#*:}" | tr ' ' '\n' | tac) "${line%%:*}"; do
		f=$(basename "$dep")
		grep -qxF "$f" "$order" && continue
		cp "$tree/lib/modules/$ver/$dep" "$out/$f" || fail "cannot copy $dep"
		echo "$f" >> "$order"
	done
}
keep_modules() {
	local tree=$1 ver=$2 m out=$dir/modules.tmp
	"$depmod" -b "$tree" "$ver" || fail "depmod -b $tree $ver failed"
	rm -rf "$out" && mkdir -p "$out"
	: > "$out/load-order"
	for m in $modules; do add_module "$tree" "$ver" "$m" "$out/load-order"; done
	cp "$out/load-order" "$out/load-order-net"
	for m in $net_modules; do add_module "$tree" "$ver" "$m" "$out/load-order-net"; done
	echo "$modules + $net_modules" > "$out/wanted"
	rm -rf "$dir/modules" && mv "$out" "$dir/modules"
}

resolve() {	# the versioned package the metapackage depends on
	apt-cache depends "$meta" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*-cloud-amd64\)$/\1/p' | head -n 1
}
pkg=$(resolve)
if [ -z "$pkg" ]; then	# an empty package list (fresh machine): update once
	apt-get update -qq >/dev/null 2>&1 || true
	pkg=$(resolve)
fi
[ -n "$pkg" ] || fail "apt-cache depends $meta names no linux-image-*-cloud-amd64 package"

rm -f "$dir"/"$pkg"_*.deb
# apt's "download is performed unsandboxed as root" warning is noise here: keep
# apt's messages in a log shown only on failure.
(cd "$dir" && apt-get download -q "$pkg" >download.log 2>&1) ||
	{ cat "$dir/download.log" >&2; fail "apt-get download $pkg failed"; }
deb=""
for f in "$dir"/"$pkg"_*_amd64.deb; do [ -f "$f" ] && deb=$f; done
[ -n "$deb" ] || fail "apt-get download left no $pkg .deb in $dir"
[ "$(dpkg-deb -f "$deb" Package 2>/dev/null)" = "$pkg" ] || fail "$deb is not a .deb of $pkg"

rm -rf "$dir/pkg"
dpkg-deb -x "$deb" "$dir/pkg" || fail "dpkg-deb -x $deb failed"
version=${pkg#linux-image-}
[ -s "$dir/pkg/boot/vmlinuz-$version" ] || fail "$deb holds no boot/vmlinuz-$version"
keep_modules "$dir/pkg" "$version"
cp "$dir/pkg/boot/vmlinuz-$version" "$dir/vmlinuz.tmp"
mv "$dir/vmlinuz.tmp" "$dir/vmlinuz"
echo "$version ($(dpkg-deb -f "$deb" Version))" > "$dir/version"
rm -rf "$dir/pkg" "$deb" "$dir/download.log"	# the rest of the 100 MiB of modules
cat "$dir/version"
