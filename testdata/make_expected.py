#!/usr/bin/env python3
"""Writes testdata/expected.json: one object per fixture, sorted by path.

Truth comes from small stdlib parsers in this file (MP4/MOV boxes, HEIF boxes, MPEG audio
frame walk, RIFF/RF64, GIF blocks, WebP chunks); ffprobe, exiftool, heif-info and webpmux are
run on every fixture and cross-checked. Where a tool disagrees with the truth, the truth goes
in the main field and the tool's figure beside it (`ffprobe_duration_s`, `exiftool_width`, ...)
with a `note`.

The expected verdict is computed from the truth with the seedance2 limits of SPEC section 1
(an independent reference reading) and must match the hand-written table FIXTURES below and
the file name prefix (ok_ -> pass, err_ -> fail); any mismatch aborts.

Conventions (see README.md):
  width/height  displayed size (after EXIF orientation 5-8, HEIF irot of the primary item,
                tkhd matrix of the video track)
  rotation      clockwise degrees the stored picture is turned for display, 0/90/180/270;
                from the tkhd matrix (video), irot (HEIF: 90 CW == irot 270 CCW) and EXIF
                orientation (3 -> 180, 6 -> 90, 8 -> 270). ffprobe's own signed CCW figure is in
                ffprobe_rotation.
  fps           samples / media duration of the video track (mdhd or sum of stts/trun deltas),
                NOT ffprobe's r_frame_rate and NOT samples / presented (edit-listed) duration.
  duration_s    video: longest track after edit lists; audio: exact (MP3: MPEG frames x
                samples-per-frame / rate; WAV: data bytes / block align / rate).
  frames        video sample count; GIF/WebP frame count (1 for a still GIF/WebP); else null.
"""
import json
import os
import re
import struct
import subprocess
import sys
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))

