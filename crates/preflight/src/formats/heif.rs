//! HEIF / HEIC header reader (AVIF files, which share the structure, read the
//! same way).
//!
//! Specifications: ISO/IEC 23008-12:2017 (HEIF) § 9.3 "Item properties"
//! (`iprp`, `ipco`, `ipma`), § 6.5.3 `ispe`, § 6.5.9 `clap`, § 6.5.10 `irot`,
//! § 6.5.12 `imir`; ISO/IEC 14496-12:2020 § 8.11.1 `meta`, § 8.11.4 `pitm`,
//! § 8.11.6 `iinf`/`infe`.
//!
//! The displayed size is that of the *primary* item (`pitm`), never the first
//! `ispe` in the file: its `ispe` (for a `grid` item, the grid's own output
//! size), then its transformative properties in the order `ipma` lists them —
//! `clap` crops (to `round(N / D)` of each side), `irot` turns by
//! `angle × 90°` *anticlockwise* (reported as clockwise degrees in
//! [`MediaInfo::rotation`], swapping width and height for 90°/270°), `imir`
//! mirrors. The combined transform is reported as in the MP4 reader: a
//! left-right flip applied first (`mirrored`), then `rotation` clockwise.
//! EXIF orientation inside a HEIF is informational and never applied: the
//! container's `irot`/`imir` already say how to display the image.
//!
//! `codec` is the primary item's type (`hvc1`, `av01`, `grid`, …); `frames`
//! stays `None`. An image sequence with no `meta` box at all is read as a
//! movie by [`super::mp4`] (its video track's size, frames and frame rate).
//! Nothing is
//! allocated by a size from the file: `ipma` and `iinf` are read entry by
//! entry and only the primary item's associations (at most 255) are kept.

use super::isobmff::{fourcc_string, BoxHeader, Content, FourCC, Walker};
use crate::error::{Error, Result};
use crate::info::MediaInfo;
use crate::read::ProbeLimits;
use std::io::{Read, Seek};

const FMT: &str = "heif";

/// Most property associations kept for the primary item (one `ipma` entry holds at most 255).
const MAX_ASSOCIATIONS: usize = 255;

/// One property of the primary item that changes how it is displayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prop {
    /// `ispe`: width, height.
    Size(u32, u32),
    /// `clap`: displayed width and height after the crop.
    Crop(u32, u32),
    /// `irot`: anticlockwise quarter turns.
    Rotate(u8),
    /// `imir`: 0 = vertical axis (left-right flip), 1 = horizontal axis (top-bottom flip).
    Mirror(u8),
    /// A property that does not matter here.
    Other,
}

/// Reads the headers of a HEIF/HEIC (or AVIF) file into a [`MediaInfo`].
pub fn probe<R: Read + Seek>(r: &mut R, size: u64, limits: &ProbeLimits) -> Result<MediaInfo> {
    let mut w = Walker::new(FMT, limits);
    let mut top = w.top(size);
    let mut meta = None;
    let (mut moov, mut mini) = (false, false);
    // Every top-level box is visited (by seeking) so that a file cut short is noticed.
    while let Some(h) = w.next(r, &mut top)? {
        match &h.typ {
            b"meta" if meta.is_none() => meta = Some(h),
            b"moov" => moov = true,
            b"mini" => mini = true,
            _ => {}
        }
    }
    match meta {
        Some(meta) => read_meta(r, &mut w, &meta),
        // An image sequence (brand msf1/hevc) without a still image: its track.
        None if moov => super::mp4::probe(r, size, limits),
        // The low-overhead `mini` box (ISO/IEC 23008-12:2024 Amd 2, brand
        // `mif3`) replaces `meta`: a valid file this reader cannot measure.
        None if mini => Err(Error::unsupported(FMT, "low-overhead `mini` box (mif3)")),
        None => Err(Error::malformed(FMT, "no meta box")),
    }
}

