#!/usr/bin/env bash
# Instructions Redis spends on one session write, counted by callgrind on a private redis-server
# (repeatable, unlike timings). Each write runs `calls` and `calls + 10000` times against 10,000
# session records of the benchmark's profile; the difference divided by 10,000 is the cost of one
# write, setup excluded.
#
#   bash benches/script_cost.sh [calls]
#
# Needs redis-server, redis-cli, redis-benchmark, python3 and valgrind. Prints a line per write:
# - update.lua: the common session write (with its helpers, as the store sends it, appending a
#   change with no compaction due);
# - compare_and_set.lua: the least any atomic whole-record write costs on Redis 7.0, which has no
#   native compare-and-set (`SET` only if the record is still as read, as in the benchmark's
#   ideal atomic read-modify-write);
# - return_1.lua: what running any script costs;
# - SET XX KEEPTTL: the plain command with which the benchmark's unsafe ideal writes the record;
# - SET IFEQ KEEPTTL, where the server has it (Valkey 8.1+, Redis 8.4+): how the store updates
#   a record of up to 1 KiB there instead of update.lua.
#
# REDIS_SERVER_BIN names another server binary, such as a valkey-server.
set -euo pipefail

calls=${1:-2000}
here=$(cd "$(dirname "$0")" && pwd)
scripts="$here/../src/store/scripts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat "$scripts/record.lua" "$scripts/update.lua" >"$work/update.lua"
cat >"$work/compare_and_set.lua" <<'LUA'
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL') return 1 end return 0
LUA
echo "return 1" >"$work/return_1.lua"

profile='{"user_id":1,"name":"User Number 1","email":"user1@example.com","theme":"dark","language":"en-GB","roles":["customer","newsletter"],"csrf":"3q2-7wEjG2fX1mJ0a9Y8sPqLkR4tUvWx"}'
record="7:profile${#profile}:${profile}7:counter1:0"
fill='for i = 0, 9999 do redis.call("SET", string.format("key:%012d", i), ARGV[1]) end'

# The SHA1 under which Redis keeps a script file (what SCRIPT LOAD of its text returns).
sha() {
  printf '%s' "$(cat "$work/$1")" | sha1sum | cut -d ' ' -f 1
}

# Total instructions of a redis-server, with every script loaded, that serves `$1` runs of the
# redis-benchmark command that follows.
instructions() {
  local runs=$1
  shift
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" \
    "${REDIS_SERVER_BIN:-redis-server}" --port "$port" --bind 127.0.0.1 --save "" --appendonly no >"$work/valgrind.log" 2>&1 &
  local server=$!
  for _ in $(seq 1 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.2
  done
  redis-cli -p "$port" eval "$fill" 0 "$record" >/dev/null
  for script in "$work"/*.lua; do
    redis-cli -p "$port" script load "$(cat "$script")" >/dev/null
  done
  redis-benchmark -p "$port" -n "$runs" -c 4 -r 10000 -q "$@" >/dev/null
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  wait "$server" || true
  awk '/Collected/ { print $4 }' "$work/valgrind.log"
}

# Prints the cost of one run of the redis-benchmark command `$2…`, labelled `$1`.
cost() {
  local label=$1
  shift
  local low high
  low=$(instructions "$calls" "$@")
  high=$(instructions $((calls + 10000)) "$@")
  echo "$label: $(((high - low) / 10000)) instructions per write"
}

cost update.lua evalsha "$(sha update.lua)" 1 key:__rand_int__ "|7:counter1:5" 1000000 ""
# Writes the record unchanged, so that every call finds it as read and writes.
cost compare_and_set.lua evalsha "$(sha compare_and_set.lua)" 1 key:__rand_int__ "$record" "$record"
cost return_1.lua evalsha "$(sha return_1.lua)" 0
cost "SET XX KEEPTTL" set key:__rand_int__ "$record" XX KEEPTTL
# Whether the server has SET … IFEQ, which older ones refuse as a syntax error.
has_set_ifeq() {
  local port reply
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "${REDIS_SERVER_BIN:-redis-server}" --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
    >/dev/null 2>&1 &
  for _ in $(seq 1 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  reply=$(redis-cli -p "$port" set probe x IFEQ x 2>&1)
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  [[ $reply != *ERR* ]]
}

if has_set_ifeq; then
  # The record written as it is, so that every call finds it as read and writes.
  cost "SET IFEQ KEEPTTL" set key:__rand_int__ "$record" IFEQ "$record" KEEPTTL
else
  echo "SET IFEQ KEEPTTL: this server does not have it"
fi