# --------------------------------------------------------------------------- fixture table
# path: (kind, format, expect_rules, expect_warnings, note)
P, F = [], []
FIXTURES = {
    # images
    'image/ok_1280x720.jpg': ('image', 'jpeg', P, P, 'baseline JPEG 4:2:0'),
    'image/ok_300x300.jpg': ('image', 'jpeg', P, P, 'width and height exactly at the lower bound 300'),
    'image/err_width_299.jpg': ('image', 'jpeg', ['image.width'], P, '299x400: width 1 px under'),
    'image/err_height_299.jpg': ('image', 'jpeg', ['image.height'], P, '400x299: height 1 px under'),
    'image/ok_6000x2400.jpg': ('image', 'jpeg', P, P, 'width exactly at the upper bound 6000, aspect 2.5'),
    'image/err_width_6001.jpg': ('image', 'jpeg', ['image.width'], P, '6001x2401: width 1 px over, aspect 2.4994 inside'),
    'image/ok_aspect_0.4_400x1000.jpg': ('image', 'jpeg', P, P, 'aspect exactly 0.4'),
    'image/ok_aspect_2.5_1000x400.jpg': ('image', 'jpeg', P, P, 'aspect exactly 2.5'),
    'image/err_aspect_399x1000.jpg': ('image', 'jpeg', ['image.aspect'], P, 'aspect 0.399'),
    'image/err_aspect_1001x400.jpg': ('image', 'jpeg', ['image.aspect'], P, 'aspect 2.5025'),
    'image/ok_progressive_1280x720.jpg': ('image', 'jpeg', P, P, 'progressive JPEG: size is in SOF2, not SOF0'),
    'image/ok_exif_orient6_1000x600.jpg': ('image', 'jpeg', P, P, 'stored 1000x600, EXIF Orientation 6 -> displayed 600x1000'),
    'image/ok_exif_orient8_1000x600.jpg': ('image', 'jpeg', P, P, 'stored 1000x600, EXIF Orientation 8 -> displayed 600x1000'),
    'image/ok_exif_thumbnail_1280x720.jpg': ('image', 'jpeg', P, P, 'APP1 carries a 160x90 JPEG thumbnail with its own SOF before the main SOF; a scanner that takes the first SOF marker reads 160x90 and fails it'),
    'image/ok_png_800x600.png': ('image', 'png', P, P, 'RGB PNG'),
    'image/ok_png_alpha_640x480.png': ('image', 'png', P, P, 'RGBA PNG'),
    'image/ok_png_exif_orient6_1000x600.png': ('image', 'png', P, P, 'eXIf chunk with Orientation 6 -> displayed 600x1000'),
    'image/ok_png_named.jpg': ('image', 'png', P, ['file.extension_mismatch'], 'PNG content behind a .jpg name: judged by content'),
    'image/ok_gif_still_500x300.gif': ('image', 'gif', P, P, 'single-frame GIF'),
    'image/ok_gif_anim_3f_400x400.gif': ('image', 'gif', P, P, 'animated GIF, 3 frames; canvas 400x400, frames 2 and 3 are 100x100 and 40x40 sub-rectangles: judge the canvas'),
    'image/ok_webp_lossy_800x600.webp': ('image', 'webp', P, P, 'simple-format lossy WebP (VP8 chunk)'),
    'image/ok_webp_lossless_640x480.webp': ('image', 'webp', P, P, 'lossless WebP (VP8L chunk)'),
    'image/ok_webp_anim_3f_400x400.webp': ('image', 'webp', P, P, 'animated WebP (VP8X+ANIM+ANMF), 3 frames, canvas 400x400, frames 2-3 are 160x100'),
    'image/ok_webp_exif_orient6_1000x600.webp': ('image', 'webp', P, P, 'VP8X WebP with EXIF chunk, Orientation 6 -> displayed 600x1000'),
    'image/ok_bmp24_320x300.bmp': ('image', 'bmp', P, P, '24-bit BMP, BITMAPINFOHEADER, bottom-up'),
    'image/ok_bmp8_topdown_320x300.bmp': ('image', 'bmp', P, P, '8-bit palette BMP, top-down: biHeight = -300 (row order reversed from an ImageMagick bottom-up BMP by make.sh)'),
    'image/ok_tiff_le_640x480.tif': ('image', 'tiff', P, P, 'little-endian TIFF (II*), LZW'),
    'image/ok_tiff_be_640x480.tif': ('image', 'tiff', P, P, 'big-endian TIFF (MM*), LZW'),
    'image/ok_tiff_orient6_1000x600.tif': ('image', 'tiff', P, P, 'TIFF Orientation 6 -> displayed 600x1000'),
    'image/ok_heic_1280x720.heic': ('image', 'heic', P, P, 'heif-enc (x265), brand heic'),
    'image/ok_heif_mif1_1280x720.heif': ('image', 'heif', P, P, 'major brand mif1 (compatible mif1, heic, miaf): a HEIF, not HEIC, by brand'),
    'image/ok_heic_exif6_noirot_1000x600.heic': ('image', 'heic', P, P, 'EXIF Orientation 6 but no irot: EXIF in HEIF is informational -> displayed 1000x600'),
    'image/ok_heic_irot_exif6_1000x600.heic': ('image', 'heic', P, P, 'irot 270 (CCW) on the primary AND EXIF Orientation 6: apply once -> 600x1000 (applying both gives 1000x600 upside down)'),
    'image/ok_heic_irot_1000x600.heic': ('image', 'heic', P, P, 'irot 270 (CCW) on the primary, EXIF Orientation 1 -> 600x1000'),
    'image/ok_heic_primary_second_1280x720.heic': ('image', 'heic', P, P, 'two items: item 1 is 200x200 (first ispe in the file), pitm names item 2 (1280x720); reading the first ispe fails it'),
    'image/err_corrupt_truncated_ihdr.png': ('image', 'png', ['file.corrupt'], P, 'PNG signature + 12 bytes: IHDR cut off'),
    # unsupported / unknown
    'unsupported/err_avif_640x480.avif': ('image', 'avif', ['file.unsupported_type'], P, 'AVIF (heif-enc -A, aom)'),
    'unsupported/err_ico_256x256.ico': ('image', 'ico', ['file.unsupported_type'], P, 'ICO with a PNG inside'),
    'unsupported/err_psd_400x300.psd': ('image', 'psd', ['file.unsupported_type'], P, 'PSD 8-bit RLE (ffmpeg 5.1 psd decoder complains about the RLE data; ImageMagick and exiftool read it)'),
    'unsupported/err_tga_400x300.tga': ('image', 'tga', ['file.unsupported_type'], P, 'TGA, RLE. TGA has no magic number: a detector may call it unknown_type instead'),
    'unsupported/err_jxl_640x480.jxl': ('image', 'jxl', ['file.unsupported_type'], P, 'JPEG XL codestream (FF 0A), cjxl'),
    'unsupported/err_mkv_h264.mkv': ('video', 'mkv', ['file.unsupported_type'], P, 'Matroska, H.264'),
    'unsupported/err_webm_vp9.webm': ('video', 'webm', ['file.unsupported_type'], P, 'WebM, VP9'),
    'unsupported/err_avi_mpeg4.avi': ('video', 'avi', ['file.unsupported_type'], P, 'AVI, MPEG-4 Part 2'),
    'unsupported/err_flac_3s.flac': ('audio', 'flac', ['file.unsupported_type'], P, 'FLAC'),
    'unsupported/err_ogg_vorbis_3s.ogg': ('audio', 'ogg', ['file.unsupported_type'], P, 'Ogg Vorbis'),
    'unsupported/err_opus_3s.opus': ('audio', 'ogg', ['file.unsupported_type'], P, 'Ogg Opus'),
    'unsupported/err_m4a_aac_3s.m4a': ('audio', 'm4a', ['file.unsupported_type'], P, 'AAC in MP4, major brand M4A'),
    'unsupported/err_aac_adts_3s.aac': ('audio', 'aac', ['file.unsupported_type'], P, 'raw ADTS AAC'),
    'unsupported/err_aiff_3s.aiff': ('audio', 'aiff', ['file.unsupported_type'], P, 'AIFF (big-endian PCM)'),
    'unknown/err_notes.txt': ('unknown', None, ['file.unknown_type'], P, 'plain text'),
    'unknown/err_empty.bin': ('unknown', None, ['file.empty'], P, 'zero bytes'),
    # videos
    'video/ok_1280x720_30fps_5s.mp4': ('video', 'mp4', P, P, 'H.264, faststart (moov before mdat)'),
    'video/ok_1280x720_30fps_5s_moov_end.mp4': ('video', 'mp4', P, P, 'H.264, moov after mdat'),
    'video/ok_mov_h264_aac_1280x720_5s.mov': ('video', 'mov', P, P, "QuickTime (ftyp 'qt  '), H.264 with B-frames (ctts + edit list), AAC mono (priming edit list)"),
    'video/ok_hevc_hvc1_1280x720_5s.mp4': ('video', 'mp4', P, P, 'HEVC, sample entry hvc1'),
    'video/ok_hevc_hev1_1280x720_5s.mp4': ('video', 'mp4', P, P, 'HEVC, sample entry hev1'),
    'video/ok_rot90cw_1280x720_5s.mp4': ('video', 'mp4', P, P, 'track 1280x720, tkhd matrix (0,1,-1,0) = 90 deg clockwise (portrait phone) -> 720x1280'),
    'video/ok_rot270cw_1280x720_5s.mp4': ('video', 'mp4', P, P, 'track 1280x720, tkhd matrix (0,-1,1,0) = 270 deg clockwise -> 720x1280'),
    'video/ok_rot180_1280x720_5s.mp4': ('video', 'mp4', P, P, 'tkhd matrix (-1,0,0,-1): no swap'),
    'video/ok_vfr_24_30_50fps_6s.mp4': ('video', 'mp4', P, P, 'VFR: 1 s at 24, 2 s at 30, 2 s at 50, 1 s at 24 fps (stts deltas 150/120/72 @ 3600): 208 frames / 6 s = 34.667'),
    'video/ok_vfr_15_to_90fps_avg45.mp4': ('video', 'mp4', P, P, 'VFR 1 s at 15, 2 s at 30, 2 s at 90, 1 s at 15 fps: min and max outside 24-60 but the average (270 / 6 s = 45) is inside -> pass'),
    'video/err_vfr_avg18.75fps.mp4': ('video', 'mp4', ['video.fps'], P, 'VFR 2 s at 15, 1 s at 30, 1 s at 15 fps: average 75 / 4 s = 18.75'),
    'video/ok_fragmented_1280x720_5s.mp4': ('video', 'mp4', P, P, 'fragmented (empty moov, moof/trun): sample count and durations only in the fragments'),
    'video/ok_editlist_media16.4s_shown14.5s.mp4': ('video', 'mp4', P, P, 'edit list: mdhd 16.4 s (492 samples) but elst presents 14.5 s -> duration 14.5 passes'),
    'video/ok_editlist_fps30_shown3s.mp4': ('video', 'mp4', P, P, 'edit list: 225 samples over 7.5 s of media, 3.0 s presented -> fps 30 (225/7.5), not 75 (225/3.0)'),
    'video/ok_duration_2.0s.mp4': ('video', 'mp4', P, P, '60 frames at 30 fps'),
    'video/err_duration_1.9s.mp4': ('video', 'mp4', ['video.duration'], P, '57 frames at 30 fps'),
    'video/ok_duration_15.0s.mp4': ('video', 'mp4', P, P, '450 frames at 30 fps'),
    'video/err_duration_15.2s.mp4': ('video', 'mp4', ['video.duration'], P, '456 frames at 30 fps'),
    'video/ok_video1.8s_audio2.5s.mp4': ('video', 'mp4', P, P, 'video track 1.8 s, AAC track 2.5 s: the movie duration is the longest track (2.5 s) -> passes; a reader of the video track alone fails it'),
    'video/ok_fps_24.mp4': ('video', 'mp4', P, P, '24 fps exactly'),
    'video/ok_fps_60.mp4': ('video', 'mp4', P, P, '60 fps exactly'),
    'video/err_fps_23.976.mp4': ('video', 'mp4', ['video.fps'], P, '24000/1001 fps'),
    'video/err_fps_120.mp4': ('video', 'mp4', ['video.fps'], P, '120 fps'),
    'video/ok_pixels_640x640.mp4': ('video', 'mp4', P, P, '409,600 px: lower bound'),
    'video/ok_pixels_834x1112.mp4': ('video', 'mp4', P, P, '927,408 px: upper bound'),
    'video/err_pixels_639x640.mp4': ('video', 'mp4', ['video.pixels'], P, '408,960 px (H.264 4:4:4 for the odd width)'),
    'video/err_pixels_840x1120.mp4': ('video', 'mp4', ['video.pixels'], P, '940,800 px'),
    'video/ok_aspect_0.4_480x1200.mp4': ('video', 'mp4', P, P, 'aspect exactly 0.4'),
    'video/ok_aspect_2.5_1200x480.mp4': ('video', 'mp4', P, P, 'aspect exactly 2.5'),
    'video/err_aspect_478x1200.mp4': ('video', 'mp4', ['video.aspect'], P, 'aspect 0.398'),
    'video/err_aspect_1202x480.mp4': ('video', 'mp4', ['video.aspect'], P, 'aspect 2.504'),
    'video/err_aspect_300x1366.mp4': ('video', 'mp4', ['video.aspect'], P, 'width exactly 300 (inside the width bound), only the aspect fails'),
    'video/err_aspect_1366x300.mp4': ('video', 'mp4', ['video.aspect'], P, 'height exactly 300 (inside the height bound), only the aspect fails'),
    'video/err_width_299x1370.mp4': ('video', 'mp4', ['video.aspect', 'video.width'], P, 'width 299: under seedance2 a width under 300 always breaks the aspect too'),
    'video/err_height_1370x299.mp4': ('video', 'mp4', ['video.aspect', 'video.height'], P, 'height 299: always breaks the aspect too'),
    'video/ok_codec_vp9_640x640.mp4': ('video', 'mp4', P, ['video.codec'], 'VP9 in MP4 (vp09)'),
    'video/ok_codec_mpeg4_640x640.mp4': ('video', 'mp4', P, ['video.codec'], 'MPEG-4 Part 2 in MP4 (mp4v)'),
    'video/ok_codec_av1_640x640.mp4': ('video', 'mp4', P, ['video.codec'], 'AV1 in MP4 (av01)'),
    'video/err_no_video_track.mp4': ('video', 'mp4', ['video.no_video_track'], P, 'MP4 (major brand isom) with one AAC track and no video track'),
    'video/err_corrupt_no_moov.mp4': ('video', 'mp4', ['file.corrupt'], P, 'ftyp + mdat, moov missing (interrupted recording)'),
    # audio
    'audio/ok_mp3_cbr128_stereo_5s.mp3': ('audio', 'mp3', P, P, 'lame CBR 128 kbps 44.1 kHz stereo, LAME Info tag'),
    'audio/ok_mp3_vbr_xing_5s.mp3': ('audio', 'mp3', P, P, 'lame -V 4, Xing + LAME tag (frame count in the header)'),
    'audio/ok_mp3_vbr_noxing_10s.mp3': ('audio', 'mp3', P, P, 'lame -V 4 -t: VBR, no Xing/VBRI. Quiet first second: bitrate estimators read ~15.5 s (fail) for a true 10.03 s'),
    'audio/err_mp3_vbr_noxing_16s.mp3': ('audio', 'mp3', ['audio.duration'], P, 'lame -V 4 -t: VBR, no Xing/VBRI. Noisy first second: estimators read ~7.9 s (pass) for a true 16.03 s'),
    'audio/ok_mp3_mpeg2_22khz_noxing_5s.mp3': ('audio', 'mp3', P, P, 'MPEG-2 Layer III, 22.05 kHz: 576 samples per frame (not 1152), no Xing'),
    'audio/ok_mp3_id3v2_cover_id3v1_5s.mp3': ('audio', 'mp3', P, P, 'ID3v2.3 tag (~266 KB) with a noisy JPEG APIC cover (first MPEG frame far from offset 0) + ID3v1 tag at the end; CBR 64k, no Xing. ffprobe lists the cover as a second stream (mjpeg, attached_pic): still audio, not video'),
    'audio/ok_mp3_2.0s.mp3': ('audio', 'mp3', P, P, 'source 2.000 s -> 85 frames = 2.040 s'),
    'audio/err_mp3_1.9s.mp3': ('audio', 'mp3', ['audio.duration'], P, 'source 1.900 s -> 81 frames = 1.944 s'),
    'audio/ok_mp3_15.0s.mp3': ('audio', 'mp3', P, P, '625 frames x 1152 / 48000 = 15.000 s exactly (gapless 14.976 s)'),
    'audio/err_mp3_15.2s.mp3': ('audio', 'mp3', ['audio.duration'], P, 'source 15.200 s -> 635 frames = 15.240 s'),
    'audio/ok_wav_pcm16_8k_mono_3s.wav': ('audio', 'wav', P, P, 'WAVE_FORMAT_PCM (1), 16-bit'),
    'audio/ok_wav_pcm24_8k_mono_3s.wav': ('audio', 'wav', P, P, 'WAVE_FORMAT_PCM (1), 24-bit (sox -t wavpcm)'),
    'audio/ok_wav_float32_8k_mono_3s.wav': ('audio', 'wav', P, P, 'WAVE_FORMAT_IEEE_FLOAT (3), 32-bit, fmt size 18 + fact chunk'),
    'audio/ok_wav_extensible_pcm24_3s.wav': ('audio', 'wav', P, P, 'WAVE_FORMAT_EXTENSIBLE (0xFFFE), fmt size 40, 24-bit PCM'),
    'audio/ok_wav_rf64_3s.wav': ('audio', 'wav', P, P, 'RF64: RIFF/data sizes are 0xFFFFFFFF, real sizes in ds64'),
    'audio/ok_wav_list_chunk_3s.wav': ('audio', 'wav', P, P, 'LIST/INFO chunk between fmt and data (INAM of odd length, padded): data is not at offset 36'),
    'audio/ok_wav_2.0s.wav': ('audio', 'wav', P, P, '16000 samples @ 8 kHz, u8'),
    'audio/err_wav_1.9s.wav': ('audio', 'wav', ['audio.duration'], P, '15200 samples @ 8 kHz, u8'),
    'audio/ok_wav_15.0s.wav': ('audio', 'wav', P, P, '120000 samples @ 8 kHz, u8'),
    'audio/err_wav_15.2s.wav': ('audio', 'wav', ['audio.duration'], P, '121600 samples @ 8 kHz, u8'),
}