fn read_meta<R: Read + Seek>(r: &mut R, w: &mut Walker, meta: &BoxHeader) -> Result<MediaInfo> {
    let mut b = Content::open(r, meta, "heif (meta)")?;
    let (version, _) = b.full_box()?;
    if version != 0 {
        return Err(Error::unsupported("heif (meta)", "box version above 0"));
    }
    let mut primary = None;
    let mut iinf = None;
    let mut iprp = None;
    let mut c = w.children(meta, 4)?;
    while let Some(h) = w.next(r, &mut c)? {
        match &h.typ {
            b"pitm" if primary.is_none() => {
                let mut b = Content::open(r, &h, "heif (pitm)")?;
                let (v, _) = b.full_box()?;
                primary = Some(if v == 0 {
                    u32::from(b.u16()?)
                } else {
                    b.u32()?
                });
            }
            b"iinf" if iinf.is_none() => iinf = Some(h),
            b"iprp" if iprp.is_none() => iprp = Some(h),
            _ => {}
        }
    }
    let primary = primary.ok_or_else(|| Error::malformed("heif (meta)", "no pitm box"))?;
    let iinf = iinf.ok_or_else(|| Error::malformed("heif (meta)", "no iinf box"))?;
    let item_type = item_type(r, w, &iinf, primary)?
        .ok_or_else(|| Error::malformed("heif (pitm)", "primary item is not in iinf"))?;
    let iprp = iprp.ok_or_else(|| Error::malformed("heif (meta)", "no iprp box"))?;
    let props = primary_properties(r, w, &iprp, primary)?;

    let mut info = MediaInfo::new(crate::info::Format::Heif, 0);
    info.codec = item_type.map(fourcc_string);
    // (width, height) as currently displayed, and the transform so far:
    // a left-right flip first when `mirrored`, then `rot` degrees clockwise.
    let mut size: Option<(u32, u32)> = None;
    let (mut mirrored, mut rot) = (false, 0u32);
    for p in props {
        match p {
            Prop::Size(wd, ht) if size.is_none() => size = Some((wd, ht)),
            Prop::Crop(wd, ht) => {
                size = size.map(|(sw, sh)| (wd.min(sw), ht.min(sh)));
            }
            Prop::Rotate(q) => {
                rot = (rot + 360 - u32::from(q) * 90) % 360;
                if q % 2 == 1 {
                    size = size.map(|(sw, sh)| (sh, sw));
                }
            }
            // H·R(r)·H^m = R(-r)·H^(m+1); a top-bottom flip is R(180)·H.
            Prop::Mirror(axis) => {
                mirrored = !mirrored;
                rot = if axis == 0 {
                    (360 - rot) % 360
                } else {
                    (540 - rot) % 360
                };
            }
            Prop::Size(..) | Prop::Other => {}
        }
    }
    let (wd, ht) =
        size.ok_or_else(|| Error::malformed("heif (ipma)", "primary item has no ispe property"))?;
    info.width = (wd > 0).then_some(wd);
    info.height = (ht > 0).then_some(ht);
    info.rotation = Some(rot);
    info.mirrored = mirrored;
    Ok(info)
}

/// The `infe` entry of `primary`: `None` when there is none, else its item
/// type (`None` for versions 0 and 1, which carry no type).
fn item_type<R: Read + Seek>(
    r: &mut R,
    w: &mut Walker,
    iinf: &BoxHeader,
    primary: u32,
) -> Result<Option<Option<FourCC>>> {
    let mut b = Content::open(r, iinf, "heif (iinf)")?;
    let (v, _) = b.full_box()?;
    let count = if v == 0 {
        u64::from(b.u16()?)
    } else {
        u64::from(b.u32()?)
    };
    b.table(count, 8, w.limits)?; // every entry is a box of 8 bytes or more
    let skip = if v == 0 { 6 } else { 8 };
    let mut c = w.children(iinf, skip)?;
    while let Some(h) = w.next(r, &mut c)? {
        if &h.typ != b"infe" {
            continue;
        }
        let mut b = Content::open(r, &h, "heif (infe)")?;
        let (v, _) = b.full_box()?;
        if v < 2 {
            // Versions 0 and 1 carry no item type.
            let id = b.u16()?;
            if u32::from(id) == primary {
                return Ok(Some(None));
            }
            continue;
        }
        let id = if v == 2 {
            u32::from(b.u16()?)
        } else {
            b.u32()?
        };
        if id == primary {
            b.skip(2)?; // item_protection_index
            return Ok(Some(Some(b.bytes()?)));
        }
    }
    Ok(None)
}

