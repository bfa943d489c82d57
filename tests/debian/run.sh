#!/bin/bash
# Real Debian programs, unmodified, from their packages (tools/install-deps.sh
# installs them): each runs under `mote run` and, where its output is
# deterministic, natively too, and the two outputs must be the same bytes.
# Dynamic programs go through the image cache (a private MOTE_CACHE_DIR here),
# so this also covers mote build's library collection, dlopen()ed modules,
# and the image root.
# Usage: tests/debian/run.sh [FILTER]
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
MOTE=${MOTE:-$BUILD/mote}
filter=${1:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MOTE_CACHE_DIR=$work/cache

wanted() { [[ -z $filter || $1 == *$filter* ]]; }

# same NAME NATIVE-COMMAND -- MOTE-RUN-ARGS: stdout and exit status equal.
same() {
	local name=$1 native=$2
	shift 3
	wanted "$name" || return
	bash -c "$native" >"$work/$name.native" 2>&1 </dev/null
	local nst=$?
	"$MOTE" run --timeout 120 "$@" >"$work/$name.mote" 2>"$work/$name.err" </dev/null
	local mst=$?
	if [[ $nst != "$mst" ]]; then
		echo "FAIL debian-$name: exit status $mst in mote, $nst natively"
		sed 's/^/    | /' "$work/$name.err" "$work/$name.mote" | tail -15
	elif ! cmp -s "$work/$name.native" "$work/$name.mote"; then
		echo "FAIL debian-$name: output differs (< native, > mote)"
		diff "$work/$name.native" "$work/$name.mote" | head -15 | sed 's/^/    | /'
	else
		echo "PASS debian-$name"
	fi
}

# matches NAME REGEX... -- MOTE-RUN-ARGS: exit 0 and every regex matches a line.
matches() {
	local name=$1 res=()
	shift
	while [[ $1 != -- ]]; do res+=("$1"); shift; done
	shift
	wanted "$name" || return
	"$MOTE" run --timeout 120 "$@" >"$work/$name.mote" 2>&1 </dev/null
	local st=$? why=""
	[[ $st == 0 ]] || why="exit status $st"
	for re in "${res[@]}"; do
		[[ -n $why ]] && break
		grep -Eq -- "$re" "$work/$name.mote" || why="no line matches '$re'"
	done
	if [[ -z $why ]]; then echo "PASS debian-$name"
	else echo "FAIL debian-$name: $why"; sed 's/^/    | /' "$work/$name.mote" | tail -15; fi
}

# busybox (static): a script of shell builtins only (pipelines would need fork).
script='x=6; y=7; echo "product $((x * y))"; for w in alpha beta; do echo "word $w"; done
case $x in 6) echo six;; *) echo other;; esac; f() { echo "in f: $1"; return 3; }; f arg; echo "status $?"
set -- a b c; echo "$# args, second $2"; printf "%s-%05d\n" pad 42; test -d / && echo "root is a dir"
read -r line <<EOT
from a here document
EOT
echo "$line"; exit 5'
same busybox-sh "busybox sh -c '$script'" -- /bin/busybox -- sh -c "$script"

# coreutils: cat of a file passed in, and ls -la / of the image's own root.
printf 'line one\nline two\n\ttabbed\n' >"$work/cat.txt"
same coreutils-cat "cat $work/cat.txt" -- --file "$work/cat.txt:/data/cat.txt" /bin/cat -- /data/cat.txt
matches coreutils-ls-root '^total [0-9]+$' '^drwxr-xr-x +[0-9]+ root root .* bin$' \
	'^lrwxrwxrwx .* lib -> usr/lib$' '^dr-xr-xr-x .* proc$' '^drwxrwxrwt .* tmp$' -- /bin/ls -- -la /