# --------------------------------------------------------------------------- tools
def run(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True)
    except FileNotFoundError:  # optional tool (mediainfo) missing
        return 127, '', ''
    return r.returncode, r.stdout, r.stderr


def ffprobe(path):
    rc, out, _ = run(['ffprobe', '-v', 'error', '-count_packets', '-show_format', '-show_streams',
                      '-of', 'json', path])
    if rc != 0 or not out.strip():
        return None
    return json.loads(out)


def exiftool(path):
    rc, out, _ = run(['exiftool', '-j', '-n', '-a', '-G1', path])
    try:
        return json.loads(out)[0]
    except Exception:
        return {}


def exif_get(ex, *names):
    for k, v in ex.items():
        if k.split(':')[-1] in names:
            return v
    return None


def num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def r6(x):
    return None if x is None else round(float(x), 6)


# --------------------------------------------------------------------------- ISO BMFF
CONTAINERS = {b'moov', b'trak', b'mdia', b'minf', b'stbl', b'edts', b'moof', b'traf', b'mvex',
              b'dinf', b'iprp', b'ipco'}


def boxes(d, start, end):
    i = start
    while i + 8 <= end:
        size, typ = struct.unpack_from('>I4s', d, i)
        hdr = 8
        if size == 1:
            size = struct.unpack_from('>Q', d, i + 8)[0]
            hdr = 16
        elif size == 0:
            size = end - i
        if size < hdr or i + size > end:
            return
        yield typ, i + hdr, i + size
        i += size


