#!/usr/bin/env bash
# Create .venv and install essaybot with its development tools, CPU-only torch first.
#
#   bash scripts/setup.sh            # install
#   bash scripts/setup.sh --print    # print the commands it would run, one a line; change nothing
#
# torch==2.13.0 comes first, on its own and from PyTorch's CPU index: resolved from PyPI, that
# release is the CUDA build with about 17 nvidia-* packages (several GB). The CPU index is named
# with --index-url on the torch command only, not with --extra-index-url: with two indexes pip picks
# whichever offers the "best" version, and falls back to PyPI's CUDA build whenever the CPU index
# lacks a wheel (or cannot be reached). The project and its other dependencies then come from PyPI
# (or the index pip is configured with), with torch pinned so that nothing replaces the CPU build.
#
# ESSAYBOT_TORCH_INDEX changes where torch comes from:
#   a URL (https://…, file://…)   a package index, used as --index-url (a mirror of PyTorch's CPU index)
#   a folder that exists          a folder of wheels holding the CPU build, used as --find-links; the
#                                 configured indexes still serve torch's own dependencies
set -euo pipefail
cd "$(dirname "$0")/.."

TORCH_VERSION=2.13.0
DEFAULT_TORCH_INDEX=https://download.pytorch.org/whl/cpu

print_only=false
case "${1:-}" in
  "") ;;
  --print) print_only=true ;;
  *)
    echo "usage: bash scripts/setup.sh [--print]" >&2
    exit 2
    ;;
esac

torch_index="${ESSAYBOT_TORCH_INDEX:-$DEFAULT_TORCH_INDEX}"
if [ -d "$torch_index" ]; then
  torch_source=(--find-links "$torch_index")
else
  torch_source=(--index-url "$torch_index")
fi

# Each command is printed (shell-quoted) in --print mode, run otherwise.
run() {
  if [ "$print_only" = true ]; then
    local quoted
    quoted="$(printf '%q ' "$@")"
    echo "${quoted% }"
  else
    "$@"
  fi
}

PYTHON="${PYTHON:-python3}"
PIP=(.venv/bin/python -m pip install --quiet)
if [ "$print_only" = true ] || [ ! -x .venv/bin/python ]; then
  run "$PYTHON" -m venv .venv
fi
run "${PIP[@]}" --upgrade pip
run "${PIP[@]}" "${torch_source[@]}" "torch==$TORCH_VERSION"
if [ "$print_only" = false ] && .venv/bin/python -m pip list --format=freeze | grep -qi '^nvidia-'; then
  echo "setup: a CUDA build of torch is installed in .venv (nvidia-* packages): remove .venv and run" \
    "this again, with ESSAYBOT_TORCH_INDEX naming a source of the CPU build if $DEFAULT_TORCH_INDEX" \
    "is not reachable" >&2
  exit 1
fi
run "${PIP[@]}" -e ".[dev]" "torch==$TORCH_VERSION"
