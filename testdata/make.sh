#!/usr/bin/env bash
# Regenerates every fixture under testdata/ from scratch with real encoders.
#
#   bash testdata/make.sh && bash testdata/make_expected.sh
#
# Requirements (Debian 12 package names):
#   ffmpeg (ffmpeg/ffprobe 5.1, with libx264 libx265 libvpx libsvtav1 libmp3lame libvorbis libopus)
#   imagemagick (real ImageMagick 6 `convert`; /usr/bin/convert is used explicitly)
#   libheif-examples (heif-enc, heif-info)       lame        sox        libimage-exiftool-perl
#   webp (cwebp, img2webp, webpmux)              libjxl-tools (cjxl)    mediainfo (optional)
#   (webp and libjxl-tools are not in the base image: apt-get install -y webp libjxl-tools)
#   python3 (stdlib) + PyPI `pillow-heif` (only for the HEIC with an `irot` box: the
#   heif-enc of libheif 1.15 cannot write irot and gpac/MP4Box is not in Debian 12).
#   pillow-heif is installed into a private venv at $PREFLIGHT_TESTDATA_VENV
#   (default ~/.cache/preflight-testdata-venv) on first use:  python3 -m venv ...; pip install pillow-heif==1.8.1
#
# Deterministic where the tools allow it: -bitexact flags, -map_metadata -1, fixed seeds
# (ImageMagick -seed, sox -R), PNG date chunks excluded, single-threaded encoders.
# Every fixture is tiny on purpose (solid colours / gradients / sine tones, CRF 51).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

IM=/usr/bin/convert            # the real ImageMagick (a stand-in may sit earlier in PATH)
[ -x "$IM" ] || IM="$(command -v convert)"
for t in ffmpeg ffprobe heif-enc heif-info lame sox exiftool cwebp img2webp webpmux cjxl python3; do
  command -v "$t" >/dev/null || { echo "make.sh: missing tool: $t" >&2; exit 1; }
done

VENV="${PREFLIGHT_TESTDATA_VENV:-$HOME/.cache/preflight-testdata-venv}"
if ! "$VENV/bin/python" -c 'import pillow_heif' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "pillow-heif==1.8.1"
fi
PYH="$VENV/bin/python"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

rm -rf image video audio unsupported unknown
mkdir -p image video audio unsupported unknown