# lua5.4 running a script.
cat >"$work/t.lua" <<'LUA'
local t = {}
for i = 1, 10 do t[#t + 1] = i * i end
print(table.concat(t, ","))
print(string.format("%5.2f %s", math.pi, ("mote"):upper()))
local ok, err = pcall(function() error("boom") end)
print(ok, err:match("boom"))
LUA
same lua "lua5.4 $work/t.lua" -- --file "$work/t.lua:/data/t.lua" /usr/bin/lua5.4 -- /data/t.lua

# sqlite3 on an in-memory database (the kernel command line carries no double quote).
sql="select 6*7; select upper('mote'); select group_concat(value) from json_each('[1,2,3]');"
same sqlite3-memory "sqlite3 :memory: \"$sql\"" -- /usr/bin/sqlite3 -- :memory: "$sql"

# sqlite3 on a database file on a writable volume (-v HOST:/data:rw), in two boots: the
# second sees what the first committed. Natively the same two commands on a host file.
cat >"$work/s1.sql" <<'SQL'
create table t(id integer primary key, name text);
insert into t(name) values ('alpha'), ('beta'), ('gamma');
select count(*) from t;
SQL
s2="insert into t(name) values ('delta'); select group_concat(name, '+') from t;"
if wanted sqlite3-volume; then
	mkdir -p "$work/native"
	{ sqlite3 "$work/native/test.db" ".read $work/s1.sql" && sqlite3 "$work/native/test.db" "$s2"; } \
		>"$work/sqlite3-volume.native" 2>&1
	{ "$MOTE" run --timeout 120 -v "$work/db.img:/data:rw" --file "$work/s1.sql:/app/s1.sql" \
		/usr/bin/sqlite3 -- /data/test.db ".read /app/s1.sql" &&
	  "$MOTE" run --timeout 120 -v "$work/db.img:/data:rw" /usr/bin/sqlite3 -- /data/test.db "$s2"
	} >"$work/sqlite3-volume.mote" 2>"$work/sqlite3-volume.err" </dev/null
	if cmp -s "$work/sqlite3-volume.native" "$work/sqlite3-volume.mote" &&
		"$MOTE" inspect "$work/db.img" | grep -q " /test.db$"; then
		echo "PASS debian-sqlite3-volume"
	else
		echo "FAIL debian-sqlite3-volume: output differs (< native, > mote), or no /test.db on the disk"
		diff "$work/sqlite3-volume.native" "$work/sqlite3-volume.mote" | head | sed 's/^/    | /'
		tail -5 "$work/sqlite3-volume.err" | sed 's/^/    | /'
	fi
fi

# python3: -c, and a script importing json, re and sqlite3 (its _sqlite3 module
# is dlopen()ed: mote build adds the libsqlite3 it needs). The standard library
# is given with --dir, so the image is built once and the two cases share it.
py=$(readlink -f /usr/bin/python3); pylib=/usr/lib/$(basename "$py")
cat >"$work/t.py" <<'PY'
import json, re, sqlite3
d = json.loads('{"b": [1, 2, 3], "a": {"x": null}}')
print(json.dumps(d, sort_keys=True))
print(re.findall(r"\d+", "a1b22c333"), re.sub(r"(\w)(\d)", r"\2\1", "a1 b2"))
c = sqlite3.connect(":memory:")
c.execute("create table t(x)")
c.executemany("insert into t values (?)", [(i,) for i in range(10)])
print(c.execute("select sum(x), count(*) from t").fetchone())
PY
pyargs=(--file "$work/t.py:/app/t.py" --dir "$pylib:$pylib")
if wanted python3; then
	"$MOTE" build -o "$work/py.img" /usr/bin/python3 "${pyargs[@]}" --quiet ||
		echo "FAIL debian-python3: mote build failed"
fi
same python3-c "python3 -c 'import sys; print(sys.version_info[:2], 6 * 7)'" -- \
	"$work/py.img" -- -c 'import sys; print(sys.version_info[:2], 6 * 7)'
same python3-script "python3 $work/t.py" -- "$work/py.img" -- /app/t.py