def mp4_parse(path):
    d = open(path, 'rb').read()
    info = {'ftyp': None, 'compat': [], 'timescale': None, 'tracks': [], 'has_moov': False}
    tracks = {}
    order = []

    def walk(s, e, trak=None):
        for typ, b, en in boxes(d, s, e):
            if typ == b'ftyp':
                info['ftyp'] = d[b:b + 4].decode('latin1')
                info['compat'] = [d[j:j + 4].decode('latin1') for j in range(b + 8, en, 4)]
            elif typ == b'moov':
                info['has_moov'] = True
                walk(b, en)
            elif typ == b'trak':
                t = {'stts': [], 'elst': [], 'frag': [], 'matrix': None}
                walk(b, en, t)
                tracks[t['id']] = t
                order.append(t['id'])
            elif typ == b'mvhd':
                v = d[b]
                info['timescale'] = struct.unpack_from('>I', d, b + (20 if v == 1 else 12))[0]
            elif typ == b'tkhd':
                v = d[b]
                p = b + 4
                if v == 1:
                    trak['id'] = struct.unpack_from('>I', d, p + 16)[0]; p += 32
                else:
                    trak['id'] = struct.unpack_from('>I', d, p + 8)[0]; p += 20
                p += 8 + 8
                trak['matrix'] = struct.unpack_from('>9i', d, p)
                w, h = struct.unpack_from('>II', d, p + 36)
                trak['tkhd_wh'] = (w / 65536, h / 65536)
            elif typ == b'mdhd':
                v = d[b]
                if v == 1:
                    ts, du = struct.unpack_from('>IQ', d, b + 20)
                else:
                    ts, du = struct.unpack_from('>II', d, b + 12)
                trak['ts'], trak['mdhd_dur'] = ts, du
            elif typ == b'hdlr' and 'handler' not in trak:   # QuickTime minf has a data-handler hdlr too
                trak['handler'] = d[b + 8:b + 12].decode('latin1')
            elif typ == b'stsd':
                ent = b + 8
                size, fourcc = struct.unpack_from('>I4s', d, ent)
                trak['fourcc'] = fourcc.decode('latin1')
                if trak.get('handler') == 'vide':
                    trak['wh'] = struct.unpack_from('>HH', d, ent + 8 + 24)
            elif typ == b'stts':
                n = struct.unpack_from('>I', d, b + 4)[0]
                trak['stts'] = [struct.unpack_from('>II', d, b + 8 + 8 * k) for k in range(n)]
            elif typ == b'elst':
                v = d[b]
                n = struct.unpack_from('>I', d, b + 4)[0]
                p = b + 8
                for _ in range(n):
                    if v == 1:
                        sd, mt = struct.unpack_from('>Qq', d, p); p += 20
                    else:
                        sd, mt = struct.unpack_from('>Ii', d, p); p += 12
                    trak['elst'].append((sd, mt))
            elif typ in (b'mdia', b'minf', b'stbl', b'edts'):
                walk(b, en, trak)
            elif typ == b'mvex':
                for t2, b2, e2 in boxes(d, b, en):
                    if t2 == b'trex':
                        tid, _, dur = struct.unpack_from('>III', d, b2 + 4)
                        info.setdefault('trex', {})[tid] = dur
            elif typ == b'moof':
                for t2, b2, e2 in boxes(d, b, en):
                    if t2 != b'traf':
                        continue
                    tid, defdur, samples = None, None, []
                    for t3, b3, e3 in boxes(d, b2, e2):
                        if t3 == b'tfhd':
                            fl = int.from_bytes(d[b3 + 1:b3 + 4], 'big')
                            tid = struct.unpack_from('>I', d, b3 + 4)[0]
                            p = b3 + 8
                            if fl & 1: p += 8
                            if fl & 2: p += 4
                            if fl & 8: defdur = struct.unpack_from('>I', d, p)[0]
                        elif t3 == b'trun':
                            fl = int.from_bytes(d[b3 + 1:b3 + 4], 'big')
                            n = struct.unpack_from('>I', d, b3 + 4)[0]
                            p = b3 + 8 + (4 if fl & 1 else 0) + (4 if fl & 4 else 0)
                            for _ in range(n):
                                du = None
                                if fl & 0x100:
                                    du = struct.unpack_from('>I', d, p)[0]; p += 4
                                if fl & 0x200: p += 4
                                if fl & 0x400: p += 4
                                if fl & 0x800: p += 4
                                samples.append(du)
                    if tid is None:
                        continue
                    dflt = defdur if defdur is not None else info.get('trex', {}).get(tid)
                    tracks[tid]['frag'].extend(du if du is not None else dflt for du in samples)

    walk(0, len(d))
    for tid in order:
        t = tracks[tid]
        deltas = {dl for c, dl in t['stts'] if c} | set(t['frag'])
        t['samples'] = sum(c for c, _ in t['stts']) + len(t['frag'])
        t['media_ticks'] = sum(c * dl for c, dl in t['stts']) + sum(t['frag'])
        t['media_s'] = t['media_ticks'] / t['ts'] if t.get('ts') else 0
        t['deltas'] = deltas
        edit = sum(sd for sd, _ in t['elst'])
        t['presented_s'] = edit / info['timescale'] if edit else t['media_s']
        info['tracks'].append(t)
    return info