# ---------------------------------------------------------------- helpers
export SVT_LOG=1   # SVT-AV1: errors only
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
BX=(-fflags +bitexact -flags:v +bitexact -flags:a +bitexact -map_metadata -1 -map_chapters -1)
X264=(-c:v libx264 -preset ultrafast -crf 51 -threads 1 -pix_fmt yuv420p)
X265=(-c:v libx265 -preset ultrafast -crf 51 -pix_fmt yuv420p -x265-params log-level=error:pools=none:frame-threads=1)
PNGDET=(-define png:exclude-chunks=date,time -strip)
exif_orient() { exiftool -q -q -overwrite_original -n -Orientation#="$1" "$2"; }

# video: color source, exact frame count.  vid OUT W H RATE FRAMES [extra ffmpeg args...]
# Odd width or height: 4:4:4 all the way (lavfi's color source is 4:2:0 and would crop to even).
vid() {
  local out=$1 w=$2 h=$3 r=$4 n=$5 pf=yuv420p; shift 5
  if (( w % 2 || h % 2 )); then pf=yuv444p; fi
  ff -f lavfi -i "color=c=0x3060a0:s=${w}x${h}:r=${r},format=${pf}" -frames:v "$n" "${X264[@]}" -pix_fmt "$pf" "$@" "${BX[@]}" "$out"
}

###########################################################################
# IMAGES
###########################################################################
jpg() { # jpg OUT W H [extra convert args]
  local out=$1 w=$2 h=$3; shift 3
  "$IM" -size "${w}x${h}" gradient:'#3060a0-#a06030' -sampling-factor 2x2 -quality 40 "$@" -strip "$out"
}
jpg image/ok_1280x720.jpg 1280 720
jpg image/ok_300x300.jpg 300 300
jpg image/err_width_299.jpg 299 400
jpg image/err_height_299.jpg 400 299
jpg image/ok_6000x2400.jpg 6000 2400
jpg image/err_width_6001.jpg 6001 2401
jpg image/ok_aspect_0.4_400x1000.jpg 400 1000
jpg image/ok_aspect_2.5_1000x400.jpg 1000 400
jpg image/err_aspect_399x1000.jpg 399 1000
jpg image/err_aspect_1001x400.jpg 1001 400
jpg image/ok_progressive_1280x720.jpg 1280 720 -interlace JPEG
# EXIF orientation: stored 1000x600, displayed 600x1000
jpg image/ok_exif_orient6_1000x600.jpg 1000 600; exif_orient 6 image/ok_exif_orient6_1000x600.jpg
jpg image/ok_exif_orient8_1000x600.jpg 1000 600; exif_orient 8 image/ok_exif_orient8_1000x600.jpg
# EXIF thumbnail (a 160x90 JPEG with its own SOF inside APP1, before the main SOF)
"$IM" -size 160x90 xc:'#a06030' -quality 50 -strip "$TMP/thumb.jpg"
jpg image/ok_exif_thumbnail_1280x720.jpg 1280 720
exiftool -q -q -overwrite_original -n -Orientation#=1 "-ThumbnailImage<=$TMP/thumb.jpg" image/ok_exif_thumbnail_1280x720.jpg

# PNG
"$IM" -size 800x600 gradient:'#3060a0-#a06030' "${PNGDET[@]}" PNG24:image/ok_png_800x600.png
"$IM" -size 640x480 gradient:'#3060a0ff-#a0603000' "${PNGDET[@]}" PNG32:image/ok_png_alpha_640x480.png
"$IM" -size 1000x600 gradient:'#3060a0-#a06030' "${PNGDET[@]}" PNG24:image/ok_png_exif_orient6_1000x600.png
exif_orient 6 image/ok_png_exif_orient6_1000x600.png        # exiftool writes an eXIf chunk
"$IM" -size 640x480 gradient:'#3060a0-#a06030' "${PNGDET[@]}" PNG24:image/ok_png_named.jpg   # PNG content, .jpg name
# GIF: still, and animated 3 frames on a 400x400 canvas (frames 2-3 are optimised sub-rectangles)
"$IM" -size 500x300 gradient:'#3060a0-#a06030' -colors 64 image/ok_gif_still_500x300.gif
"$IM" -size 400x400 xc:'#3060a0' -fill '#a06030' \
  \( -clone 0 -draw 'rectangle 150,150 249,249' \) \
  \( -clone 0 -draw 'rectangle 150,150 249,249' -fill '#30a060' -draw 'rectangle 180,180 219,219' \) \
  -set delay 50 -loop 0 -layers Optimize image/ok_gif_anim_3f_400x400.gif
# WebP: lossy (VP8), lossless (VP8L), animated (VP8X+ANIM/ANMF), EXIF orientation (VP8X+EXIF)
"$IM" -size 800x600 gradient:'#3060a0-#a06030' "${PNGDET[@]}" PNG24:"$TMP/g800.png"
"$IM" -size 640x480 gradient:'#3060a0-#a06030' "${PNGDET[@]}" PNG24:"$TMP/g640.png"
"$IM" -size 1000x600 gradient:'#3060a0-#a06030' "${PNGDET[@]}" PNG24:"$TMP/g1000.png"
cwebp -quiet -q 40 "$TMP/g800.png" -o image/ok_webp_lossy_800x600.webp
cwebp -quiet -lossless "$TMP/g640.png" -o image/ok_webp_lossless_640x480.webp
for i in 1 2 3; do
  "$IM" -size 400x400 xc:'#3060a0' -fill '#a06030' -draw "rectangle $((i*60)),100 $((i*60+99)),199" "${PNGDET[@]}" PNG24:"$TMP/f$i.png"
done
img2webp -loop 0 -d 400 -lossy -q 40 "$TMP/f1.png" "$TMP/f2.png" "$TMP/f3.png" -o image/ok_webp_anim_3f_400x400.webp >/dev/null 2>&1
cwebp -quiet -q 40 "$TMP/g1000.png" -o image/ok_webp_exif_orient6_1000x600.webp
exif_orient 6 image/ok_webp_exif_orient6_1000x600.webp
# BMP: 24-bit bottom-up (BITMAPINFOHEADER), and 8-bit palette top-down (negative biHeight)
"$IM" -size 320x300 gradient:'#3060a0-#a06030' -type TrueColor BMP3:image/ok_bmp24_320x300.bmp
"$IM" -size 320x300 gradient:'#3060a0-#a06030' -colors 200 -type Palette -compress none BMP3:"$TMP/pal.bmp"
python3 - "$TMP/pal.bmp" image/ok_bmp8_topdown_320x300.bmp <<'EOF'
# No common encoder writes top-down BMPs; flip a real bottom-up BMP into the equivalent
# top-down one: negate biHeight and reverse the row order (pixels stay identical).
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
off = struct.unpack_from('<I', d, 10)[0]
w, h = struct.unpack_from('<ii', d, 18)
bpp = struct.unpack_from('<H', d, 28)[0]
assert h > 0 and struct.unpack_from('<I', d, 30)[0] == 0, 'expect uncompressed bottom-up'
stride = ((w * bpp + 31) // 32) * 4
rows = [bytes(d[off + i * stride: off + (i + 1) * stride]) for i in range(h)]
d[off:off + h * stride] = b''.join(reversed(rows))
struct.pack_into('<i', d, 22, -h)
open(sys.argv[2], 'wb').write(d)
EOF
# TIFF: little-endian (II), big-endian (MM), Orientation 6
"$IM" -size 640x480 gradient:'#3060a0-#a06030' -strip -compress lzw -endian LSB TIFF:image/ok_tiff_le_640x480.tif
"$IM" -size 640x480 gradient:'#3060a0-#a06030' -strip -compress lzw -define tiff:endian=msb TIFF:image/ok_tiff_be_640x480.tif   # -endian MSB has no effect on IM6
"$IM" -size 1000x600 gradient:'#3060a0-#a06030' -strip -compress lzw -endian LSB TIFF:image/ok_tiff_orient6_1000x600.tif
exif_orient 6 image/ok_tiff_orient6_1000x600.tif
# HEIC / HEIF
"$IM" -size 1280x720 gradient:'#3060a0-#a06030' "${PNGDET[@]}" PNG24:"$TMP/g1280.png"
heif-enc -q 30 -o image/ok_heic_1280x720.heic "$TMP/g1280.png" >/dev/null
# HEIF major brand 'mif1' (the ".heif" flavour): libheif always writes major brand 'heic' for HEVC,
# so the 4 major-brand bytes of a real heif-enc file are changed; 'heic' stays a compatible brand.
heif-enc -q 30 -o "$TMP/m.heic" "$TMP/g1280.png" >/dev/null
python3 - "$TMP/m.heic" image/ok_heif_mif1_1280x720.heif <<'EOF'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
assert d[4:12] == b'ftypheic'
d[8:12] = b'mif1'
open(sys.argv[2], 'wb').write(d)
EOF
# EXIF orientation 6 inside a HEIC with NO irot: informational only -> displayed 1000x600
jpg "$TMP/o6.jpg" 1000 600; exif_orient 6 "$TMP/o6.jpg"
heif-enc -q 30 -o image/ok_heic_exif6_noirot_1000x600.heic "$TMP/o6.jpg" >/dev/null
# irot on the primary item (pillow-heif/libheif 1.2x turns EXIF orientation into irot/imir).
# a) irot 270 (CCW) = 90 CW AND EXIF Orientation 6 kept (the iPhone case: apply once, not twice)
"$PYH" - "$TMP/o6.jpg" image/ok_heic_irot_exif6_1000x600.heic <<'EOF'
import sys
from PIL import Image
import pillow_heif
pillow_heif.register_heif_opener()
im = Image.open(sys.argv[1])
im.save(sys.argv[2], format='HEIF', quality=30, exif=im.info['exif'])
EOF
# b) same irot, EXIF orientation then reset to 1 by exiftool -> irot is the only rotation
cp image/ok_heic_irot_exif6_1000x600.heic image/ok_heic_irot_1000x600.heic
exif_orient 1 image/ok_heic_irot_1000x600.heic
# c) two images; the primary (pitm) is the SECOND item: first ispe in the file is 200x200
"$IM" -size 200x200 xc:'#a06030' "${PNGDET[@]}" PNG24:"$TMP/s200.png"
"$PYH" - "$TMP/s200.png" "$TMP/g1280.png" image/ok_heic_primary_second_1280x720.heic <<'EOF'
import sys
from PIL import Image
import pillow_heif
a = Image.open(sys.argv[1]).convert('RGB'); b = Image.open(sys.argv[2]).convert('RGB')
hf = pillow_heif.from_pillow(a)
hf.add_from_pillow(b)
hf.save(sys.argv[3], quality=30, primary_index=1)
EOF

###########################################################################
# UNSUPPORTED image types + unknown / corrupt
###########################################################################
heif-enc -A -q 30 -o unsupported/err_avif_640x480.avif "$TMP/g640.png" >/dev/null
"$IM" -size 256x256 gradient:'#3060a0-#a06030' -strip ICO:unsupported/err_ico_256x256.ico
"$IM" -size 400x300 gradient:'#3060a0-#a06030' -depth 8 -compress RLE -strip PSD:unsupported/err_psd_400x300.psd
"$IM" -size 400x300 xc:'#3060a0' -depth 8 -compress RLE -strip TGA:unsupported/err_tga_400x300.tga
cjxl --quiet -d 2 "$TMP/g640.png" unsupported/err_jxl_640x480.jxl 2>/dev/null || cjxl -d 2 "$TMP/g640.png" unsupported/err_jxl_640x480.jxl >/dev/null 2>&1
printf 'These are notes, not media.\nLine two.\n' > unknown/err_notes.txt
: > unknown/err_empty.bin
# a PNG cut off inside its IHDR chunk (signature + 12 bytes)
head -c 20 image/ok_png_800x600.png > image/err_corrupt_truncated_ihdr.png

###########################################################################
# VIDEOS (640x640 @30 fps unless the fixture is about something else)
###########################################################################
vid video/ok_1280x720_30fps_5s.mp4 1280 720 30 150 -movflags +faststart
vid video/ok_1280x720_30fps_5s_moov_end.mp4 1280 720 30 150
# MOV (ftyp 'qt  '): H.264 with B-frames (ctts + edit list) + AAC (priming edit list)
ff -f lavfi -i "color=c=0x3060a0:s=1280x720:r=30:d=5" -f lavfi -i "sine=f=440:r=48000:d=5" \
   -c:v libx264 -preset veryfast -bf 2 -crf 51 -threads 1 -pix_fmt yuv420p \
   -c:a aac -b:a 32k -ac 1 "${BX[@]}" -f mov video/ok_mov_h264_aac_1280x720_5s.mov
# HEVC, sample entry hvc1 and hev1
ff -f lavfi -i "color=c=0x3060a0:s=1280x720:r=30" -frames:v 150 "${X265[@]}" -tag:v hvc1 "${BX[@]}" video/ok_hevc_hvc1_1280x720_5s.mp4
ff -f lavfi -i "color=c=0x3060a0:s=1280x720:r=30" -frames:v 150 "${X265[@]}" -tag:v hev1 "${BX[@]}" video/ok_hevc_hev1_1280x720_5s.mp4
# Rotation matrix in tkhd. NB ffmpeg 5.1 with -c copy stores rotate=R as R degrees
# COUNTER-clockwise: rotate=270 gives the usual portrait-phone matrix (0,1,-1,0) = 90 CW.
ff -i video/ok_1280x720_30fps_5s.mp4 -c copy -metadata:s:v rotate=270 "${BX[@]}" video/ok_rot90cw_1280x720_5s.mp4
ff -i video/ok_1280x720_30fps_5s.mp4 -c copy -metadata:s:v rotate=90 "${BX[@]}" video/ok_rot270cw_1280x720_5s.mp4
ff -i video/ok_1280x720_30fps_5s.mp4 -c copy -metadata:s:v rotate=180 "${BX[@]}" video/ok_rot180_1280x720_5s.mp4
# VFR: constant-rate segments (each its own x264 encode, timescale 3600) joined by the concat
# demuxer with -c copy, so every stts delta is exact (ffmpeg's concat *filter* gives the last
# sample an arbitrary duration). Only the first segment's SPS/PPS reach the avcC; the others
# differ only in their VUI timing, which decoders ignore.
vfr() { # vfr OUT "rate:seconds ..."
  local out=$1 segs=$2 k=0 s r d
  : > "$TMP/vfr.txt"
  for s in $segs; do
    r=${s%%:*}; d=${s##*:}
    ff -f lavfi -i "color=c=0x3060a0:s=640x640:r=${r}" -frames:v $((r * d)) "${X264[@]}" \
       -video_track_timescale 3600 "${BX[@]}" "$TMP/vfr$k.mp4"
    echo "file '$TMP/vfr$k.mp4'" >> "$TMP/vfr.txt"; k=$((k+1))
  done
  ff -f concat -safe 0 -i "$TMP/vfr.txt" -c copy -video_track_timescale 3600 "${BX[@]}" "$out"
}
vfr video/ok_vfr_24_30_50fps_6s.mp4 "24:1 30:2 50:2 24:1"
vfr video/ok_vfr_15_to_90fps_avg45.mp4 "15:1 30:2 90:2 15:1"
vfr video/err_vfr_avg18.75fps.mp4 "15:2 30:1 15:1"
# fragmented MP4 (empty moov, samples in moof/trun)
ff -i video/ok_1280x720_30fps_5s.mp4 -c copy -movflags frag_keyframe+empty_moov "${BX[@]}" video/ok_fragmented_1280x720_5s.mp4
# edit lists made by `-ss` before the input with -c copy: the track starts at the previous
# keyframe and an elst skips the lead-in.
#  a) media 16.4 s (492 samples, mdhd), presented 14.5 s: duration after edit list passes
vid "$TMP/src20.mp4" 640 640 30 600 -g 60 -keyint_min 60 -sc_threshold 0
ff -ss 3.9 -i "$TMP/src20.mp4" -t 14.5 -c copy "${BX[@]}" video/ok_editlist_media16.4s_shown14.5s.mp4
#  b) media 7.5 s (225 samples), presented 3.0 s: fps is 30 (samples / media duration),
#     not 75 (samples / presented duration)
vid "$TMP/src8.mp4" 640 640 30 240 -g 150 -keyint_min 150 -sc_threshold 0
ff -ss 4.5 -i "$TMP/src8.mp4" -t 3 -c copy "${BX[@]}" video/ok_editlist_fps30_shown3s.mp4
# duration bounds
vid video/ok_duration_2.0s.mp4 640 640 30 60
vid video/err_duration_1.9s.mp4 640 640 30 57
vid video/ok_duration_15.0s.mp4 640 640 30 450
vid video/err_duration_15.2s.mp4 640 640 30 456
# video 1.8 s + audio 2.5 s: movie duration is the longest track -> 2.5 s passes
ff -f lavfi -i "color=c=0x3060a0:s=640x640:r=30:d=1.8" -f lavfi -i "sine=f=440:r=48000:d=2.5" \
   "${X264[@]}" -c:a aac -b:a 32k -ac 1 "${BX[@]}" video/ok_video1.8s_audio2.5s.mp4
# fps bounds
vid video/ok_fps_24.mp4 640 640 24 72
vid video/ok_fps_60.mp4 640 640 60 180
vid video/err_fps_23.976.mp4 640 640 24000/1001 72
vid video/err_fps_120.mp4 640 640 120 360
# pixel-count bounds (odd width -> 4:4:4, which H.264 High 4:4:4 allows)
vid video/ok_pixels_640x640.mp4 640 640 30 90
vid video/ok_pixels_834x1112.mp4 834 1112 30 90
vid video/err_pixels_639x640.mp4 639 640 30 90
vid video/err_pixels_840x1120.mp4 840 1120 30 90
# aspect bounds (pixel count inside)
vid video/ok_aspect_0.4_480x1200.mp4 480 1200 30 90
vid video/ok_aspect_2.5_1200x480.mp4 1200 480 30 90
vid video/err_aspect_478x1200.mp4 478 1200 30 90
vid video/err_aspect_1202x480.mp4 1202 480 30 90
# width/height bounds: unreachable alone under seedance2 (see README) -- 300 is inside
# (only aspect fails), 299 is outside (width and aspect fail)
vid video/err_aspect_300x1366.mp4 300 1366 30 90
vid video/err_aspect_1366x300.mp4 1366 300 30 90
vid video/err_width_299x1370.mp4 299 1370 30 90
vid video/err_height_1370x299.mp4 1370 299 30 90
# other codecs in MP4: pass with the video.codec warning
ff -f lavfi -i "color=c=0x3060a0:s=640x640:r=30" -frames:v 90 -c:v libvpx-vp9 -b:v 50k -deadline realtime -cpu-used 8 -threads 1 -pix_fmt yuv420p "${BX[@]}" video/ok_codec_vp9_640x640.mp4
ff -f lavfi -i "color=c=0x3060a0:s=640x640:r=30" -frames:v 90 -c:v mpeg4 -q:v 31 -g 300 -pix_fmt yuv420p "${BX[@]}" video/ok_codec_mpeg4_640x640.mp4
ff -f lavfi -i "color=c=0x3060a0:s=640x640:r=30" -frames:v 90 -c:v libsvtav1 -preset 12 -crf 63 -pix_fmt yuv420p "${BX[@]}" video/ok_codec_av1_640x640.mp4
# MP4 with only an audio track (major brand isom, not M4A)
ff -f lavfi -i "sine=f=440:r=48000:d=3" -c:a aac -b:a 32k -ac 1 "${BX[@]}" -f mp4 video/err_no_video_track.mp4
# interrupted recording: ftyp + mdat, no moov
python3 - video/ok_1280x720_30fps_5s_moov_end.mp4 video/err_corrupt_no_moov.mp4 <<'EOF'
import sys
d = open(sys.argv[1], 'rb').read()
i = d.rfind(b'moov') - 4
assert i > 0 and d[i+4:i+8] == b'moov'
open(sys.argv[2], 'wb').write(d[:i])
EOF
# unsupported containers
ff -f lavfi -i "color=c=0x3060a0:s=1280x720:r=30" -frames:v 90 "${X264[@]}" "${BX[@]}" unsupported/err_mkv_h264.mkv
ff -f lavfi -i "color=c=0x3060a0:s=1280x720:r=30" -frames:v 90 -c:v libvpx-vp9 -b:v 50k -deadline realtime -cpu-used 8 -threads 1 -pix_fmt yuv420p "${BX[@]}" unsupported/err_webm_vp9.webm
ff -f lavfi -i "color=c=0x3060a0:s=640x360:r=30" -frames:v 90 -c:v mpeg4 -q:v 31 -g 300 "${BX[@]}" unsupported/err_avi_mpeg4.avi

###########################################################################
# AUDIO
###########################################################################
S=(sox -R -V1)
# MP3: lame. 48 kHz MPEG-1 frames are 1152 samples = 24 ms exactly.
"${S[@]}" -r 44100 -c 2 -n -r 44100 -c 2 -b 16 "$TMP/st5.wav" synth 5 sine 440 sine 660
lame --quiet -b 128 "$TMP/st5.wav" audio/ok_mp3_cbr128_stereo_5s.mp3
# varied content so that VBR frame sizes really vary
"${S[@]}" -r 48000 -c 1 -n -r 48000 -c 1 -b 16 "$TMP/v5.wav" synth 2 sine 440 vol 0.3 : synth 3 whitenoise vol 0.3
lame --quiet -V 4 "$TMP/v5.wav" audio/ok_mp3_vbr_xing_5s.mp3
# VBR without Xing/Info (-t): quiet start then noise -> bitrate estimators read ~15.5 s for 10.03 s
"${S[@]}" -r 48000 -c 1 -n -r 48000 -c 1 -b 16 "$TMP/q1.wav" synth 1 sine 440 vol 0.01 : synth 9 whitenoise vol 0.5
lame --quiet -V 4 -t "$TMP/q1.wav" audio/ok_mp3_vbr_noxing_10s.mp3
# VBR without Xing: noisy start then quiet -> estimators read ~7.9 s for 16.03 s
"${S[@]}" -r 48000 -c 1 -n -r 48000 -c 1 -b 16 "$TMP/q2.wav" synth 1 whitenoise vol 0.5 : synth 15 sine 440 vol 0.01
lame --quiet -V 4 -t "$TMP/q2.wav" audio/err_mp3_vbr_noxing_16s.mp3
# MPEG-2 Layer III (22.05 kHz: 576 samples per frame), no Xing
"${S[@]}" -r 22050 -c 1 -n -r 22050 -c 1 -b 16 "$TMP/m2.wav" synth 5 sine 440
lame --quiet -b 32 -t "$TMP/m2.wav" audio/ok_mp3_mpeg2_22khz_noxing_5s.mp3
# ID3v2.3 tag with a ~300 KB noisy JPEG cover (APIC) + ID3v1 tag
"$IM" -seed 42 -size 600x600 xc:gray +noise Random -quality 92 -strip "$TMP/cover.jpg"
"${S[@]}" -r 48000 -c 1 -n -r 48000 -c 1 -b 16 "$TMP/c5.wav" synth 5 sine 440
lame --quiet -b 64 -t "$TMP/c5.wav" "$TMP/c5.mp3"
ff -i "$TMP/c5.mp3" -i "$TMP/cover.jpg" -map 0:a -map 1 -c copy -id3v2_version 3 -write_id3v1 1 -write_xing 0 \
   -metadata title="preflight cover test" -metadata artist="preflight" -metadata:s:v title="Album cover" \
   -metadata:s:v comment="Cover (front)" -fflags +bitexact audio/ok_mp3_id3v2_cover_id3v1_5s.mp3
# duration bounds: CBR 64 kbps mono 48 kHz with LAME Info tag. Source sample counts chosen so the
# MPEG frame count lands on the intended side: 96000 -> 85 frames (2.040 s); 91200 -> 81 (1.944 s);
# 718848 -> 625 (15.000 s); 729600 -> 635 (15.240 s).
mp3dur() { "${S[@]}" -r 48000 -c 1 -n -r 48000 -c 1 -b 16 "$TMP/d.wav" synth "$2"s sine 440; lame --quiet -b 64 -m m "$TMP/d.wav" "$1"; }
mp3dur audio/ok_mp3_2.0s.mp3 96000
mp3dur audio/err_mp3_1.9s.mp3 91200
mp3dur audio/ok_mp3_15.0s.mp3 718848
mp3dur audio/err_mp3_15.2s.mp3 729600

# WAV
"${S[@]}" -r 8000 -c 1 -n -r 8000 -c 1 -b 16 -e signed-integer -t wavpcm audio/ok_wav_pcm16_8k_mono_3s.wav synth 3 sine 440
"${S[@]}" -r 8000 -c 1 -n -r 8000 -c 1 -b 24 -e signed-integer -t wavpcm audio/ok_wav_pcm24_8k_mono_3s.wav synth 3 sine 440
"${S[@]}" -r 8000 -c 1 -n -r 8000 -c 1 -b 32 -e floating-point -t wavpcm audio/ok_wav_float32_8k_mono_3s.wav synth 3 sine 440
# ffmpeg writes WAVE_FORMAT_EXTENSIBLE (0xFFFE) for >16-bit samples
ff -f lavfi -i "sine=f=440:r=8000:d=3" -c:a pcm_s24le "${BX[@]}" audio/ok_wav_extensible_pcm24_3s.wav
ff -f lavfi -i "sine=f=440:r=8000:d=3" -c:a pcm_s16le -rf64 always "${BX[@]}" audio/ok_wav_rf64_3s.wav
# LIST/INFO chunk (odd length, padded) between fmt and data
ff -f lavfi -i "sine=f=440:r=8000:d=3" -c:a pcm_s16le -map_metadata -1 -fflags +bitexact -flags:a +bitexact \
   -metadata title="odd!" audio/ok_wav_list_chunk_3s.wav
# duration bounds: 8 kHz mono unsigned 8-bit, exact sample counts
wavdur() { "${S[@]}" -r 8000 -c 1 -n -r 8000 -c 1 -b 8 -e unsigned-integer -t wavpcm "$1" synth "$2"s sine 440; }
wavdur audio/ok_wav_2.0s.wav 16000
wavdur audio/err_wav_1.9s.wav 15200
wavdur audio/ok_wav_15.0s.wav 120000
wavdur audio/err_wav_15.2s.wav 121600

# unsupported audio
"${S[@]}" -r 8000 -c 1 -n -r 8000 -c 1 -b 16 "$TMP/a3.wav" synth 3 sine 440
ff -i "$TMP/a3.wav" -c:a flac "${BX[@]}" unsupported/err_flac_3s.flac
ff -i "$TMP/a3.wav" -c:a libvorbis -q:a 0 "${BX[@]}" unsupported/err_ogg_vorbis_3s.ogg
ff -i "$TMP/a3.wav" -c:a libopus -b:a 16k "${BX[@]}" unsupported/err_opus_3s.opus
ff -i "$TMP/a3.wav" -c:a aac -b:a 24k "${BX[@]}" -f ipod unsupported/err_m4a_aac_3s.m4a
ff -i "$TMP/a3.wav" -c:a aac -b:a 24k "${BX[@]}" -f adts unsupported/err_aac_adts_3s.aac
"${S[@]}" "$TMP/a3.wav" unsupported/err_aiff_3s.aiff

###########################################################################
# quick self-check with ffprobe (every fixture ffprobe can read must open)
###########################################################################
fail=0
for f in video/*.mp4 video/*.mov audio/* unsupported/*.{mkv,webm,avi,flac,ogg,opus,m4a,aac}; do
  case "$f" in video/err_corrupt_no_moov.mp4) continue;; esac
  ffprobe -v error -show_entries format=duration -of csv=p=0 "$f" >/dev/null 2>&1 || { echo "ffprobe cannot read $f" >&2; fail=1; }
done
[ $fail = 0 ]
echo "make.sh: $(find image video audio unsupported unknown -type f | wc -l) fixtures, $(du -sh . | cut -f1) total"
