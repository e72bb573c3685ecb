//! Content sniffing: what a file really is, from its first bytes.
//!
//! [`classify`] runs one ordered table of signatures over the head of a file.
//! The order matters and is documented beside each row: exact, long magic
//! numbers first; weak ones (ICO, QuickTime without `ftyp`, MP3 and ADTS frame
//! sync) last, each checked beyond its magic so that random data is not taken
//! for media. `infer` is asked only when nothing here matched, for the long
//! tail of types the service does not take.
//!
//! [`sniff`] adds what needs more than the head: it skips ID3v2 tags (which
//! may hold megabytes of cover art) to look at what they precede.

use crate::error::Result;
use crate::info::Format;
use crate::mpeg_audio::{self as mp3, id3v2_len};
use crate::read::{read_up_to, seek_to};
use std::io::{Read, Seek};

/// Bytes read from the start of a file (and after an ID3v2 tag) to sniff it.
pub const HEAD_LEN: usize = 16 * 1024;

/// Consecutive MPEG audio frames that must chain for a file without an ID3v2
/// tag to be taken for MP3 (fewer only where the data ends first).
pub const MP3_SYNC_FRAMES: usize = 4;

/// Judges `r` by its content. Reads at most a few `HEAD_LEN` blocks.
pub fn sniff<R: Read + Seek>(r: &mut R) -> Result<Format> {
    let mut head = vec![0u8; HEAD_LEN];
    seek_to(r, 0)?;
    let n = read_up_to(r, &mut head)?;
    head.truncate(n);
    // ID3v2 tags can be stacked; follow at most a few.
    let mut offset = 0u64;
    let mut tagged = false;
    for _ in 0..4 {
        let Some(len) = id3v2_len(&head) else { break };
        tagged = true;
        offset += len;
        seek_to(r, offset)?;
        head.resize(HEAD_LEN, 0);
        let n = read_up_to(r, &mut head)?;
        head.truncate(n);
    }
    if tagged {
        // After an ID3v2 tag: MP3 needs only two chained frames (or one at the end).
        return Ok(after_id3(&head));
    }
    let format = classify(&head);
    if format == Format::Unknown && head.len() == HEAD_LEN {
        // MPEG audio may start later (SPEC §1): look through 64 KiB, with
        // room for the chain of the last start.
        head.resize(MPEG_SEARCH_READ, 0);
        seek_to(r, 0)?;
        let n = read_up_to(r, &mut head)?;
        head.truncate(n);
        return Ok(mpeg_search(&head));
    }
    Ok(format)
}

fn after_id3(head: &[u8]) -> Format {
    if head.starts_with(b"fLaC") {
        return Format::Flac;
    }
    if mp3_chain(head, 2) {
        return Format::Mp3;
    }
    if adts_chain(head) {
        return Format::Aac;
    }
    // A tag with no audio we know behind it: still an ID3-tagged file, most
    // likely MP3 whose first frame is damaged; the MP3 reader decides.
    match classify(head) {
        Format::Unknown => Format::Mp3,
        f => f,
    }
}

