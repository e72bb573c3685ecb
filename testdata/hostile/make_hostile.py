#!/usr/bin/env python3
"""Makes the hostile corpus in testdata/hostile/ from the real fixtures beside it.

Each file is a real encoder's output with one documented change (or a header
written by hand where no encoder would ever write it). tests/hostile.rs states
the exact outcome of each. Run from anywhere: python3 testdata/hostile/make_hostile.py
"""
import os, random, struct, zlib

HERE = os.path.dirname(os.path.abspath(__file__))
TD = os.path.dirname(HERE)
random.seed(20261125)


def src(rel):
    with open(os.path.join(TD, rel), 'rb') as f:
        return bytearray(f.read())


def out(name, data):
    with open(os.path.join(HERE, name), 'wb') as f:
        f.write(bytes(data))


def find_box(b, path, off=0, end=None):
    """Offset of the box at `path` (list of fourccs), descending through containers."""
    end = len(b) if end is None else end
    want, rest = path[0], path[1:]
    while off + 8 <= end:
        size, typ = struct.unpack('>I4s', b[off:off + 8])
        if typ == want:
            if not rest:
                return off
            return find_box(b, rest, off + 8, off + size)
        off += size
    raise KeyError(path)


def png_chunk(typ, data):
    return struct.pack('>I', len(data)) + typ + data + struct.pack('>I', zlib.crc32(typ + data))


# --- decompression bombs: huge declared sizes, tiny files -------------------------
sig = b'\x89PNG\r\n\x1a\n'
ihdr = struct.pack('>IIBBBBB', 65535, 65535, 8, 2, 0, 0, 0)
out('bomb_png_65535x65535.png', sig + png_chunk(b'IHDR', ihdr) + png_chunk(b'IDAT', zlib.compress(b'\0' * 64)) + png_chunk(b'IEND', b''))
ihdr = struct.pack('>IIBBBBB', 2**31 - 1, 2**31 - 1, 8, 6, 0, 0, 0)
out('bomb_png_2e31x2e31.png', sig + png_chunk(b'IHDR', ihdr) + png_chunk(b'IDAT', zlib.compress(b'\0' * 64)) + png_chunk(b'IEND', b''))
bmp_info = struct.pack('<IiiHHIIiiII', 40, 65535, 65535, 1, 24, 0, 0, 2835, 2835, 0, 0)
out('bomb_bmp_65535x65535.bmp', b'BM' + struct.pack('<IHHI', 54 + 16, 0, 0, 54) + bmp_info + b'\0' * 16)
sof = b'\xff\xc0' + struct.pack('>HBHHB', 17, 8, 65535, 65535, 3) + b'\x01\x22\x00\x02\x11\x01\x03\x11\x01'
out('bomb_jpeg_65535x65535.jpg', b'\xff\xd8' + sof + b'\xff\xd9')
# TIFF, little-endian, IFD0 with ImageWidth/ImageLength LONG 70000.
entries = [(0x100, 4, 1, 70000), (0x101, 4, 1, 70000), (0x102, 3, 1, 8), (0x103, 3, 1, 1), (0x106, 3, 1, 1)]
ifd = struct.pack('<H', len(entries)) + b''.join(struct.pack('<HHII', *e) for e in entries) + struct.pack('<I', 0)
out('bomb_tiff_70000x70000.tif', b'II*\0' + struct.pack('<I', 8) + ifd)

# --- MP4 tables claiming 2^31 entries ---------------------------------------------
mp4 = src('video/ok_1280x720_30fps_5s.mp4')
stbl = ['moov', 'trak', 'mdia', 'minf', 'stbl']
for table, count_off in (('stts', 12), ('stsz', 16), ('stco', 12)):
    b = mp4[:]
    at = find_box(b, [t.encode() for t in stbl + [table]])
    struct.pack_into('>I', b, at + count_off, 2**31)
    out(f'mp4_{table}_2e31_entries.mp4', b)

# --- MP4 box sizes: 0, 2^32-1, overlapping the parent, past the end ---------------
b = mp4[:]
struct.pack_into('>I', b, find_box(b, [b'moov']), 0)  # size 0: "to the end of the file"
out('mp4_moov_size_0.mp4', b)
b = mp4[:]
struct.pack_into('>I', b, find_box(b, [b'moov']), 0xFFFFFFFF)
out('mp4_moov_size_4g.mp4', b)
b = mp4[:]
at = find_box(b, [b'moov', b'trak'])
struct.pack_into('>I', b, at, struct.unpack('>I', b[at:at + 4])[0] + 200)  # trak overruns moov
out('mp4_trak_overlaps_parent.mp4', b)
b = mp4[:]
at = find_box(b, [b'moov', b'trak', b'mdia', b'minf', b'stbl', b'stsd'])
struct.pack_into('>I', b, at, 5)  # a box smaller than its own header
out('mp4_stsd_size_5.mp4', b)
b = mp4[:]
at = find_box(b, [b'moov', b'mvhd'])
struct.pack_into('>I', b, at + 20, 0)  # mvhd timescale 0
out('mp4_mvhd_timescale_0.mp4', b)
b = mp4[:]
at = find_box(b, [b'moov', b'trak', b'mdia', b'mdhd'])
struct.pack_into('>I', b, at + 20, 0)  # mdhd timescale 0
out('mp4_mdhd_timescale_0.mp4', b)
# 10,000 nested boxes: ftyp, then moov > trak > trak > ... (each trak holding the next).
depth = 10000
inner = b''
for _ in range(depth):
    inner = struct.pack('>I', 8 + len(inner)) + b'trak' + inner
