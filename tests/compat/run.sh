#!/bin/bash
# The compatibility suite: every case of tests/compat/cases is run natively
# and under `mote run`, for every build of its program (musl, glibc, their
# static-PIE variants, go), and the two runs must agree byte for byte on
# stdout and stderr, and on the exit status. One line per run:
#   PASS compat/<build>/<case>
#   FAIL compat/<build>/<case>: <what differed>   (then "    | " detail lines)
#
# Usage: tests/compat/run.sh [--native-only] [--hv microvm|q35] [--smp N]
#                            [--jobs N] [--timeout S] [FILTER...]
#   --native-only  run each case natively twice and check it is deterministic
#                  (lines say compat-native/...); needs no mote
#   --hv HV        the machine for mote run (default microvm)
#   --smp N        virtual CPUs for mote run (default 1); lines then say
#                  compat-smpN/...
#   --jobs N       runs at once, 1 or 2 (default 2)
#   --timeout S    seconds per mote run (default 120; native runs get 60)
#   FILTER         only cases whose <build>/<case> contains one of these
# Environment: BUILD (default build), MOTE (default $BUILD/mote).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
MOTE=${MOTE:-$BUILD/mote}
native_only=0 hv=microvm smp=1 jobs=2 timeout=120
filters=()
while (($#)); do
	case $1 in
	--native-only) native_only=1 ;;
	--hv) hv=$2; shift ;;
	--hv=*) hv=${1#--hv=} ;;
	--smp) smp=$2; shift ;;
	--smp=*) smp=${1#--smp=} ;;
	--jobs) jobs=$2; shift ;;
	--jobs=*) jobs=${1#--jobs=} ;;
	--timeout) timeout=$2; shift ;;
	--timeout=*) timeout=${1#--timeout=} ;;
	-h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) filters+=("$1") ;;
	esac
	shift
done
((jobs >= 1 && jobs <= 2)) || { echo "run.sh: --jobs is 1 or 2" >&2; exit 2; }

builds=(musl glibc musl-pie glibc-pie glibc-dyn go)
# Dynamic builds run from images mote caches; keep them beside the programs.
export MOTE_CACHE_DIR=${MOTE_CACHE_DIR:-$BUILD/compat/image-cache}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Generated inputs: deterministic bytes, so nothing binary is committed.
inputs=$BUILD/compat/inputs
mkdir -p "$inputs"
if [[ ! -s $inputs/bytes.bin ]]; then
	one=$(for i in $(seq 0 255); do printf '\\x%02x' "$i"; done)
	for i in $(seq 1 1000); do printf "$one"; done >"$inputs/bytes.bin.tmp" &&
		mv "$inputs/bytes.bin.tmp" "$inputs/bytes.bin"
fi
[[ -s $inputs/lines.txt ]] || seq 1 30000 >"$inputs/lines.txt"