/// The properties associated with `primary`, in `ipma` order.
fn primary_properties<R: Read + Seek>(
    r: &mut R,
    w: &mut Walker,
    iprp: &BoxHeader,
    primary: u32,
) -> Result<Vec<Prop>> {
    let mut ipco = None;
    let mut assoc: Vec<u16> = Vec::new();
    let mut c = w.children(iprp, 0)?;
    while let Some(h) = w.next(r, &mut c)? {
        match &h.typ {
            b"ipco" if ipco.is_none() => ipco = Some(h),
            b"ipma" => read_ipma(r, &h, w.limits, primary, &mut assoc)?,
            _ => {}
        }
    }
    let ipco = ipco.ok_or_else(|| Error::malformed("heif (iprp)", "no ipco box"))?;
    let mut wanted = assoc.clone();
    wanted.sort_unstable();
    wanted.dedup();
    let last = wanted.last().copied().unwrap_or(0);
    let mut found: Vec<(u16, Prop)> = Vec::with_capacity(wanted.len());
    let mut c = w.children(&ipco, 0)?;
    let mut index = 0u16;
    while index < last {
        let Some(h) = w.next(r, &mut c)? else { break };
        index += 1;
        if wanted.binary_search(&index).is_ok() {
            found.push((index, read_property(r, &h)?));
        }
    }
    if index < last {
        return Err(Error::malformed(
            "heif (ipma)",
            "property index beyond ipco",
        ));
    }
    Ok(assoc
        .iter()
        .filter_map(|i| found.iter().find(|(j, _)| j == i).map(|&(_, p)| p))
        .collect())
}

/// Collects the property indices `ipma` associates with `primary` (index 0, "none", left out).
fn read_ipma<R: Read + Seek>(
    r: &mut R,
    h: &BoxHeader,
    limits: &ProbeLimits,
    primary: u32,
    assoc: &mut Vec<u16>,
) -> Result<()> {
    let mut b = Content::open(r, h, "heif (ipma)")?;
    let (v, flags) = b.full_box()?;
    let count = b.u32()?;
    let id_len: u64 = if v < 1 { 2 } else { 4 };
    b.table(u64::from(count), id_len + 1, limits)?;
    let wide = flags & 1 != 0;
    for _ in 0..count {
        let id = if v < 1 { u32::from(b.u16()?) } else { b.u32()? };
        let n = b.u8()?;
        if id != primary {
            b.skip(u64::from(n) * if wide { 2 } else { 1 })?;
            continue;
        }
        if assoc.len() + usize::from(n) > MAX_ASSOCIATIONS {
            return Err(Error::malformed(
                "heif (ipma)",
                "too many properties for the primary item",
            ));
        }
        for _ in 0..n {
            let index = if wide {
                b.u16()? & 0x7fff
            } else {
                u16::from(b.u8()? & 0x7f)
            };
            if index != 0 {
                assoc.push(index);
            }
        }
    }
    Ok(())
}

