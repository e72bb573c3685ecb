#!/usr/bin/env bash
# Fixtures for the readings of SPEC §1 that third-party files showed we got
# wrong (issue 18), made with real encoders (ffmpeg 5.1 from Debian 12) and,
# where the case is a damaged or unusual file, changed by the small Python
# steps below. Then `expected.json` records what ffprobe says of each, beside
# the verdict, rules and warnings SPEC §1 gives.
#
#   bash testdata/conformance/make.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"
for t in ffmpeg ffprobe python3; do
  command -v "$t" >/dev/null || { echo "make.sh: missing tool: $t" >&2; exit 1; }
done
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
BX=(-map_metadata -1 -fflags +bitexact -flags +bitexact)
SINE=(-f lavfi -i "sine=f=440:r=8000:d=3")

# MPEG audio: an MP3 after 2,000 zero bytes; MPEG-1 Layer II.
ff "${SINE[@]}" -c:a libmp3lame -b:a 32k "${BX[@]}" "$TMP/a.mp3"
python3 - "$TMP/a.mp3" ok_mp3_after_2000_zero_bytes_3s.mp3 <<'PY'
import sys; d = open(sys.argv[1], 'rb').read(); open(sys.argv[2], 'wb').write(b'\0' * 2000 + d)
PY
ff -f lavfi -i "sine=f=440:r=32000:d=3" -c:a mp2 -b:a 64k "${BX[@]}" err_mp2_layer2_3s.mp2

# WAV that is not PCM: IMA and MS ADPCM, GSM 6.10; and a PCM WAV whose
# block_align contradicts its sample size.
ff "${SINE[@]}" -c:a adpcm_ima_wav "${BX[@]}" ok_wav_ima_adpcm_3s.wav
ff "${SINE[@]}" -c:a adpcm_ms "${BX[@]}" ok_wav_ms_adpcm_3s.wav
ff "${SINE[@]}" -c:a libgsm_ms "${BX[@]}" ok_wav_gsm_3s.wav
ff "${SINE[@]}" -c:a pcm_s16le "${BX[@]}" "$TMP/p.wav"
python3 - "$TMP/p.wav" err_wav_block_align_200.wav <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
fmt = d.find(b'fmt ')
struct.pack_into('<H', d, fmt + 8 + 12, 200)   # block_align of 16-bit mono: 2, not 200
open(sys.argv[2], 'wb').write(d)
PY

# JPEG with stray bytes between two segments (libjpeg skips them).
ff -f lavfi -i "color=c=teal:s=640x480" -frames:v 1 "${BX[@]}" "$TMP/j.jpg"
python3 - "$TMP/j.jpg" ok_jpeg_junk_between_segments_640x480.jpg <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
assert d[2:4] == b'\xff\xe0' or d[2] == 0xff
first = 4 + struct.unpack('>H', d[4:6])[0]        # end of the first segment after SOI
open(sys.argv[2], 'wb').write(d[:first] + b'junk\xff\x00junk' + d[first:])
PY

# Non-square pixels: 720x720 at SAR 2:1 shows as 1440x720 (passes, with the
# video.sar warning); 800x600 at SAR 3:1 shows as 2400x600 (aspect 4: fails).
vid() { ff -f lavfi -i "color=c=navy:s=$2:r=24:d=3" -vf "setsar=$3" -c:v libx264 -preset ultrafast -crf 51 \
        -pix_fmt yuv420p -threads 1 "${BX[@]}" "${@:4}" "$1"; }
vid ok_mp4_sar_2to1_720x720.mp4 720x720 2/1
vid err_mp4_sar_3to1_800x600.mp4 800x600 3/1

# An encrypted track (CENC, AES-CTR): encv with sinf/frma naming avc1.
ff -f lavfi -i "color=c=olive:s=800x600:r=24:d=3" -c:v libx264 -preset ultrafast -crf 51 -pix_fmt yuv420p \
   -threads 1 "${BX[@]}" -encryption_scheme cenc-aes-ctr \
   -encryption_key 00112233445566778899aabbccddeeff -encryption_kid 00112233445566778899aabbccddeeff \
   err_mp4_encrypted_cenc_800x600.mp4

# A video whose audio track is Opus: the service takes AAC or MP3 audio only.
ff -f lavfi -i "color=c=maroon:s=800x600:r=24:d=3" -f lavfi -i "sine=f=440:r=48000:d=3" \
   -c:v libx264 -preset ultrafast -crf 51 -pix_fmt yuv420p -threads 1 -c:a libopus -b:a 12k -ac 1 \
   "${BX[@]}" err_mp4_opus_audio_800x600.mp4

# A trailing mdat that claims 1,000 bytes more than the file has: every
# sample is inside (passes with file.truncated_tail); the same cut by 100
# bytes into its last sample is corrupt.
vid "$TMP/t.mp4" 800x600 1/1 -movflags +faststart
python3 - "$TMP/t.mp4" ok_mp4_mdat_claims_1000_more.mp4 err_mp4_cut_100_bytes.mp4 <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
at = d.rfind(b'mdat') - 4
size = struct.unpack('>I', d[at:at + 4])[0]
assert at + size == len(d), 'mdat is the last box'
struct.pack_into('>I', d, at, size + 1000)
open(sys.argv[2], 'wb').write(d)
open(sys.argv[3], 'wb').write(d[:-100])
PY

# HEIF whose major brand is mif2 (not in the old list): the HEIC fixture of
# testdata/image with its ftyp rewritten to mif2 / [mif2, mif1, miaf, ...].
# The box keeps its size, so every offset in iloc stays right.
python3 - ../image/ok_heic_1280x720.heic ok_heif_major_mif2_1280x720.heic <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
size = struct.unpack('>I', d[:4])[0]
assert d[4:8] == b'ftyp' and size >= 20
n = (size - 16) // 4
brands = ([b'mif2', b'mif1', b'miaf'] + [b'mif1'] * n)[:n]
d[8:12] = b'mif2'
d[16:16 + 4 * n] = b''.join(brands)
open(sys.argv[2], 'wb').write(d)
PY

python3 "$HERE/expected.py"
echo "conformance fixtures: $(ls *.mp3 *.mp2 *.wav *.jpg *.mp4 *.heic | wc -l), $(du -sh . | cut -f1)"
