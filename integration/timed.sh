#!/usr/bin/env bash
# timed.sh CMD ARGS...: runs CMD and prints how long it took (make integration's lines
# add up to the time `make test` spends in each script).
t0=$(date +%s%N)
"$@"
rc=$?
name=$1
for a in "$@"; do case $a in *.sh) name=${a##*/}; break ;; esac; done
printf '== %s: %d s (exit %d)\n' "$name" $(( ($(date +%s%N) - t0) / 1000000000 )) "$rc"
exit $rc
