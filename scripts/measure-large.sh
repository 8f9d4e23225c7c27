#!/usr/bin/env bash
# Peak memory and time of `semcodec compress` and `decompress` at 768x512,
# 4096x3072 and 16384x4096, on mosaics of the Kodak images made by
# scripts/mosaic. Prints the README's table. On a shared machine run it with
# nothing else busy: the times are per run, not minima.
#
#   scripts/measure-large.sh [WORK_DIR]     (default: a temporary folder)
#
# Needs /usr/bin/time (GNU time) and about 1 GB of disk in WORK_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-$(mktemp -d)}
mkdir -p "$work"
bin=$work/semcodec
go build -o "$bin" ./cmd/semcodec
go run ./scripts/mosaic -kodak ../shared/data/kodak -out "$work" 768x512 4096x3072 16384x4096

echo "| size | compress: wall s, CPU s, peak RSS | decompress: wall s, CPU s, peak RSS |"
echo "|---|---|---|"
for size in 768x512 4096x3072 16384x4096; do
	in=$work/mosaic-$size.png
	c=$(/usr/bin/time -f "%e s, %U s, %M" "$bin" compress "$in" -o "$work/$size.smc" 2>&1 >/dev/null | tail -1)
	d=$(/usr/bin/time -f "%e s, %U s, %M" "$bin" decompress "$work/$size.smc" -o "$work/$size-out.png" 2>&1 >/dev/null | tail -1)
	mb() { awk -F', ' '{printf "%s, %s, %d MB", $1, $2, $3/1024}' <<<"$1"; }
	echo "| ${size/x/×} | $(mb "$c") | $(mb "$d") |"
done