moov = struct.pack('>I', 8 + len(inner)) + b'moov' + inner
out('mp4_nested_10000_deep.mp4', mp4[:32] + moov)
# A 2^31-iteration chain of 8-byte boxes cut short: many tiny boxes at top level.
out('mp4_many_tiny_boxes.mp4', mp4[:32] + (struct.pack('>I', 8) + b'free') * 50000)

# --- HEIF ----------------------------------------------------------------------
heic = src('image/ok_heic_1280x720.heic')
b = heic[:]
struct.pack_into('>I', b, find_box(b, [b'meta']), 0xFFFFFFFF)
out('heic_meta_size_4g.heic', b)
b = heic[:]
at = find_box(b, [b'meta'])
ipma = b.find(b'ipma', at)
struct.pack_into('>I', b, ipma + 8, 0x7FFFFFFF)  # ipma entry_count (after version/flags)
out('heic_ipma_2e31_entries.heic', b)
b = heic[:]
pitm = b.find(b'pitm')
struct.pack_into('>H', b, pitm + 8, 999)  # primary item that does not exist
out('heic_pitm_missing_item.heic', b)

# --- WAV -----------------------------------------------------------------------
wav = src('audio/ok_wav_pcm16_8k_mono_3s.wav')
b = wav[:]
data = b.find(b'data')
struct.pack_into('<I', b, data + 4, 0xFFFFFFFE)  # data chunk claims 4 GB
out('wav_data_claims_4g.wav', b)
b = wav[:]
fmt = b.find(b'fmt ')
struct.pack_into('<I', b, fmt + 4 + 4 + 4, 0)  # sample rate 0 (fmt: tag, channels, rate)
out('wav_sample_rate_0.wav', b)
b = wav[:]
struct.pack_into('<I', b, fmt + 4, 0xFFFFFFFF)  # fmt chunk size 2^32-1
out('wav_fmt_size_4g.wav', b)
b = wav[:]
struct.pack_into('<I', b, 4, 0)  # RIFF size 0
out('wav_riff_size_0.wav', b)

# --- MP3 -------------------------------------------------------------------------
rnd = bytearray()
while len(rnd) < 64 * 1024:
    rnd += bytes([0xFF, random.choice([0xFB, 0xFA, 0xF3, 0xE3])]) + bytes(random.getrandbits(8) for _ in range(random.randint(0, 40)))
out('mp3_random_frame_sync.mp3', rnd)
mp3 = src('audio/ok_mp3_cbr128_stereo_5s.mp3')
b = bytearray(b'ID3\x04\x00\x00\x7f\x7f\x7f\x7f') + mp3[:2000]  # ID3v2 tag claiming 256 MB
out('mp3_id3_claims_256m.mp3', b)

# --- images with broken size fields ------------------------------------------------
png = src('image/ok_png_800x600.png')
b = png[:]
struct.pack_into('>I', b, 8, 0xFFFFFFFF)  # IHDR length 2^32-1
out('png_ihdr_length_4g.png', b)
b = png[:]
struct.pack_into('>I', b, 8, 0)
out('png_ihdr_length_0.png', b)
jpg = src('image/ok_1280x720.jpg')
b = jpg[:]
struct.pack_into('>H', b, 4, 0)  # first segment length 0
out('jpeg_segment_length_0.jpg', b)
b = jpg[:]
struct.pack_into('>H', b, 4, 0xFFFF)
out('jpeg_segment_length_ffff.jpg', b)
webp = src('image/ok_webp_lossy_800x600.webp')
b = webp[:]
struct.pack_into('<I', b, 4, 0xFFFFFFFF)
out('webp_riff_size_4g.webp', b)
b = webp[:]
struct.pack_into('<I', b, 16, 0xFFFFFFFF)  # first chunk (VP8 ) size
out('webp_chunk_size_4g.webp', b)
gif = src('image/ok_gif_anim_3f_400x400.gif')
out('gif_cut_in_first_frame.gif', gif[:len(gif) // 3])
tif = src('image/ok_tiff_le_640x480.tif')
b = tif[:]
struct.pack_into('<I', b, 4, 0xFFFFFFF0)  # IFD0 offset past the end
out('tiff_ifd_offset_past_end.tif', b)
bmp = src('image/ok_bmp24_320x300.bmp')[:4096]  # headers and a little pixel data
b = bmp[:]
struct.pack_into('<i', b, 18, 0)  # width 0
out('bmp_width_0.bmp', b)
