#!/usr/bin/env bash
# Session configurations through a study's binary, as a researcher uses
# them: livectl configs, simulate --config/--set, scenarios with "config",
# serve --config, and the stored configuration in the export.
# Usage: configs_test.sh STUDY_BINARY SOURCE_DIR
set -u
study=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

check() {  # check NAME COMMAND...: the command must succeed
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $name"
  fi
}

run() {  # run COMMAND...: output in $work/out and $work/err, status in $code
  "$@" >"$work/out" 2>"$work/err"
  code=$?
}

same_text() {  # same_text GOT EXPECTED
  if [ "$1" != "$2" ]; then
    echo "  got:      $1"
    echo "  expected: $2"
    return 1
  fi
}

run "$study" configs
check "configs exits 0" same_text "$code" 0
check "configs lists pg_low with its game, size and money" same_text "$(sed -n 1p "$work/out")" \
  "pg_low: public_goods, 12 participants, 3 rounds, 0.1 per point + 5 fee"
check "configs shows pg_low's multiplier" grep -qx '  multiplier = 1.5 (number)' "$work/out"
check "configs lists an app sequence's games in order, with each one's rounds" \
  grep -qx 'pg_survey: public_goods, survey, 12 participants, 3 + 1 rounds, 0.1 per point + 5 fee' \
  "$work/out"
check "configs shows the game's own configuration with the default" \
  grep -qx '  multiplier = 2 (number, the default)' "$work/out"

run "$study" simulate --config pg_high --seed 5 --json
check "simulate --config exits 0" same_text "$code" 0
check "simulate --config plays the configuration's twelve" grep -q '"participants": 12' "$work/out"
check "simulate --config reports the configuration" grep -q '"config": "pg_high"' "$work/out"
check "simulate --config uses its multiplier" grep -q '"multiplier": 2.5' "$work/out"
check "simulate --config passes every check" grep -q '"failed": \[\]' "$work/out"
digest=$(grep '"digest"' "$work/out")
run "$study" simulate --config pg_high --seed 5 --json
check "the same configuration and seed give the same digest" same_text "$(grep '"digest"' "$work/out")" "$digest"
run "$study" simulate --config pg_high --seed 5 --set multiplier=1 --json
check "--set changes the parameter" grep -q '"multiplier": 1' "$work/out"
check "--set changes the outcome" test "$(grep '"digest"' "$work/out")" != "$digest"

run "$study" simulate --config pg_nope
check "an unknown configuration exits 2" same_text "$code" 2
check "an unknown configuration is named with the known ones" same_text "$(cat "$work/err")" \
  "public_goods: unknown configuration 'pg_nope' (known: pg_low, pg_high, pg_survey, public_goods, survey)"
run "$study" simulate --config pg_low --set multipler=2
check "an unknown parameter exits 2" same_text "$code" 2
check "an unknown parameter is named" same_text "$(cat "$work/err")" \
  "public_goods: --set multipler=2: pg_low has no parameter 'multipler' (its parameters: multiplier)"
run "$study" simulate --config pg_low --set multiplier=high
check "a value of the wrong type exits 2" same_text "$code" 2
check "a value of the wrong type is explained" same_text "$(cat "$work/err")" \
  "public_goods: --set multiplier=high: parameter 'multiplier' is a number, not 'high'"
run "$study" simulate public_goods --config pg_low
check "a game and a configuration together exit 2" same_text "$code" 2

# A scenario chooses a configuration; a wrong one is a bad file.
run "$study" test "$source_dir/studies/public_goods/scenarios"
check "the study's scenarios pass" same_text "$(tail -n 1 "$work/out")" "5 passed, 0 failed"
printf '{"config": "pg_nope", "steps": []}' >"$work/bad.json"
run "$study" test "$work/bad.json"
check "a scenario with an unknown configuration exits 2" same_text "$code" 2
check "the unknown configuration is reported" grep -qF \
  "bad.json: unknown configuration \"pg_nope\" (known: pg_low, pg_high, pg_survey, public_goods, survey)" "$work/out"
printf '{"game": "public_goods", "config": "pg_survey", "steps": []}' >"$work/sequence.json"
run "$study" test "$work/sequence.json"
check "a scenario's game must be all its configuration plays" grep -qF \
  "sequence.json: configuration pg_survey plays public_goods, survey, not public_goods" "$work/out"
printf '{"config": "pg_survey", "participants": 3, "steps": [], "final": {"players": {"1": {"age": 30}}}}' \
  >"$work/othergame.json"
run "$study" test "$work/othergame.json"
check "a final check of a field of the game the participant is not in fails" grep -qF \
  "final: participant 1 is in public_goods, which has no player field age" "$work/out"
printf '{"config": "pg_low", "params": {"multiplier": "x"}, "steps": []}' >"$work/badparam.json"
run "$study" test "$work/badparam.json"
check "a scenario parameter of the wrong type is reported" grep -qF \
  "badparam.json: params: parameter 'multiplier' is a number, not \"x\"" "$work/out"

# The configuration is stored with the session and exported.
run "$study" simulate --config pg_low --seed 2 --db "$work/pg.db"
check "simulate --config --db exits 0" same_text "$code" 0
run "$study" export --db "$work/pg.db" --out "$work/csv"
check "export exits 0" same_text "$code" 0
check "the sessions CSV has the configuration" grep -q ',pg_low,"{""multiplier"":1.5}",0.1,5.0' "$work/csv/sessions.csv"
check "the players CSV has one row per player per round" \
  same_text "$(($(wc -l <"$work/csv/public_goods_players.csv") - 1))" 36
check "the players CSV has oTree's payoff and round columns" grep -q \
  '^session.code,session.config.name,participant.code,participant.id_in_session,participant.label,participant.payoff,participant.payoff_plus_participation_fee,participant.total_given,subsession.round_number,player.id_in_group,player.payoff' \
  "$work/csv/public_goods_players.csv"
run "$study" replay --db "$work/pg.db"
check "the stored session with rematching and forms replays" same_text "$code" 0

# Two games in a row: stored in both games' tables, replayed, exported with
# one players file per game and the session's whole payoff on each.
run "$study" simulate --config pg_survey --seed 5 --db "$work/seq.db"
check "simulate of an app sequence exits 0" same_text "$code" 0
check "every bot plays both games to the end" grep -q 'bots: 12 finished, 0 waiting' "$work/out"
run "$study" replay --db "$work/seq.db"
check "the app sequence's session replays" same_text "$code" 0
check "replay names both games" grep -q ' public_goods,survey 108 events ' "$work/out"
run "$study" export --db "$work/seq.db" --out "$work/seq"
check "the survey's players file has a row per participant" \
  same_text "$(($(wc -l <"$work/seq/survey_players.csv") - 1))" 12
first_game=$(awk -F, '$4 == 1 {print $6 "," $8; exit}' "$work/seq/public_goods_players.csv")
second_game=$(awk -F, '$4 == 1 {print $6 "," $8; exit}' "$work/seq/survey_players.csv")
check "the first game's file has participant 1's payoff" test -n "$first_game"
check "both games' files have participant 1's whole payoff and shared total_given" \
  same_text "$second_game" "$first_game"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
