#!/usr/bin/env bash
# Capture the JSON the CLI prints for every question file, so a restructuring can prove it changed
# no behaviour:  scripts/behaviour-snapshot.sh OUT_DIR  (before), again into another folder (after),
# then  scripts/behaviour-snapshot.sh --diff BEFORE AFTER.  Timing fields are dropped before
# comparing; everything else must be byte-identical.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
py="${PYTHON:-$here/.venv/bin/python}"
# A checkout without its own .venv uses the python on PATH.
[[ -x "$py" ]] || py="$(command -v python || command -v python3)"
eb="${ESSAYBOT:-$here/.venv/bin/essaybot}"

strip_timing() {
  "$py" -c '
import json, sys
TIMING = {"elapsed_ms", "took_ms", "timing", "latency_ms", "generated_at"}
def scrub(v):
    if isinstance(v, dict):
        return {k: scrub(x) for k, x in v.items() if k not in TIMING}
    if isinstance(v, list):
        return [scrub(x) for x in v]
    return v
for line in sys.stdin:
    line = line.strip()
    if line:
        print(json.dumps(scrub(json.loads(line)), sort_keys=True, ensure_ascii=False))
'
}

if [[ "${1:-}" == "--diff" ]]; then
  before="$2"; after="$3"; status=0
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  for f in "$before"/*.jsonl; do
    name="$(basename "$f")"
    # Stripped into files, not compared through pipes: a failed strip must fail, not compare two empty outputs.
    if ! strip_timing <"$f" >"$scratch/before" || ! strip_timing <"$after/$name" >"$scratch/after"; then
      echo "CANNOT COMPARE: $name"; status=1; continue
    fi
    if ! cmp -s "$scratch/before" "$scratch/after"; then
      echo "DIFFERS: $name"; status=1
    fi
  done
  [[ $status == 0 ]] && echo "identical: $(ls "$before"/*.jsonl | wc -l) files"
  exit $status
fi

out="${1:?usage: behaviour-snapshot.sh OUT_DIR | --diff BEFORE AFTER}"
mkdir -p "$out"
data="$(mktemp -d)"
trap 'rm -rf "$data"' EXIT
export ESSAYBOT_DATA_DIR="$data"
"$eb" ingest >/dev/null
shared="$here/../shared/eval"
for f in "$here"/tests/data/*.jsonl "$shared"/dev_who_said.jsonl "$shared"/dev_traps.jsonl; do
  [[ -f "$f" ]] || continue
  case "$(basename "$f")" in *compare*) continue ;; esac
  "$eb" who-said --batch "$f" --json >"$out/who-said.$(basename "$f")"
done
for f in "$here"/tests/data/*compare*.jsonl "$shared"/dev_compare.jsonl; do
  [[ -f "$f" ]] || continue
  "$eb" compare --batch "$f" --json >"$out/compare.$(basename "$f")"
done
: >"$out/positions.jsonl"
for topic in "sanctions on Russia" "arming Ukraine" "NATO expansion" "self-determination" \
  "the working class in Russia" "peace negotiations" "imperialism" "the Zelensky government" \
  "nuclear escalation" "the left's duty" "war economy" "Crimea"; do
  "$eb" positions "$topic" --json >>"$out/positions.jsonl"
done
echo "wrote $(ls "$out" | wc -l) files to $out"