/// Classifies the first bytes of a file. Ordered table; see the module docs.
pub fn classify(b: &[u8]) -> Format {
    // 1. Images with long, exact signatures.
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Format::Jpeg;
    }
    if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Format::Png;
    }
    if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        return Format::Gif;
    }
    // 2. RIFF family: WebP, WAV, AVI; RF64/BW64 WAV.
    if b.len() >= 12 {
        let (id, form) = (&b[..4], &b[8..12]);
        match (id, form) {
            (b"RIFF", b"WEBP") => return Format::Webp,
            (b"RIFF", b"WAVE") | (b"RF64", b"WAVE") | (b"BW64", b"WAVE") => return Format::Wav,
            (b"RIFF", b"AVI ") => return Format::Avi,
            (b"FORM", b"AIFF") | (b"FORM", b"AIFC") => return Format::OtherAudio("aiff"),
            _ => {}
        }
    }
    // 3. TIFF (either byte order) and BigTIFF.
    if b.starts_with(b"II*\0") || b.starts_with(b"MM\0*") {
        return Format::Tiff;
    }
    if b.starts_with(b"II+\0") || b.starts_with(b"MM\0+") {
        return Format::OtherImage("bigtiff");
    }
    // 4. BMP: "BM" plus a known DIB header size, so text starting "BM" is not a bitmap.
    if b.len() >= 18 && b.starts_with(b"BM") {
        let dib = u32::from_le_bytes([b[14], b[15], b[16], b[17]]);
        if matches!(dib, 12 | 16 | 40 | 52 | 56 | 64 | 108 | 124) {
            return Format::Bmp;
        }
    }
    // 5. ISO base media: MP4, MOV, HEIF/HEIC, AVIF, M4A, JPEG XL container, … by brand.
    if b.len() >= 12 && &b[4..8] == b"ftyp" {
        return ftyp_format(b);
    }
    if b.starts_with(&[
        0, 0, 0, 0x0C, b'J', b'X', b'L', b' ', 0x0D, 0x0A, 0x87, 0x0A,
    ]) || b.starts_with(&[0xFF, 0x0A])
    {
        return Format::Jxl;
    }
    if b.starts_with(&[0, 0, 0, 0x0C, b'j', b'P', b' ', b' ']) {
        return Format::OtherImage("jp2");
    }
    // 6. Other exact signatures of types the service does not take.
    if b.starts_with(b"8BPS") {
        return Format::Psd;
    }
    if b.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        let window = &b[..b.len().min(64)];
        if window.windows(4).any(|w| w == b"webm") {
            return Format::Webm;
        }
        return Format::Mkv;
    }
    if b.starts_with(b"fLaC") {
        return Format::Flac;
    }
    if b.starts_with(b"OggS") {
        return Format::Ogg;
    }
    if b.starts_with(b"#!AMR") {
        return Format::OtherAudio("amr");
    }
    if b.starts_with(b"FLV\x01") {
        return Format::OtherVideo("flv");
    }
    if b.starts_with(&[0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11]) {
        return Format::OtherVideo("asf");
    }
    if b.starts_with(&[0, 0, 1, 0xBA]) {
        return Format::OtherVideo("mpeg");
    }
    if b.len() > 376 && b[0] == 0x47 && b[188] == 0x47 && b[376] == 0x47 {
        return Format::OtherVideo("mpegts");
    }
    if b.starts_with(b"qoif") {
        return Format::OtherImage("qoi");
    }
    if b.starts_with(&[0x76, 0x2F, 0x31, 0x01]) {
        return Format::OtherImage("exr");
    }
    if b.starts_with(b"#?RADIANCE") || b.starts_with(b"#?RGBE") {
        return Format::OtherImage("hdr");
    }
    if b.starts_with(b"DDS ") {
        return Format::OtherImage("dds");
    }
    if b.len() >= 3 && b[0] == b'P' && (b'1'..=b'7').contains(&b[1]) && b[2].is_ascii_whitespace() {
        return Format::OtherImage("pnm");
    }
    // 7. Weak signatures, each checked beyond the magic.
    if is_ico(b) {
        return Format::Ico;
    }
    if is_quicktime_without_ftyp(b) {
        return Format::Mov;
    }
    if mp3_chain(b, MP3_SYNC_FRAMES) || mp3_tag_frame(b) {
        return Format::Mp3;
    }
    if let Some(f) = mpeg_chain_at(b, 0) {
        return f;
    }
    if adts_chain(b) {
        return Format::Aac;
    }
    if is_tga(b) {
        return Format::OtherImage("tga");
    }
    // 8. The long tail, from `infer`.
    match infer_fallback(b) {
        // 9. MPEG audio after bytes that are not a frame (zero padding, a cut
        //    frame): the first chain of frames within the bytes given.
        Format::Unknown => mpeg_search(b),
        f => f,
    }
}

/// How far into a file MPEG audio is looked for after bytes that are not a
/// frame (SPEC §1: the first chain of valid frames within the first 64 KiB).
pub(crate) const MPEG_SEARCH: usize = 64 * 1024;

/// The bytes read to search: [`MPEG_SEARCH`] for where a chain may start
/// and 16 KiB more for its frames (four frames of at most 2,881 bytes). A
/// search sees no further, so its answer is the same whether the caller
/// holds these 80 KiB or the whole file.
pub(crate) const MPEG_SEARCH_READ: usize = MPEG_SEARCH + 16 * 1024;

