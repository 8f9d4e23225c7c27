#!/bin/sh
# Installs the command-line encoders that `semcodec eval compression` uses as
# baselines, from Debian/Ubuntu packages. JPEG through Go's image/jpeg needs
# nothing. A codec whose package is missing from the distribution is skipped
# here with a note, and skipped by the evaluation in the same way.
#
#   webp                 cwebp, dwebp               (WebP)
#   libopenjp2-tools     opj_compress, opj_decompress (JPEG 2000)
#   libavif-bin          avifenc, avifdec           (AVIF, libaom)
#   libheif-examples     heif-enc, heif-convert     (HEIF with x265: our BPG stand-in)
#   libjxl-tools         cjxl, djxl                 (JPEG XL)
#   libjpeg-turbo-progs  cjpeg, djpeg               (JPEG, libjpeg-turbo)
#
# Run as root (or through sudo). Tested on Debian 12 (bookworm).
set -eu

packages="webp libopenjp2-tools libavif-bin libheif-examples libjxl-tools libjpeg-turbo-progs"

if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-baselines: apt-get not found; install these packages by hand: $packages" >&2
	exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi

$sudo apt-get update
available=""
for p in $packages; do
	if apt-cache show "$p" >/dev/null 2>&1; then
		available="$available $p"
	else
		echo "install-baselines: package $p is not available here; its codec will be skipped" >&2
	fi
done
if [ -n "$available" ]; then
	# shellcheck disable=SC2086 # the list is meant to split into words
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends $available
fi

for tool in cwebp dwebp opj_compress opj_decompress avifenc avifdec heif-enc heif-convert cjxl djxl cjpeg djpeg; do
	if command -v "$tool" >/dev/null 2>&1; then
		echo "found   $tool"
	else
		echo "missing $tool"
	fi
done