fn read_property<R: Read + Seek>(r: &mut R, h: &BoxHeader) -> Result<Prop> {
    Ok(match &h.typ {
        b"ispe" => {
            let mut b = Content::open(r, h, "heif (ispe)")?;
            b.full_box()?;
            Prop::Size(b.u32()?, b.u32()?)
        }
        b"irot" => Prop::Rotate(Content::open(r, h, "heif (irot)")?.u8()? & 3),
        b"imir" => Prop::Mirror(Content::open(r, h, "heif (imir)")?.u8()? & 1),
        b"clap" => {
            let mut b = Content::open(r, h, "heif (clap)")?;
            let (wn, wd, hn, hd) = (b.u32()?, b.u32()?, b.u32()?, b.u32()?);
            if wd == 0 || hd == 0 {
                return Err(Error::malformed("heif (clap)", "zero denominator"));
            }
            let round =
                |n: u32, d: u32| ((u64::from(n) * 2 + u64::from(d)) / (2 * u64::from(d))) as u32;
            Prop::Crop(round(wn, wd), round(hn, hd))
        }
        _ => Prop::Other,
    })
}

#[cfg(test)]
mod tests {
    use super::super::isobmff::build::*;
    use super::*;
    use proptest::prelude::*;
    use std::io::Cursor;

    fn run(data: &[u8]) -> Result<MediaInfo> {
        probe(
            &mut Cursor::new(data),
            data.len() as u64,
            &ProbeLimits::default(),
        )
    }

    fn ftyp() -> Vec<u8> {
        bx(b"ftyp", b"heic\0\0\0\0mif1heicmiaf")
    }

    fn ispe(w: u32, h: u32) -> Vec<u8> {
        full(b"ispe", 0, 0, &u32s(&[w, h]))
    }

    fn infe(id: u16, typ: &[u8; 4]) -> Vec<u8> {
        let mut b = id.to_be_bytes().to_vec();
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(typ);
        b.push(0);
        full(b"infe", 2, 0, &b)
    }

    /// ipma version 0; `wide` selects 15-bit indices.
    fn ipma(wide: bool, entries: &[(u16, &[u16])]) -> Vec<u8> {
        let mut b = (entries.len() as u32).to_be_bytes().to_vec();
        for (id, idx) in entries {
            b.extend_from_slice(&id.to_be_bytes());
            b.push(idx.len() as u8);
            for &i in idx.iter() {
                if wide {
                    b.extend_from_slice(&(i | 0x8000).to_be_bytes());
                } else {
                    b.push(i as u8 | 0x80);
                }
            }
        }
        full(b"ipma", 0, u32::from(wide), &b)
    }

    struct H {
        pitm: Vec<u8>,
        infes: Vec<Vec<u8>>,
        props: Vec<Vec<u8>>,
        ipma: Vec<u8>,
    }

    impl H {
        /// One hvc1 item 1280x720 (property 2: ispe; property 1: hvcC stand-in).
        fn single() -> H {
            H {
                pitm: full(b"pitm", 0, 0, &1u16.to_be_bytes()),
                infes: vec![infe(1, b"hvc1")],
                props: vec![bx(b"hvcC", &[1, 2, 3]), ispe(1280, 720)],
                ipma: ipma(false, &[(1, &[1, 2])]),
            }
        }

        fn build(&self) -> Vec<u8> {
            let mut iinf_body = (self.infes.len() as u16).to_be_bytes().to_vec();
            for e in &self.infes {
                iinf_body.extend_from_slice(e);
            }
            let iinf = full(b"iinf", 0, 0, &iinf_body);
            let ipco = bx(b"ipco", &self.props.concat());
            let iprp = bx(b"iprp", &cat(&[&ipco, &self.ipma]));
            let hdlr = full(b"hdlr", 0, 0, b"\0\0\0\0pict\0\0\0\0\0\0\0\0\0\0\0\0\0");
            let meta = full(b"meta", 0, 0, &cat(&[&hdlr, &self.pitm, &iinf, &iprp]));
            cat(&[&ftyp(), &meta, &bx(b"mdat", &[0u8; 16])])
        }
    }

