#!/usr/bin/env python3
"""Writes expected.json for the fixtures of make.sh: what ffprobe 5.1 says of
each (its figures, beside ours where SPEC §1 reads the file differently), and
the verdict, rules and warnings SPEC §1 gives."""
import json
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))

# name: (verdict, rules, warnings, what SPEC §1 says, our readings where they differ from ffprobe)
CASES = {
    'ok_mp3_after_2000_zero_bytes_3s.mp3': ('pass', [], [], 'bytes before the first frame are skipped: the first chain of frames within 64 KiB starts the stream', {}),
    'err_mp2_layer2_3s.mp2': ('fail', ['file.unsupported_type'], [], 'MPEG audio layer II is file.unsupported_type, format mp2', {'format': 'mp2'}),
    'ok_wav_ima_adpcm_3s.wav': ('pass', [], [], 'a WAV that is not PCM is a WAV; exact duration from fact (24,492 sample frames: ffmpeg counts the last block whole)', {}),
    'ok_wav_ms_adpcm_3s.wav': ('pass', [], [], 'MS ADPCM: duration from fact (24,432 sample frames)', {}),
    'ok_wav_gsm_3s.wav': ('pass', [], [], 'GSM 6.10: duration from fact', {}),
    'err_wav_block_align_200.wav': ('error', ['file.corrupt'], [], 'PCM block_align must equal channels x bytes per sample; the header contradicts itself (ffprobe goes by the byte rate)', {}),
    'ok_jpeg_junk_between_segments_640x480.jpg': ('pass', [], [], 'stray bytes between segments are skipped, as libjpeg does', {}),
    'ok_mp4_sar_2to1_720x720.mp4': ('pass', [], ['video.sar'], 'stored 720x720, displayed 1440x720 (aspect 2.0): both shapes inside 0.4-2.5', {'display_width': 1440, 'display_height': 720}),
    'err_mp4_sar_3to1_800x600.mp4': ('fail', ['video.aspect'], ['video.sar'], 'displayed 2400x600 (aspect 4.0) breaks the aspect bound though the stored 800x600 does not', {'display_width': 2400, 'display_height': 600}),
    'err_mp4_encrypted_cenc_800x600.mp4': ('fail', ['video.encrypted'], [], 'an encv track reports its original codec (frma) and fails video.encrypted', {'codec': 'avc1'}),
    'err_mp4_opus_audio_800x600.mp4': ('fail', ['video.audio_codec'], [], "a video's audio track must be AAC or MP3; this one is Opus", {'audio_codec': 'opus'}),
    'ok_mp4_mdat_claims_1000_more.mp4': ('pass', [], ['file.truncated_tail'], 'the last box claims more than the file has, but every sample lies inside it', {}),
    'err_mp4_cut_100_bytes.mp4': ('error', ['file.corrupt'], [], 'samples run past the end of the file', {}),
    'ok_heif_major_mif2_1280x720.heic': ('pass', [], [], 'HEIF is told by all its brands and boxes, whatever the major brand', {'format': 'heif'}),
}


def ffprobe(path):
    out = subprocess.run(['ffprobe', '-v', 'error', '-show_streams', '-show_format', '-of', 'json', path],
                         capture_output=True, text=True)
    if out.returncode != 0:
        err = out.stderr.strip().splitlines()[-1] if out.stderr.strip() else 'failed'
        return {'ffprobe_error': err.replace(path, os.path.basename(path))}
    j = json.loads(out.stdout)
    s = (j.get('streams') or [{}])[0]
    audio = [a for a in j.get('streams') or [] if a.get('codec_type') == 'audio']
    f = j.get('format', {})
    rec = {
        'ffprobe_format': f.get('format_name'),
        'ffprobe_duration_s': float(f['duration']) if 'duration' in f else None,
        'ffprobe_codec': s.get('codec_name'),
        'ffprobe_codec_tag': s.get('codec_tag_string'),
        'ffprobe_width': s.get('width'),
        'ffprobe_height': s.get('height'),
        'ffprobe_sar': s.get('sample_aspect_ratio'),
        'ffprobe_sample_rate': int(s['sample_rate']) if 'sample_rate' in s else None,
        'ffprobe_channels': s.get('channels'),
        'ffprobe_audio_codec': audio[0].get('codec_name') if audio and s is not audio[0] else None,
    }
    return {k: v for k, v in rec.items() if v is not None}


rows = []
for name, (verdict, rules, warnings, why, ours) in sorted(CASES.items()):
    path = os.path.join(HERE, name)
    row = {'path': name, 'bytes': os.path.getsize(path), 'expect_verdict': verdict,
           'expect_rules': rules, 'expect_warnings': warnings, 'why': why}
    row.update(ours)
    row.update(ffprobe(path))
    rows.append(row)
with open(os.path.join(HERE, 'expected.json'), 'w') as fh:
    json.dump(rows, fh, indent=1)
    fh.write('\n')
print(f'expected.json: {len(rows)} fixtures')