# trim VAR TEXT: VAR = TEXT without surrounding blanks (no subshell: the
# suite forks enough already).
trim() {
	local s=$2
	s=${s#"${s%%[![:space:]]*}"}
	printf -v "$1" '%s' "${s%"${s##*[![:space:]]}"}"
}

mote_env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOSTNAME=mote HOME=/)

# run_one OUTPREFIX MODE BIN: runs BIN the way MODE says (native or mote),
# with the current case's args, env, stdin and files; leaves
# OUTPREFIX.out, .err and .status.
run_one() {
	local out=$1 mode=$2 bin=$3 st f i
	local -a cmd
	if [[ $mode == native ]]; then
		# Natively a guest path in the args is the host file it stands for.
		local -a nargs=("${args[@]}")

		for f in "${files[@]}"; do
			for i in "${!nargs[@]}"; do
				[[ ${nargs[$i]} == "${f#*:}" ]] && nargs[$i]=${f%%:*}
			done
		done
		# The environment mote gives every program (docs/cli.md), then the case's.
		cmd=(timeout 60 env -i "${mote_env[@]}" "${envs[@]}" "$bin" "${nargs[@]}")
	else
		cmd=("$MOTE" run --timeout "$timeout" --hv "$hv" --smp "$smp")
		for f in "${files[@]}"; do cmd+=(--file "$f"); done
		for f in "${envs[@]}"; do cmd+=(-e "$f"); done
		cmd+=("$bin" -- "${args[@]}")
	fi
	# The braces' stderr swallows bash's own "Aborted" notices.
	{ "${cmd[@]}" >"$out.out" 2>"$out.err" <"$stdin"; st=$?; } 2>/dev/null
	echo "$st" >"$out.status"
	# mote's report of a fatal signal stands where the shell's "Segmentation
	# fault" notice would; the native side has that notice swallowed above.
	[[ $mode == mote ]] && sed -i '/^mote: program killed by signal /d' "$out.err"
	return 0
}

# compare A B NAME-A NAME-B: prints what differs between runs A and B
# (nothing if they agree); diff lines are "<" for A, ">" for B.
compare() {
	local a=$1 b=$2 na=$3 nb=$4 s sa sb
	read -r sa <"$a.status"
	read -r sb <"$b.status"
	[[ $sa != "$sb" ]] && echo "exit status $sa $na, $sb $nb"
	for s in out err; do
		cmp -s "$a.$s" "$b.$s" && continue
		local name=stdout
		[[ $s == err ]] && name=stderr
		echo "$name differs (< $na, > $nb)"
		diff -a "$a.$s" "$b.$s" | grep -m2 -E '^[<>]' | cut -c1-200
	done
}

# check LABEL BIN: one case on one build; prints its PASS/FAIL line.
check() {
	local label=$1 bin=$2 base=$work/${1//\//_} why
	if ((native_only)); then
		run_one "$base.a" native "$bin"
		run_one "$base.b" native "$bin"
		why=$(compare "$base.a" "$base.b" "first run" "second run")
	else
		run_one "$base.a" native "$bin"
		run_one "$base.b" mote "$bin"
		why=$(compare "$base.a" "$base.b" native mote)
	fi
	{
		if [[ -z $why ]]; then
			echo "PASS $label"
		else
			echo "FAIL $label: $(head -1 <<<"$why")"
			tail -n +2 <<<"$why" | sed 's/^/    | /'
		fi
	} >"$base.result"
	# Not cat: coreutils' cat copies with copy_file_range(2), which moves the shared
	# offset of a file it writes to without the lock write(2) takes, so two checks
	# printing at once to a stdout that is a file (tests/run.sh's log) overwrote
	# each other's line. The shell's own write keeps them apart.
	printf '%s\n' "$(<"$base.result")"
}

prefix=compat
((native_only)) && prefix=compat-native
((smp > 1)) && prefix=compat-smp$smp
if ((!native_only)) && [[ ! -x $MOTE ]]; then
	echo "FAIL compat: $MOTE not built"
	exit 1
fi

running=0 launched=()
while IFS= read -r line; do
	[[ $line =~ ^[[:space:]]*(#|$) ]] && continue
	IFS='|' read -r name prog argtext stdin envtext filetext <<<"$line"
	trim name "$name"
	trim prog "$prog"
	trim stdin "${stdin:-}"
	# Args and env are shell words (quotes allowed, nothing expanded).
	eval "args=(${argtext:-})"
	eval "envs=(${envtext:-})"
	read -r -a files <<<"${filetext:-}"
	[[ -z $stdin ]] && stdin=/dev/null
	stdin=${stdin/#build\//$BUILD/}
	for b in "${builds[@]}"; do
		bin=$BUILD/compat/$b/$prog
		[[ -x $bin ]] || continue
		label=$prefix/$b/$name
		if ((${#filters[@]})); then
			match=0
			for f in "${filters[@]}"; do [[ $b/$name == *"$f"* ]] && match=1; done
			((match)) || continue
		fi
		if ((running >= jobs)); then
			wait -n
			running=$((running - 1))
		fi
		check "$label" "$bin" &
		launched+=("$label")
		running=$((running + 1))
	done
done <tests/compat/cases
wait

# A check that ended without a result (killed, or the shell failed) is a failure, not a silence.
for label in "${launched[@]}"; do
	[[ -s $work/${label//\//_}.result ]] && continue
	echo "FAIL $label: the check ended without a result" | tee "$work/${label//\//_}.result"
done

# A case none of whose builds exist is a build problem, not a pass.
total=$(cat "$work"/*.result 2>/dev/null | grep -cE '^(PASS|FAIL) ')
if ((total == 0)); then
	echo "FAIL $prefix: no case ran (build the programs: make compat-bins)"
	exit 1
fi
! grep -q '^FAIL ' "$work"/*.result
