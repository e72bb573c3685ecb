#!/usr/bin/env python3
"""Makes the hostile inputs of `preflight fix` (testdata/hostile/fix/).

Each file is a few hundred bytes; what would be large (a sparse 5 GB JPEG,
file names that are ffmpeg protocols) is made by the test itself
(crates/preflight-cli/tests/fix.rs, `hostile_files_end_in_a_report_each`).
Run from this folder: python3 make.py
"""
import struct, zlib

def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

# A PNG claiming 100000×100000 RGB (30 GB decoded): the decoder must not allocate it.
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
open("bomb_png_100000x100000.png", "wb").write(png)

# An animated GIF: 40 frames of 1×1 on a 6500×6500 canvas (1.7 gigapixels to compose).
def gif(w, h, frames):
    out = b"GIF89a" + struct.pack("<HHBBB", w, h, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
    out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\0\0\0"
    for _ in range(frames):
        out += b"\x21\xf9\x04\x00\x0a\x00\x00\x00"  # 0.1 s
        out += b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    return out + b"\x3b"
open("gif_40f_6500x6500.gif", "wb").write(gif(6500, 6500, 40))

# A WAV whose header says 4,000,000,000 Hz, 1 s long by its samples' count at
# that rate... holding 16 samples: `--pad-audio` must not size silence from it.
rate, ch, bits = 4_000_000_000 & 0xFFFFFFFF, 2, 16
data = b"\0" * 64
fmt = struct.pack("<HHIIHH", 1, ch, rate, (rate * ch * 2) & 0xFFFFFFFF, ch * 2, bits)
wav = b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data)) + b"WAVE"
wav += b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
open("wav_rate_4ghz_short.wav", "wb").write(wav)

# A WAV at 8 kHz mono whose data chunk claims 4 GB but holds 0.5 s.
fmt = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)
data = b"\0\1" * 4000
wav = b"RIFF" + struct.pack("<I", 0xFFFFFFF0) + b"WAVE"
wav += b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", 0xFFFFFFF0) + data
open("wav_data_claims_4g_short.wav", "wb").write(wav)

# An 1800 s, 8-channel, 192 kHz FLAC of silence: 2.8 billion samples (11 GB
# as 32-bit) in a file of a few hundred kilobytes. Every frame is 65,535
# samples of CONSTANT subframes (the format allows it outside the streamable
# subset). The repair must bound the decoded samples whichever decoder runs.
def crc8(data):
    c = 0
    for b in data:
        c ^= b
        for _ in range(8):
            c = ((c << 1) ^ 0x07) & 0xFF if c & 0x80 else (c << 1) & 0xFF
    return c

def crc16(data):
    c = 0
    for b in data:
        c ^= b << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x8005) & 0xFFFF if c & 0x8000 else (c << 1) & 0xFFFF
    return c

def utf8_number(n):
    if n < 0x80:
        return bytes([n])
    out, lead_bits, first_max = [], 0x80, 0x3F
    while n > first_max:
        out.insert(0, 0x80 | (n & 0x3F))
        n >>= 6
        lead_bits = (lead_bits >> 1) | 0x80
        first_max >>= 1
    return bytes([lead_bits | n]) + bytes(out)

rate, channels, seconds, block = 192_000, 8, 1800, 65535
total = rate * seconds
info = struct.pack(">HH", block, block) + b"\0\0\0" + b"\0\0\0"
packed = (rate << 44) | ((channels - 1) << 41) | (15 << 36) | total
info += packed.to_bytes(8, "big") + b"\0" * 16
flac = b"fLaC" + bytes([0x80]) + len(info).to_bytes(3, "big") + info
frames = []
done, n = 0, 0
while done < total:
    size = min(block, total - done)
    head = b"\xff\xf8" + bytes([0x70, 0x78]) + utf8_number(n) + struct.pack(">H", size - 1)
    head += bytes([crc8(head)])
    body = head + b"\x00\x00\x00" * channels
    frames.append(body + struct.pack(">H", crc16(body)))
    done += size
    n += 1
open("flac_1800s_8ch_192k_silence.flac", "wb").write(flac + b"".join(frames))