    #[test]
    fn a_low_overhead_mini_file_is_unsupported_not_corrupt() {
        let mut b = vec![0, 0, 0, 16];
        b.extend_from_slice(b"ftypmif3heic");
        b.extend_from_slice(&[0, 0, 0, 12]);
        b.extend_from_slice(b"mini\0\0\0\0");
        let got = probe(
            &mut std::io::Cursor::new(&b),
            b.len() as u64,
            &ProbeLimits::default(),
        );
        assert!(matches!(got, Err(Error::Unsupported { .. })), "{got:?}");
    }

    #[test]
    fn single_image() {
        let i = run(&H::single().build()).unwrap();
        assert_eq!((i.width, i.height), (Some(1280), Some(720)));
        assert_eq!(i.codec.as_deref(), Some("hvc1"));
        assert_eq!((i.rotation, i.mirrored), (Some(0), false));
        assert_eq!(i.frames, None);
    }

    #[test]
    fn primary_is_not_the_first_ispe() {
        let mut h = H::single();
        h.pitm = full(b"pitm", 0, 0, &2u16.to_be_bytes());
        h.infes = vec![infe(1, b"hvc1"), infe(2, b"hvc1")];
        h.props = vec![ispe(200, 200), ispe(1280, 720)];
        h.ipma = ipma(false, &[(1, &[1]), (2, &[2])]);
        let i = run(&h.build()).unwrap();
        assert_eq!((i.width, i.height), (Some(1280), Some(720)));
        // pitm version 1 (32-bit id)
        h.pitm = full(b"pitm", 1, 0, &2u32.to_be_bytes());
        assert_eq!(run(&h.build()).unwrap().width, Some(1280));
    }

    #[test]
    fn irot_is_anticlockwise() {
        for (q, cw, size) in [
            (0u8, 0, (1280, 720)),
            (1, 270, (720, 1280)),
            (2, 180, (1280, 720)),
            (3, 90, (720, 1280)),
        ] {
            let mut h = H::single();
            h.props.push(bx(b"irot", &[q]));
            h.ipma = ipma(false, &[(1, &[1, 2, 3])]);
            let i = run(&h.build()).unwrap();
            assert_eq!(i.rotation, Some(cw), "irot {q}");
            assert_eq!((i.width.unwrap(), i.height.unwrap()), size, "irot {q}");
            assert!(!i.mirrored);
        }
    }

    #[test]
    fn imir_and_irot_compose_in_ipma_order() {
        // props: 1 hvcC, 2 ispe, 3 irot 1 (90 ccw), 4 imir axis 0, 5 imir axis 1
        let mut h = H::single();
        h.props.push(bx(b"irot", &[1]));
        h.props.push(bx(b"imir", &[0]));
        h.props.push(bx(b"imir", &[1]));
        let cases: [(&[u16], u32, bool); 5] = [
            (&[2, 4], 0, true),      // left-right flip
            (&[2, 5], 180, true),    // top-bottom flip = flip then 180
            (&[2, 3, 4], 90, true),  // rotate 270 cw, then flip: flip first, then 90 cw
            (&[2, 4, 3], 270, true), // flip, then 270 cw
            (&[2, 4, 4], 0, false),  // two flips cancel
        ];
        for (assoc, rot, mirrored) in cases {
            h.ipma = ipma(false, &[(1, assoc)]);
            let i = run(&h.build()).unwrap();
            assert_eq!((i.rotation, i.mirrored), (Some(rot), mirrored), "{assoc:?}");
        }
    }

    #[test]
    fn wide_indices_and_ipma_version_1() {
        let mut h = H::single();
        h.ipma = ipma(true, &[(1, &[1, 2])]);
        assert_eq!(run(&h.build()).unwrap().width, Some(1280));
        // version 1: 32-bit item ids
        let mut b = 1u32.to_be_bytes().to_vec();
        b.extend_from_slice(&1u32.to_be_bytes());
        b.extend_from_slice(&[2, 0x81, 0x82]);
        h.ipma = full(b"ipma", 1, 0, &b);
        assert_eq!(run(&h.build()).unwrap().height, Some(720));
    }

