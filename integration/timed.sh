#!/usr/bin/env bash
# timed.sh CMD ARGS...: runs CMD and prints how long it took (make integration's lines
# add up to the time `make test` spends in each script), and the CPU time the host took
# from this machine meanwhile (steal, from /proc/stat: when a VM's host is busy, every
# process here stalls together, the daemons and the script timing them alike).
steal() { awk '/^cpu /{print $9; exit}' /proc/stat 2>/dev/null || echo 0; }
t0=$(date +%s%N)
s0=$(steal)
"$@"
rc=$?
name=$1
for a in "$@"; do case $a in *.sh) name=${a##*/}; break ;; esac; done
stolen=$(( ($(steal) - s0) * 1000 / $(getconf CLK_TCK) ))
printf '== %s: %d s (exit %d; steal %d ms)\n' "$name" $(( ($(date +%s%N) - t0) / 1000000000 )) "$rc" "$stolen"
exit $rc
