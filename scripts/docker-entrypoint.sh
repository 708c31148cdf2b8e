#!/bin/sh
# The container image's entrypoint: essaybot with the arguments given to `docker run`.
#
# Both forms work: `docker run … essaybot:0.1.0 who-said "x"` and `docker run … essaybot:0.1.0
# essaybot who-said "x"`, the one that `docker compose exec bot essaybot …` teaches (exec runs a
# command, not the entrypoint, so there the prefix is needed). A leading "essaybot" is dropped;
# no essaybot command has that name. exec: essaybot takes over this process and gets the signals.
set -eu
if [ "$#" -gt 0 ] && [ "$1" = essaybot ]; then
  shift
fi
exec essaybot "$@"