    #[test]
    fn grid_uses_its_own_ispe() {
        let mut h = H::single();
        h.infes = vec![infe(1, b"grid"), infe(2, b"hvc1"), infe(3, b"hvc1")];
        h.props = vec![ispe(512, 512), ispe(1024, 512)];
        h.ipma = ipma(false, &[(2, &[1]), (3, &[1]), (1, &[2])]);
        let i = run(&h.build()).unwrap();
        assert_eq!((i.width, i.height), (Some(1024), Some(512)));
        assert_eq!(i.codec.as_deref(), Some("grid"));
    }

    #[test]
    fn clap_crops_before_rotation() {
        let mut h = H::single();
        // 1000 x 300.5 (rounded to 301), then a quarter turn
        h.props
            .push(bx(b"clap", &u32s(&[1000, 1, 601, 2, 0, 1, 0, 1])));
        h.props.push(bx(b"irot", &[1]));
        h.ipma = ipma(false, &[(1, &[2, 3, 4])]);
        let i = run(&h.build()).unwrap();
        assert_eq!((i.width, i.height), (Some(301), Some(1000)));
        h.props[2] = bx(b"clap", &u32s(&[1000, 0, 601, 2, 0, 1, 0, 1]));
        assert!(matches!(
            run(&h.build()),
            Err(Error::Malformed {
                format: "heif (clap)",
                reason: "zero denominator"
            })
        ));
    }

    #[test]
    fn missing_pieces_are_malformed() {
        let mut h = H::single();
        h.pitm = bx(b"free", &[]);
        assert!(matches!(
            run(&h.build()),
            Err(Error::Malformed {
                format: "heif (meta)",
                reason: "no pitm box"
            })
        ));
        let mut f = H::single().build();
        let at = f.windows(4).position(|w| w == b"iinf").unwrap();
        f[at..at + 4].copy_from_slice(b"xxxx");
        assert!(matches!(
            run(&f),
            Err(Error::Malformed {
                format: "heif (meta)",
                reason: "no iinf box"
            })
        ));
        let mut h = H::single();
        h.pitm = full(b"pitm", 0, 0, &7u16.to_be_bytes());
        assert!(matches!(
            run(&h.build()),
            Err(Error::Malformed {
                format: "heif (pitm)",
                reason: "primary item is not in iinf"
            })
        ));
        let mut h = H::single();
        h.ipma = ipma(false, &[(1, &[1])]);
        assert!(matches!(
            run(&h.build()),
            Err(Error::Malformed {
                format: "heif (ipma)",
                reason: "primary item has no ispe property"
            })
        ));
        let mut h = H::single();
        h.ipma = ipma(false, &[(1, &[1, 2, 9])]);
        assert!(matches!(
            run(&h.build()),
            Err(Error::Malformed {
                format: "heif (ipma)",
                reason: "property index beyond ipco"
            })
        ));
        assert!(matches!(
            run(&ftyp()),
            Err(Error::Malformed {
                format: "heif",
                reason: "no meta box"
            })
        ));
    }