def matrix_rotation_cw(m):
    a, b, c, dd = m[0], m[1], m[3], m[4]
    if (a, b, c, dd) == (0, 65536, -65536, 0):
        return 90
    if (a, b, c, dd) == (-65536, 0, 0, -65536):
        return 180
    if (a, b, c, dd) == (0, -65536, 65536, 0):
        return 270
    return 0


# --------------------------------------------------------------------------- HEIF
def heif_parse(path):
    d = open(path, 'rb').read()
    out = {'brand': d[8:12].decode('latin1'), 'pitm': None, 'props': [], 'assoc': {}}
    for typ, b, e in boxes(d, 0, len(d)):
        if typ != b'meta':
            continue
        for t2, b2, e2 in boxes(d, b + 4, e):
            if t2 == b'pitm':
                out['pitm'] = struct.unpack_from('>I' if d[b2] else '>H', d, b2 + 4)[0]
            elif t2 == b'iprp':
                for t3, b3, e3 in boxes(d, b2, e2):
                    if t3 == b'ipco':
                        for t4, b4, e4 in boxes(d, b3, e3):
                            if t4 == b'ispe':
                                out['props'].append(('ispe', struct.unpack_from('>II', d, b4 + 4)))
                            elif t4 == b'irot':
                                out['props'].append(('irot', (d[b4] & 3) * 90))
                            elif t4 == b'imir':
                                out['props'].append(('imir', d[b4] & 1))
                            else:
                                out['props'].append((t4.decode('latin1'), None))
                    elif t3 == b'ipma':
                        v, fl = d[b3], int.from_bytes(d[b3 + 1:b3 + 4], 'big')
                        n = struct.unpack_from('>I', d, b3 + 4)[0]
                        p = b3 + 8
                        for _ in range(n):
                            if v < 1:
                                iid = struct.unpack_from('>H', d, p)[0]; p += 2
                            else:
                                iid = struct.unpack_from('>I', d, p)[0]; p += 4
                            cnt = d[p]; p += 1
                            lst = []
                            for _ in range(cnt):
                                if fl & 1:
                                    x = struct.unpack_from('>H', d, p)[0] & 0x7fff; p += 2
                                else:
                                    x = d[p] & 0x7f; p += 1
                                lst.append(x)
                            out['assoc'][iid] = lst
    prim = out['assoc'].get(out['pitm'], [])
    props = [out['props'][k - 1] for k in prim if k]
    out['ispe'] = next((v for n, v in props if n == 'ispe'), None)
    out['irot_ccw'] = next((v for n, v in props if n == 'irot'), 0)
    out['imir'] = next((v for n, v in props if n == 'imir'), None)
    out['first_ispe'] = next((v for n, v in out['props'] if n == 'ispe'), None)
    return out


# --------------------------------------------------------------------------- MPEG audio
MP3_BR = {1: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
          2: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]}
MP3_SR = {3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000]}


def mp3_walk(path):
    d = open(path, 'rb').read()
    i = 0
    id3v2 = None
    if d[:3] == b'ID3':
        sz = (d[6] << 21) | (d[7] << 14) | (d[8] << 7) | d[9]
        id3v2 = sz + 10
        i = 10 + sz + (10 if d[5] & 0x10 else 0)
    end = len(d)
    id3v1 = d[-128:-125] == b'TAG'
    if id3v1:
        end -= 128
    n, tag, sr, spf, ch, first = 0, None, None, None, None, i
    delay = padding = None
    while i + 4 <= end:
        h = int.from_bytes(d[i:i + 4], 'big')
        if (h >> 21) & 0x7ff != 0x7ff:
            break
        ver, lay, bri, sri, pad, chm = (h >> 19) & 3, (h >> 17) & 3, (h >> 12) & 15, (h >> 10) & 3, (h >> 9) & 1, (h >> 6) & 3
        if lay != 1 or ver == 1 or bri in (0, 15) or sri == 3:
            break
        s = MP3_SR[ver][sri]
        br = MP3_BR[1 if ver == 3 else 2][bri] * 1000
        spf = 1152 if ver == 3 else 576
        fl = (144 if ver == 3 else 72) * br // s + pad
        side = (32 if chm != 3 else 17) if ver == 3 else (17 if chm != 3 else 9)
        x = d[i + 4 + side:i + 8 + side]
        if n == 0 and tag is None and x in (b'Xing', b'Info'):
            tag = x.decode()
            flags = struct.unpack_from('>I', d, i + 8 + side)[0]
            p = i + 12 + side + (4 if flags & 1 else 0) + (4 if flags & 2 else 0) + (100 if flags & 4 else 0) + (4 if flags & 8 else 0)
            if d[p:p + 4] in (b'LAME', b'Lavf', b'Lavc'):
                dp = d[p + 21:p + 24]
                delay, padding = (dp[0] << 4) | (dp[1] >> 4), ((dp[1] & 15) << 8) | dp[2]
        elif n == 0 and tag is None and d[i + 36:i + 40] == b'VBRI':
            tag = 'VBRI'
        else:
            n += 1
        sr, ch = s, (1 if chm == 3 else 2)
        i += fl
    return {'frames': n, 'sample_rate': sr, 'spf': spf, 'channels': ch, 'tag': tag,
            'first_frame_offset': first, 'walk_end_ok': i == end, 'id3v2_bytes': id3v2,
            'id3v1': id3v1, 'enc_delay': delay, 'enc_padding': padding}