/// A Layer III frame at offset 0 that carries a Xing/Info/VBRI tag: a file of
/// one (possibly cut) metadata frame is still MP3.
fn mp3_tag_frame(b: &[u8]) -> bool {
    let Some(h) = b.get(..4) else { return false };
    mp3::frame_header([h[0], h[1], h[2], h[3]]).is_some_and(|fh| mp3::vbr_tag(b, &fh).is_some())
}

/// `MP3_SYNC_FRAMES` MPEG audio frames of one layer, version and rate chained
/// from `at` (or fewer where the data ends after a whole frame): the format of
/// that layer.
fn mpeg_chain_at(b: &[u8], at: usize) -> Option<Format> {
    let first = mp3::any_header(b.get(at..at + 4)?.try_into().ok()?)?;
    let mut pos = at;
    for i in 0..MP3_SYNC_FRAMES {
        let Some(h) = b.get(pos..pos + 4) else {
            // The data ends exactly after whole frames.
            if i < 2 || pos != b.len() {
                return None;
            }
            break;
        };
        let fh = mp3::any_header([h[0], h[1], h[2], h[3]])?;
        if (fh.layer, fh.version, fh.sample_rate) != (first.layer, first.version, first.sample_rate)
            || fh.frame_len < 4
        {
            return None;
        }
        pos += fh.frame_len as usize;
    }
    Some(match first.layer {
        1 => Format::Mp1,
        2 => Format::Mp2,
        _ => Format::Mp3,
    })
}

/// The first chain of MPEG audio frames that starts within the first
/// [`MPEG_SEARCH`] bytes of `b`, after bytes that are not frames (its
/// frames within [`MPEG_SEARCH_READ`]).
fn mpeg_search(b: &[u8]) -> Format {
    let b = &b[..b.len().min(MPEG_SEARCH_READ)];
    let window = &b[..b.len().min(MPEG_SEARCH)];
    let mut at = 1;
    while let Some(i) = window
        .get(at..)
        .and_then(|w| w.iter().position(|&x| x == 0xFF))
    {
        at += i;
        if let Some(f) = mpeg_chain_at(b, at) {
            return f;
        }
        at += 1;
    }
    Format::Unknown
}

/// Decides MP4, MOV, HEIC, HEIF, AVIF, M4A, … from an `ftyp` box at the start of `b`.
pub fn ftyp_format(b: &[u8]) -> Format {
    let size = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
    let end = size.clamp(8, b.len());
    let mut major: [u8; 4] = [b[8], b[9], b[10], b[11]];
    // `mif3` (HEIF's low-overhead form) puts the image brand in the minor
    // version field (ISO/IEC 23008-12:2024 Amd 2): `avif`, `heic`, …
    if &major == b"mif3" {
        if let Some(minor) = b.get(12..16) {
            major = [minor[0], minor[1], minor[2], minor[3]];
            if !major.iter().all(u8::is_ascii_graphic) {
                major = *b"mif3";
            }
        }
    }
    let compatible: Vec<[u8; 4]> = b
        .get(16..end)
        .unwrap_or(&[])
        .chunks_exact(4)
        .map(|c| [c[0], c[1], c[2], c[3]])
        .collect();
    match brands_format(major, &compatible) {
        Format::Mp4 => heif_by_boxes(b, &compatible).unwrap_or(Format::Mp4),
        f => f,
    }
}

/// Decides the format from a major brand and the compatible brands.
pub fn brands_format(major: [u8; 4], compatible: &[[u8; 4]]) -> Format {
    let is = |set: &[&[u8; 4]], x: &[u8; 4]| set.contains(&x);
    match &major {
        b"qt  " => return Format::Mov,
        b"avif" | b"avis" => return Format::Avif,
        b"M4A " | b"M4B " | b"M4P " | b"F4A " | b"F4B " => return Format::M4a,
        b"crx " => return Format::OtherImage("cr3"),
        b"jxl " => return Format::Jxl,
        b"3gp4" | b"3gp5" | b"3gp6" | b"3g2a" | b"3gp7" | b"3ge6" | b"3gg6" => {
            return Format::OtherVideo("3gp")
        }
        _ => {}
    }
    if is(&HEVC_IMAGE, &major) {
        return Format::Heic;
    }
    if is(&HEIF_IMAGE, &major) {
        // The major brand names the format: a `mif1` file is HEIF even when it
        // lists `heic` among its compatible brands (both are taken alike).
        if compatible.iter().any(|c| c == b"avif" || c == b"avis") {
            return Format::Avif;
        }
        return Format::Heif;
    }
    Format::Mp4
}