    #[test]
    fn sequence_without_meta_reads_its_track() {
        // The smallest movie the mp4 reader takes: mvhd + one video track.
        let mut tkhd = vec![0u8; 20];
        tkhd[11] = 1; // track_ID
        tkhd[19] = 100; // duration
        tkhd.extend_from_slice(&[0u8; 16]);
        for x in [0x10000i32, 0, 0, 0, 0x10000, 0, 0, 0, 0x4000_0000] {
            tkhd.extend_from_slice(&x.to_be_bytes());
        }
        tkhd.extend_from_slice(&u32s(&[64 << 16, 48 << 16]));
        let mut entry = vec![0u8; 24];
        entry.extend_from_slice(&[0, 64, 0, 48]);
        let stbl = bx(
            b"stbl",
            &cat(&[
                &full(b"stsd", 0, 0, &cat(&[&u32s(&[1]), &bx(b"hvc1", &entry)])),
                &full(b"stts", 0, 0, &u32s(&[1, 10, 10])),
            ]),
        );
        let mdia = bx(
            b"mdia",
            &cat(&[
                &full(b"mdhd", 0, 0, &u32s(&[0, 0, 1000, 100, 0])),
                &full(b"hdlr", 0, 0, b"\0\0\0\0pict\0\0\0\0\0\0\0\0\0\0\0\0\0"),
                &bx(b"minf", &stbl),
            ]),
        );
        let mut mvhd = u32s(&[0, 0, 1000, 100]);
        mvhd.extend_from_slice(&[0u8; 80]);
        let moov = bx(
            b"moov",
            &cat(&[
                &full(b"mvhd", 0, 0, &mvhd),
                &bx(b"trak", &cat(&[&full(b"tkhd", 0, 1, &tkhd), &mdia])),
            ]),
        );
        let f = cat(&[&bx(b"ftyp", b"msf1\0\0\0\0msf1hevc"), &moov]);
        let i = run(&f).unwrap();
        assert_eq!((i.width, i.height), (Some(64), Some(48)));
        assert_eq!((i.frames, i.duration_s), (Some(10), Some(0.1)));
        assert_eq!(i.codec.as_deref(), Some("hvc1"));
        assert_eq!(i.has_video, Some(true));
    }

    #[test]
    fn ipma_count_beyond_box_is_malformed() {
        let mut h = H::single();
        let mut b = u32s(&[1000]);
        b.extend_from_slice(&[0, 1, 2, 0x81, 0x82]);
        h.ipma = full(b"ipma", 0, 0, &b);
        assert!(matches!(
            run(&h.build()),
            Err(Error::Malformed {
                format: "heif (ipma)",
                reason: "entry count exceeds box size"
            })
        ));
        // association count past the box end
        h.ipma = full(b"ipma", 0, 0, &cat(&[&u32s(&[1]), &[0, 1, 200, 0x81]]));
        assert!(matches!(
            run(&h.build()),
            Err(Error::Malformed {
                format: "heif (ipma)",
                reason: "box too short for its fields"
            })
        ));
    }

    #[test]
    fn iinf_count_beyond_box_is_malformed() {
        let mut f = H::single().build();
        let p = f.windows(4).position(|w| w == b"iinf").unwrap() + 8;
        f[p..p + 2].copy_from_slice(&0xffffu16.to_be_bytes());
        assert!(matches!(
            run(&f),
            Err(Error::Malformed {
                format: "heif (iinf)",
                reason: "entry count exceeds box size"
            })
        ));
    }

    #[test]
    fn truncation_anywhere_is_an_error() {
        let f = H::single().build();
        let mdat_at = f.len() - 24;
        for n in 0..f.len() {
            let res = run(&f[..n]);
            if (mdat_at..mdat_at + 8).contains(&n) {
                // fewer than 8 bytes after meta: padding, not a box
                assert!(res.is_ok(), "cut at {n}: {res:?}");
            } else {
                assert!(res.is_err(), "cut at {n}");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = run(&data);
        }

        #[test]
        fn mutated_files_never_panic(
            muts in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut h = H::single();
            h.props.push(bx(b"irot", &[1]));
            h.props.push(bx(b"imir", &[1]));
            h.ipma = ipma(true, &[(1, &[1, 2, 3, 4])]);
            let mut f = h.build();
            for (i, b) in muts {
                let at = i.index(f.len());
                f[at] = b;
            }
            let n = cut.index(f.len() + 1);
            if let Ok(i) = run(&f[..n]) {
                prop_assert!(matches!(i.rotation, Some(0 | 90 | 180 | 270)));
            }
        }
    }
}