# --------------------------------------------------------------------------- RIFF WAVE
def wav_parse(path):
    d = open(path, 'rb').read()
    riff = d[:4].decode('latin1')
    i, ds64, out = 12, None, {'riff': riff, 'chunks': []}
    while i + 8 <= len(d):
        cid, n = d[i:i + 4], struct.unpack_from('<I', d, i + 4)[0]
        out['chunks'].append(cid.decode('latin1'))
        if cid == b'ds64':
            ds64 = struct.unpack_from('<QQQ', d, i + 8)
        elif cid == b'fmt ':
            tag, ch, sr, _, ba, bits = struct.unpack_from('<HHIIHH', d, i + 8)
            out.update(fmt_tag=tag, channels=ch, sample_rate=sr, block_align=ba, bits=bits)
        elif cid == b'data':
            size = ds64[1] if (n == 0xFFFFFFFF and ds64) else n
            out['data_bytes'] = size
            break
        i += 8 + n + (n & 1)
    out['duration_s'] = out['data_bytes'] / out['block_align'] / out['sample_rate']
    return out


# --------------------------------------------------------------------------- GIF / WebP / BMP
def gif_frames(path):
    d = open(path, 'rb').read()
    w, h, fl = struct.unpack_from('<HHB', d, 6)
    i = 13 + (3 * (2 << (fl & 7)) if fl & 0x80 else 0)
    frames = 0
    while i < len(d):
        b = d[i]
        if b == 0x3B:
            break
        if b == 0x21:
            i += 2
        elif b == 0x2C:
            frames += 1
            lf = d[i + 9]
            i += 10 + (3 * (2 << (lf & 7)) if lf & 0x80 else 0) + 1
        else:
            break
        while d[i]:
            i += d[i] + 1
        i += 1
    return (w, h), frames


def webp_info(path):
    d = open(path, 'rb').read()
    i, out = 12, {'chunks': [], 'frames': 0}
    while i + 8 <= len(d):
        cid, n = d[i:i + 4].decode('latin1'), struct.unpack_from('<I', d, i + 4)[0]
        out['chunks'].append(cid)
        if cid == 'VP8X':
            out['canvas'] = (1 + int.from_bytes(d[i + 12:i + 15], 'little'), 1 + int.from_bytes(d[i + 15:i + 18], 'little'))
        elif cid == 'ANMF':
            out['frames'] += 1
        elif cid == 'VP8 ' and 'canvas' not in out:
            w, h = struct.unpack_from('<HH', d, i + 8 + 6)
            out['canvas'] = (w & 0x3fff, h & 0x3fff)
        elif cid == 'VP8L' and 'canvas' not in out:
            v = int.from_bytes(d[i + 9:i + 13], 'little')
            out['canvas'] = ((v & 0x3fff) + 1, ((v >> 14) & 0x3fff) + 1)
        i += 8 + n + (n & 1)
    out['frames'] = out['frames'] or 1
    return out


# --------------------------------------------------------------------------- reference rules
def rules_for(rec):
    """seedance2 limits of SPEC section 1, applied to the truth."""
    v = []
    k, b = rec['kind'], rec['bytes']
    w, h = rec.get('width'), rec.get('height')

    def in_aspect(w, h):  # 0.4 <= w/h <= 2.5, exactly
        return Fraction(w, h) >= Fraction(2, 5) and Fraction(w, h) <= Fraction(5, 2)

    if k == 'image':
        if b >= 30_000_000: v.append('image.size')
        if not 300 <= w <= 6000: v.append('image.width')
        if not 300 <= h <= 6000: v.append('image.height')
        if not in_aspect(w, h): v.append('image.aspect')
    elif k == 'video':
        if b >= 50_000_000: v.append('video.size')
        if not 2 <= rec['duration_s'] <= 15: v.append('video.duration')
        if not 409_600 <= w * h <= 927_408: v.append('video.pixels')
        if not 300 <= w <= 6000: v.append('video.width')
        if not 300 <= h <= 6000: v.append('video.height')
        if not in_aspect(w, h): v.append('video.aspect')
        if not rec['fps'] or not 24 <= rec['fps'] <= 60: v.append('video.fps')
    elif k == 'audio':
        if b >= 15_000_000: v.append('audio.size')
        if not 2 <= rec['duration_s'] <= 15: v.append('audio.duration')
    return sorted(v)


# --------------------------------------------------------------------------- per fixture
FIELDS = ['path', 'kind', 'format', 'width', 'height', 'rotation', 'duration_s', 'fps', 'fps_min',
          'fps_max', 'vfr', 'frames', 'codec', 'codec_name', 'codec_tag', 'sample_rate', 'channels',
          'bytes', 'expect_verdict', 'expect_rules', 'expect_warnings']


def vstream(fp):
    return next((s for s in (fp or {}).get('streams', []) if s.get('codec_type') == 'video'), None)


def astream(fp):
    return next((s for s in (fp or {}).get('streams', []) if s.get('codec_type') == 'audio'), None)


def ffprobe_rotation(s):
    for sd in (s or {}).get('side_data_list', []):
        if 'rotation' in sd:
            return sd['rotation']
    return None


