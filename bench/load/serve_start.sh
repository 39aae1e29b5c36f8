# Sourced by the bench scripts (measure.sh, per_message.sh): starting a
# `livectl serve` for one run.
#
# start_serve LIVECTL OUT_PREFIX GAME PARTICIPANTS DB
#   Starts `LIVECTL serve` on a free 127.0.0.1 port with no rate limit
#   (--max-rate 0: a closed loop sends far more than a person's 50 a
#   second), its output in OUT_PREFIX.serve.out and .serve.err, and waits
#   up to 60 s for its address. Sets server_pid and port. If the address
#   does not come, kills it, says so and returns 1.
start_serve() {
  local livectl=$1 prefix=$2 game=$3 participants=$4 db=$5
  "$livectl" serve --game "$game" --participants "$participants" --port 0 --db "$db" \
    --max-rate 0 >"$prefix.serve.out" 2>"$prefix.serve.err" &
  server_pid=$!
  port=
  for _ in $(seq 600); do
    port=$(sed -n 's|^serving on http://127\.0\.0\.1:\([0-9]*\) .*|\1|p' "$prefix.serve.out")
    [ -n "$port" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "$(basename "$prefix"): the server did not start: $(head -c 300 "$prefix.serve.err")" >&2
  kill -KILL "$server_pid" 2>/dev/null
  server_pid=
  return 1
}