/// Brands of HEIF images coded with HEVC (ISO/IEC 23008-12 Annex B).
const HEVC_IMAGE: [&[u8; 4]; 6] = [b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"];

/// Brands of HEIF images that are not HEVC-specific (ISO/IEC 23008-12,
/// ISO/IEC 23000-22 MIAF, and the VVC image brands).
const HEIF_IMAGE: [&[u8; 4]; 7] = [
    b"mif1", b"mif2", b"msf1", b"miaf", b"vvic", b"vvis", b"mif3",
];

/// An ISOBMFF file whose major brand says MP4 but which is an image (SPEC
/// §1): a HEIF brand among the compatible ones, and among the top-level
/// boxes in `b` a `meta` and no `moov`.
fn heif_by_boxes(b: &[u8], compatible: &[[u8; 4]]) -> Option<Format> {
    let heif = compatible
        .iter()
        .any(|c| HEIF_IMAGE.contains(&c) || HEVC_IMAGE.contains(&c));
    if !heif {
        return None;
    }
    let (mut at, mut meta) = (0usize, false);
    while let Some(h) = b.get(at..at + 8) {
        let size = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as usize;
        match &h[4..8] {
            b"moov" => return None,
            b"meta" => meta = true,
            _ => {}
        }
        if size < 8 {
            break;
        }
        at = at.saturating_add(size);
    }
    meta.then(|| {
        if compatible.iter().any(|c| HEVC_IMAGE.contains(&c)) {
            Format::Heic
        } else {
            Format::Heif
        }
    })
}

fn is_ico(b: &[u8]) -> bool {
    // ICONDIR: reserved 0, type 1 (icon) or 2 (cursor), count ≥ 1; first entry's reserved byte 0.
    b.len() >= 22
        && b[0] == 0
        && b[1] == 0
        && (b[2] == 1 || b[2] == 2)
        && b[3] == 0
        && u16::from_le_bytes([b[4], b[5]]) >= 1
        && b[6 + 3] == 0
        && u32::from_le_bytes([b[6 + 8], b[6 + 9], b[6 + 10], b[6 + 11]]) > 0
}

/// TGA has no magic number: accept only a header whose every field is one a
/// TGA writer produces (colour-map type 0/1, a known image type, a colour-map
/// spec that is all zero when there is no map, non-zero size, a known depth,
/// reserved descriptor bits clear). Checked last, after every real signature.
fn is_tga(b: &[u8]) -> bool {
    if b.len() < 18 {
        return false;
    }
    let cmap = b[1];
    let kind = b[2];
    let width = u16::from_le_bytes([b[12], b[13]]);
    let height = u16::from_le_bytes([b[14], b[15]]);
    let depth = b[16];
    let descriptor = b[17];
    cmap <= 1
        && matches!(kind, 1 | 2 | 3 | 9 | 10 | 11)
        && (cmap == 1 || b[3..8].iter().all(|&x| x == 0))
        && (cmap == 0) == !matches!(kind, 1 | 9)
        && width > 0
        && height > 0
        && matches!(depth, 8 | 15 | 16 | 24 | 32)
        && descriptor & 0xC0 == 0
}

fn is_quicktime_without_ftyp(b: &[u8]) -> bool {
    if b.len() < 8 {
        return false;
    }
    let size = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let plausible = size == 1 || size >= 8;
    plausible
        && matches!(
            &b[4..8],
            b"moov" | b"mdat" | b"wide" | b"free" | b"skip" | b"pnot"
        )
}

/// True when `need` MPEG Layer III frames chain from offset 0 (or the data ends
/// after at least one whole frame).
fn mp3_chain(b: &[u8], need: usize) -> bool {
    let mut at = 0usize;
    let mut first: Option<mp3::FrameHeader> = None;
    for i in 0..need {
        let Some(h) = b.get(at..at + 4) else {
            return i >= 1 && at == b.len();
        };
        let Some(fh) = mp3::frame_header([h[0], h[1], h[2], h[3]]) else {
            return false;
        };
        if let Some(f) = first {
            if f.version != fh.version || f.sample_rate != fh.sample_rate {
                return false;
            }
        }
        first = Some(fh);
        at += fh.frame_len as usize;
        if at > b.len() {
            // A frame that runs past the head: fine once enough have chained,
            // and if the head is the whole file it is a truncated stream.
            return i + 1 >= need.min(2);
        }
    }
    true
}

/// ADTS AAC: 12-bit sync, layer 0, and two chained frames.
fn adts_chain(b: &[u8]) -> bool {
    let frame = |at: usize| -> Option<usize> {
        let h = b.get(at..at + 7)?;
        if h[0] != 0xFF || h[1] & 0xF6 != 0xF0 {
            return None;
        }
        let len = ((h[3] as usize & 3) << 11) | ((h[4] as usize) << 3) | (h[5] as usize >> 5);
        (len >= 7).then_some(len)
    };
    match frame(0) {
        Some(len) => frame(len).is_some() || len == b.len(),
        None => false,
    }
}

fn infer_fallback(b: &[u8]) -> Format {
    let Some(t) = infer::get(b) else {
        return Format::Unknown;
    };
    // `infer`'s checks for the formats we read are weaker than ours (MP3 on one
    // sync word, BMP on "BM"): when ours said no, its yes does not count.
    const OURS: [&str; 12] = [
        "jpg", "png", "gif", "webp", "bmp", "tif", "heif", "heic", "mp4", "mov", "mp3", "wav",
    ];
    if OURS.contains(&t.extension()) {
        return Format::Unknown;
    }
    match t.matcher_type() {
        infer::MatcherType::Image => Format::OtherImage(t.extension()),
        infer::MatcherType::Video => Format::OtherVideo(t.extension()),
        infer::MatcherType::Audio => Format::OtherAudio(t.extension()),
        _ => Format::Unknown,
    }
}

/// Whether `ext` (without the dot, any case) is usual for `format`. Formats
/// with no usual extension, and files with none, never mismatch.
pub fn extension_matches(format: Format, ext: Option<&str>) -> bool {
    let Some(ext) = ext else { return true };
    let exts = format.extensions();
    if exts.is_empty() {
        return true;
    }
    exts.iter().any(|e| e.eq_ignore_ascii_case(ext))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn mif3_names_its_brand_in_the_minor_version() {
        let ftyp = |minor: &[u8; 4]| {
            let mut b = vec![0, 0, 0, 16];
            b.extend_from_slice(b"ftypmif3");
            b.extend_from_slice(minor);
            b.extend_from_slice(&[0, 0, 0, 8]);
            b.extend_from_slice(b"mini");
            b
        };
        assert_eq!(classify(&ftyp(b"avif")), Format::Avif);
        assert_eq!(classify(&ftyp(b"heic")), Format::Heic);
        assert_eq!(classify(&ftyp(&[0, 0, 0, 1])), Format::Heif);
    }

    #[test]
    fn heif_brands_with_a_meta_box_and_no_moov_are_images_whatever_the_major_brand() {
        let mut b = vec![0, 0, 0, 24];
        b.extend_from_slice(b"ftypisom\0\0\0\0mif2miaf");
        b.extend_from_slice(&[0, 0, 0, 8]);
        b.extend_from_slice(b"meta");
        assert_eq!(classify(&b), Format::Heif);
        // The same brands beside a movie: MP4.
        b[28..32].copy_from_slice(b"moov");
        assert_eq!(classify(&b), Format::Mp4);
    }

    fn ftyp(major: &[u8; 4], compat: &[&[u8; 4]]) -> Vec<u8> {
        let mut v = Vec::new();
        let size = 16 + 4 * compat.len() as u32;
        v.extend_from_slice(&size.to_be_bytes());
        v.extend_from_slice(b"ftyp");
        v.extend_from_slice(major);
        v.extend_from_slice(&[0, 0, 2, 0]);
        for c in compat {
            v.extend_from_slice(*c);
        }
        v
    }

    #[test]
    fn brands_decide_isobmff_formats() {
        assert_eq!(classify(&ftyp(b"isom", &[b"isom", b"avc1"])), Format::Mp4);
        assert_eq!(classify(&ftyp(b"qt  ", &[b"qt  "])), Format::Mov);
        assert_eq!(classify(&ftyp(b"heic", &[b"mif1", b"heic"])), Format::Heic);
        assert_eq!(classify(&ftyp(b"mif1", &[b"mif1", b"heic"])), Format::Heif);
        assert_eq!(classify(&ftyp(b"mif1", &[b"mif1"])), Format::Heif);
        assert_eq!(classify(&ftyp(b"msf1", &[b"msf1", b"hevc"])), Format::Heif);
        assert_eq!(classify(&ftyp(b"avif", &[b"mif1", b"avif"])), Format::Avif);
        assert_eq!(classify(&ftyp(b"mif1", &[b"mif1", b"avif"])), Format::Avif);
        assert_eq!(classify(&ftyp(b"M4A ", &[b"M4A ", b"mp42"])), Format::M4a);
        for b in [b"heix", b"heim", b"heis", b"hevc", b"hevx"] {
            assert_eq!(classify(&ftyp(b, &[])), Format::Heic);
        }
    }

    #[test]
    fn quicktime_without_ftyp() {
        let mut v = vec![0, 0, 0, 8];
        v.extend_from_slice(b"wide");
        v.extend_from_slice(&[0, 0, 0, 16]);
        v.extend_from_slice(b"mdat");
        assert_eq!(classify(&v), Format::Mov);
        // A size of 3 is no box.
        assert_eq!(
            classify(&[0, 0, 0, 3, b'm', b'o', b'o', b'v']),
            Format::Unknown
        );
    }

    fn mp3_frames(n: usize) -> Vec<u8> {
        // MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no padding: 417 bytes a frame.
        let mut v = Vec::new();
        for _ in 0..n {
            let mut f = vec![0u8; 417];
            f[..4].copy_from_slice(&[0xFF, 0xFB, 0x90, 0x64]);
            v.extend_from_slice(&f);
        }
        v
    }

    #[test]
    fn mp3_frame_sync_needs_a_chain() {
        assert_eq!(classify(&mp3_frames(6)), Format::Mp3);
        // One lone sync word followed by garbage is not MP3.
        let mut v = mp3_frames(1);
        v.extend_from_slice(&[0x55; 2000]);
        assert_eq!(classify(&v), Format::Unknown);
    }

    #[test]
    fn id3_tag_is_skipped_however_large() {
        let body = 3 << 20; // 3 MiB of "cover art"
        let mut v = b"ID3\x04\x00\x00".to_vec();
        v.extend_from_slice(&[
            (body >> 21) as u8 & 0x7F,
            (body >> 14) as u8 & 0x7F,
            (body >> 7) as u8 & 0x7F,
            body as u8 & 0x7F,
        ]);
        v.resize(10 + body, 0);
        v.extend_from_slice(&mp3_frames(3));
        assert_eq!(sniff(&mut Cursor::new(&v)).unwrap(), Format::Mp3);
        let mut flac = v[..10 + body].to_vec();
        flac.extend_from_slice(b"fLaC\0\0\0\x22");
        assert_eq!(sniff(&mut Cursor::new(&flac)).unwrap(), Format::Flac);
    }

    #[test]
    fn riff_family() {
        let riff = |id: &[u8; 4], form: &[u8; 4]| {
            let mut v = id.to_vec();
            v.extend_from_slice(&[0, 0, 0, 0]);
            v.extend_from_slice(form);
            v
        };
        assert_eq!(classify(&riff(b"RIFF", b"WEBP")), Format::Webp);
        assert_eq!(classify(&riff(b"RIFF", b"WAVE")), Format::Wav);
        assert_eq!(classify(&riff(b"RF64", b"WAVE")), Format::Wav);
        assert_eq!(classify(&riff(b"RIFF", b"AVI ")), Format::Avi);
    }

    #[test]
    fn tga_by_header_fields() {
        let mut h = vec![
            0u8, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x90, 1, 0x2c, 1, 24, 0,
        ];
        assert_eq!(classify(&h), Format::OtherImage("tga"));
        h[16] = 7; // no such depth
        assert_eq!(classify(&h), Format::Unknown);
    }

    #[test]
    fn text_is_unknown() {
        assert_eq!(
            classify(b"BM is not a bitmap, just some text here"),
            Format::Unknown
        );
        assert_eq!(classify(b"hello world\n"), Format::Unknown);
        assert_eq!(classify(b""), Format::Unknown);
    }

    #[test]
    fn extension_check() {
        assert!(extension_matches(Format::Jpeg, Some("JPG")));
        assert!(!extension_matches(Format::Png, Some("jpg")));
        assert!(extension_matches(Format::Png, None));
    }
}