def describe(path):
    kind, fmt, rules, warns, note = FIXTURES[path]
    rec = {k: None for k in FIELDS}
    rec.update(path=path, kind=kind, format=fmt, bytes=os.path.getsize(path))
    notes = [note] if note else []
    fp = ffprobe(path)
    ex = exiftool(path) if kind in ('image', 'unknown') else {}

    def disagree(field, tool, value, why):
        rec[f'{tool}_{field}'] = value
        notes.append(why)

    if kind == 'unknown' or 'file.corrupt' in rules:
        if fp:
            rec['ffprobe_format'] = fp['format'].get('format_name')
    elif kind == 'image' and fmt in ('heic', 'heif', 'avif'):
        hf = heif_parse(path)
        sw, sh = hf['ispe']
        rot_cw = (360 - hf['irot_ccw']) % 360
        w, h = (sh, sw) if rot_cw in (90, 270) else (sw, sh)
        rec.update(width=w, height=h, rotation=rot_cw, heif_brand=hf['brand'])
        if hf['irot_ccw']:
            rec['irot_ccw'] = hf['irot_ccw']
        if (w, h) != (sw, sh):
            rec.update(stored_width=sw, stored_height=sh)
        _, hi, _ = run(['heif-info', path])
        m = re.search(r'image: (\d+)x(\d+) \(id=\d+\), primary', hi)
        if m and (int(m[1]), int(m[2])) != (w, h):
            disagree('size', 'heif_info', f'{m[1]}x{m[2]}', 'heif-info disagrees')
        exw, exh = exif_get(ex, 'ImageWidth'), exif_get(ex, 'ImageHeight')
        if (exw, exh) != (w, h) and exw:
            rec['exiftool_width'], rec['exiftool_height'] = exw, exh
            notes.append(f'exiftool ImageSize {exw}x{exh} is the ispe (stored) size; it does not apply irot')
        exo = exif_get(ex, 'Orientation')
        if exo:
            rec['exif_orientation'] = exo
        if exif_get(ex, 'Rotation') is not None:
            rec['exiftool_rotation'] = exif_get(ex, 'Rotation')
        if hf['first_ispe'] != hf['ispe']:
            rec['first_ispe'] = list(hf['first_ispe'])
        if fp is None:
            notes.append('ffprobe 5.1 cannot open HEIF image items (moov atom not found)') if fmt != 'avif' else None
        if fmt == 'avif' and fp:
            s = vstream(fp)
            rec.update(codec_name=s.get('codec_name'), codec_tag=s.get('codec_tag_string'))
    elif kind == 'image':
        s = vstream(fp)
        sw = sh = None
        if fmt == 'webp':
            wi = webp_info(path)
            sw, sh = wi['canvas']
            rec['frames'] = wi['frames']
            rec['webp_chunks'] = wi['chunks']
            if s and (s.get('width'), s.get('height')) != (sw, sh):
                rec['ffprobe_width'], rec['ffprobe_height'] = s.get('width'), s.get('height')
                notes.append('ffprobe 5.1 cannot decode animated WebP (reports 0x0)')
        elif fmt == 'gif':
            (sw, sh), rec['frames'] = gif_frames(path)
            if s and s.get('nb_read_packets') and int(s['nb_read_packets']) != rec['frames']:
                rec['ffprobe_frames'] = int(s['nb_read_packets'])
        elif s:
            sw, sh = s['width'], s['height']
        else:
            sw, sh = exif_get(ex, 'ImageWidth'), exif_get(ex, 'ImageHeight')
        if fmt == 'bmp':
            d = open(path, 'rb').read(30)
            hdr, bw, bh, _, bpp = struct.unpack_from('<IiiHH', d, 14)
            rec['bmp_header_size'], rec['bmp_bits'], rec['bmp_height_field'] = hdr, bpp, bh
            sw, sh = bw, abs(bh)
        if s:
            rec['codec_name'] = s.get('codec_name')
        orient = exif_get(ex, 'Orientation') if fmt in ('jpeg', 'tiff', 'webp', 'png') else None
        rot = {3: 180, 6: 90, 8: 270}.get(orient or 1, 0)
        swap = (orient or 1) in (5, 6, 7, 8)
        w, h = (sh, sw) if swap else (sw, sh)
        rec.update(width=w, height=h, rotation=rot)
        if orient:
            rec['exif_orientation'] = orient
        if swap:
            rec.update(stored_width=sw, stored_height=sh)
            if s and s.get('width') == sw:
                rec['ffprobe_width'], rec['ffprobe_height'] = s['width'], s['height']
                notes.append('ffprobe reports the stored size; it does not apply EXIF orientation to images')
            exw = exif_get(ex, 'ImageWidth')
            if exw == sw:
                rec['exiftool_width'], rec['exiftool_height'] = exw, exif_get(ex, 'ImageHeight')
                notes.append('exiftool ImageWidth/ImageHeight are the stored size')
    elif kind == 'video' and fmt in ('mp4', 'mov') and 'video.no_video_track' not in rules:
        info = mp4_parse(path)
        vt = next(t for t in info['tracks'] if t.get('handler') == 'vide')
        sw, sh = vt['wh']
        rot = matrix_rotation_cw(vt['matrix'])
        w, h = (sh, sw) if rot in (90, 270) else (sw, sh)
        fps = vt['samples'] / vt['media_s'] if vt['media_s'] else None
        dts = set(vt['deltas'])
        dur = max(t['presented_s'] for t in info['tracks'])
        rec.update(width=w, height=h, rotation=rot, duration_s=r6(dur), fps=r6(fps),
                   fps_min=r6(vt['ts'] / max(dts)), fps_max=r6(vt['ts'] / min(dts)),
                   vfr=len(dts) > 1, frames=vt['samples'], codec=vt['fourcc'],
                   mp4_major_brand=info['ftyp'])
        if rot in (90, 270):
            rec.update(stored_width=sw, stored_height=sh)
        if vt['elst'] and abs(vt['presented_s'] - vt['media_s']) > 0.001:
            rec['video_media_duration_s'] = r6(vt['media_s'])
            rec['video_presented_duration_s'] = r6(vt['presented_s'])
        if len(info['tracks']) > 1:
            rec['track_durations_s'] = {t['handler']: r6(t['presented_s']) for t in info['tracks']}
        s = vstream(fp)
        a = astream(fp)
        rec.update(codec_name=s.get('codec_name'), codec_tag=s.get('codec_tag_string'))
        if a:
            rec.update(sample_rate=int(a['sample_rate']), channels=a['channels'], audio_codec=a['codec_name'])
        fr = ffprobe_rotation(s)
        if fr is not None:
            rec['ffprobe_rotation'] = fr
        rec['ffprobe_r_frame_rate'] = s.get('r_frame_rate')
        nb = s.get('nb_frames')
        nb = int(nb) if nb not in (None, 'N/A') else None
        if nb is None:
            rec['ffprobe_nb_frames'] = None
            notes.append(f'ffprobe nb_frames is N/A (no stbl samples); -count_packets gives {s.get("nb_read_packets")}')
        elif nb != vt['samples']:
            rec['ffprobe_nb_frames'] = nb
        sdur = num(s.get('duration'))
        fdur = num(fp['format'].get('duration'))
        if fdur is not None and abs(fdur - dur) > 0.0005:
            rec['ffprobe_duration_s'] = fdur
            notes.append(f'ffprobe format duration {fdur} differs from the longest track after edit lists')
        cnt = nb if nb is not None else int(s.get('nb_read_packets') or 0)
        if sdur and fps:
            naive = cnt / sdur
            if abs(naive - fps) > 0.01:
                rec['ffprobe_fps'] = r6(naive)
                notes.append(f'ffprobe nb_frames/stream duration = {naive:.3f} ({cnt}/{sdur}) because its stream duration is the edit-listed one; samples / media duration = {fps:.3f}')
    elif kind == 'video' and fmt in ('mp4', 'mov'):  # no video track
        a = astream(fp)
        info = mp4_parse(path)
        rec.update(duration_s=r6(max(t['presented_s'] for t in info['tracks'])), codec=info['tracks'][0].get('fourcc'),
                   codec_name=a.get('codec_name'), codec_tag=a.get('codec_tag_string'),
                   sample_rate=int(a['sample_rate']), channels=a['channels'], mp4_major_brand=info['ftyp'])
    elif kind == 'audio' and fmt == 'mp3':
        m = mp3_walk(path)
        a = astream(fp)
        dur = m['frames'] * m['spf'] / m['sample_rate']
        rec.update(duration_s=r6(dur), sample_rate=m['sample_rate'], channels=m['channels'], codec='mp3',
                   codec_name=a.get('codec_name'), codec_tag=a.get('codec_tag_string'))
        rec['mpeg_frames'] = m['frames']
        rec['samples_per_frame'] = m['spf']
        rec['vbr_header'] = m['tag']
        if m['id3v2_bytes']:
            rec['id3v2_bytes'] = m['id3v2_bytes']
        rec['id3v1'] = m['id3v1']
        if m['enc_delay'] is not None:
            rec['gapless_duration_s'] = r6((m['frames'] * m['spf'] - m['enc_delay'] - m['enc_padding']) / m['sample_rate'])
            rec['lame_enc_delay'], rec['lame_enc_padding'] = m['enc_delay'], m['enc_padding']
        assert m['walk_end_ok'], f'{path}: frame walk did not end at the end of the audio'
        fdur = num(fp['format'].get('duration'))
        rec['ffprobe_duration_s'] = fdur
        ex = exiftool(path)
        exd = exif_get(ex, 'Duration')
        rec['exiftool_duration_s'] = r6(exd) if exd is not None else None
        _, mi, _ = run(['mediainfo', '--Inform=General;%Duration%', path])
        rec['mediainfo_duration_s'] = r6(int(mi.strip()) / 1000) if mi.strip().isdigit() else None
        if abs(fdur - dur) > 0.05:
            mi_txt = 'no duration at all' if rec['mediainfo_duration_s'] is None else f'{rec["mediainfo_duration_s"]} s'
            notes.append(f'no Xing/VBRI header: ffprobe estimates {fdur:.3f} s from the bitrate, exiftool {rec["exiftool_duration_s"]} s (approx), mediainfo {mi_txt}; the frame count gives {dur:.3f} s')
    elif kind == 'audio' and fmt == 'wav':
        w = wav_parse(path)
        a = astream(fp)
        rec.update(duration_s=r6(w['duration_s']), sample_rate=w['sample_rate'], channels=w['channels'],
                   codec=a.get('codec_name'), codec_name=a.get('codec_name'), codec_tag=a.get('codec_tag_string'))
        rec.update(wav_riff=w['riff'], wav_fmt_tag=f'0x{w["fmt_tag"]:04X}', wav_bits=w['bits'], wav_chunks=w['chunks'])
        fdur = num(fp['format'].get('duration'))
        if abs(fdur - w['duration_s']) > 0.0005:
            rec['ffprobe_duration_s'] = fdur
    else:  # unsupported audio / video containers: informational
        s, a = vstream(fp), astream(fp)
        st = s or a
        rec.update(codec_name=st.get('codec_name'), codec_tag=st.get('codec_tag_string'),
                   duration_s=r6(num(fp['format'].get('duration'))))
        rec['ffprobe_format'] = fp['format'].get('format_name')
        if s:
            rec.update(width=s.get('width'), height=s.get('height'), frames=int(s['nb_read_packets']))
        if a:
            rec.update(sample_rate=int(a['sample_rate']), channels=a['channels'])
    if kind == 'image' and fmt in ('ico', 'psd', 'tga', 'jxl'):
        s = vstream(fp)
        if s:
            rec['codec_name'] = s.get('codec_name')
        rec['width'] = rec['width'] or exif_get(ex, 'ImageWidth')
        rec['height'] = rec['height'] or exif_get(ex, 'ImageHeight')
        if fp:
            rec['ffprobe_format'] = fp['format'].get('format_name')

    # expectations
    rec['expect_rules'] = sorted(rules)
    rec['expect_warnings'] = sorted(warns)
    rec['expect_verdict'] = 'fail' if rules else 'pass'
    base = os.path.basename(path)
    want = 'pass' if base.startswith('ok_') else 'fail'
    assert rec['expect_verdict'] == want, f'{path}: name says {want}, table says {rec["expect_verdict"]}'
    if not any(r.startswith('file.') or r.endswith('no_video_track') for r in rules):
        got = rules_for(rec)
        assert got == sorted(rules), f'{path}: reference rules {got} != table {sorted(rules)}'
    notes = [n for n in notes if n]
    rec['note'] = '; '.join(notes) if notes else None
    return rec


def main():
    os.chdir(HERE)
    files = sorted(os.path.join(d, f) for d in ('audio', 'image', 'unknown', 'unsupported', 'video')
                   for f in os.listdir(d) if os.path.isfile(os.path.join(d, f)))
    missing = sorted(set(FIXTURES) - set(files))
    extra = sorted(set(files) - set(FIXTURES))
    if missing or extra:
        sys.exit(f'fixture table out of date: missing files {missing}, unlisted files {extra}')
    out = [describe(p) for p in files]
    with open('expected.json', 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')
    print(f'expected.json: {len(out)} fixtures, {sum(r["expect_verdict"] == "pass" for r in out)} pass, '
          f'{sum(r["expect_verdict"] == "fail" for r in out)} fail')


if __name__ == '__main__':
    main()
