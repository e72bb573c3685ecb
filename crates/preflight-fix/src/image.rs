//! Image repairs in pure Rust: decode with `image` (EXIF orientation applied
//! to the pixels; re-encoding drops the tag), crop or pad the aspect ratio,
//! resize with `fast_image_resize` (Lanczos3), and encode, stepping JPEG
//! quality down until the file is under the size limit.
//!
//! PSD is read with the `psd` crate (its flattened composite). AVIF and
//! JPEG XL have no decoder here: `ffmpeg` decodes them into PNG first when it
//! is on `PATH`; so does any picture the `image` crate fails on (an ICO
//! holding a grey PNG, an unusual TIFF). HEIC/HEIF is decoded by libheif
//! with the `heif` feature (off by default; it needs `libheif-dev`).

use super::plan::{fit, AspectMode, Bounds, FixOptions, FixPlan, Geometry, Size, Step};
use super::{FixError, Input, NotRepairable, Repaired};
use crate::budget::{Budget, Resource};
use fast_image_resize as fr;
use image::codecs::gif::{GifDecoder, GifEncoder, Repeat};
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::codecs::webp::WebPEncoder;
use image::{
    AnimationDecoder, DynamicImage, Frame, ImageDecoder, ImageEncoder, ImageFormat, ImageReader,
    Rgba, RgbaImage,
};
use preflight::human_bytes;
use preflight::Format;
use preflight::Profile;
use std::io::Cursor;

fn image_format(f: Format) -> Option<ImageFormat> {
    Some(match f {
        Format::Jpeg => ImageFormat::Jpeg,
        Format::Png => ImageFormat::Png,
        Format::Gif => ImageFormat::Gif,
        Format::Webp => ImageFormat::WebP,
        Format::Bmp => ImageFormat::Bmp,
        Format::Tiff => ImageFormat::Tiff,
        Format::Ico => ImageFormat::Ico,
        Format::OtherImage("tga") => ImageFormat::Tga,
        Format::OtherImage("qoi") => ImageFormat::Qoi,
        Format::OtherImage("pnm") => ImageFormat::Pnm,
        Format::OtherImage("exr") => ImageFormat::OpenExr,
        Format::OtherImage("hdr") => ImageFormat::Hdr,
        _ => return None,
    })
}

/// A decoded picture.
pub(crate) struct Decoded {
    /// The picture, orientation applied.
    pub image: DynamicImage,
    /// The ICC colour profile, kept on re-encoding.
    pub icc: Option<Vec<u8>>,
    /// Whether an EXIF orientation other than "normal" was applied.
    pub oriented: bool,
}

/// Bytes of a picture's pixels.
fn bytes_of(img: &DynamicImage) -> u64 {
    img.as_bytes().len() as u64
}

/// Decodes `input` (of `format`), applying its EXIF orientation to the
/// pixels. The decoded pixels are reserved against `budget` before the
/// decoder allocates them (and stay reserved: `bytes_of(&d.image)`).
pub(crate) fn decode(
    input: Input<'_>,
    format: Format,
    budget: &mut Budget,
) -> Result<Decoded, FixError> {
    if matches!(format, Format::Heic | Format::Heif) {
        let data = input.bytes(budget)?;
        let d = decode_heif(&data, format, budget);
        if let Input::File(_) = input {
            budget.free(data.len() as u64);
        }
        return d;
    }
    let dec_err = |e: image::ImageError| FixError::decode(format, e);
    let fmt = image_format(format).ok_or_else(|| {
        FixError::decode(
            format,
            format!("no decoder for {} here", format.name().to_uppercase()),
        )
    })?;
    let mut reader = ImageReader::with_format(input.reader()?, fmt);
    reader.limits(budget.image_limits());
    let mut dec = reader.into_decoder().map_err(dec_err)?;
    // What `ImageReader::decode` does and `into_decoder` does not: reserve
    // the whole picture before any pixel is allocated.
    let total = dec.total_bytes();
    budget.reserve(total)?;
    let orientation = dec
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let icc = dec.icc_profile().ok().flatten();
    let mut image = DynamicImage::from_decoder(dec).map_err(dec_err)?;
    let oriented = orientation != image::metadata::Orientation::NoTransforms;
    if oriented {
        // A turn makes a copy.
        budget.reserve(total)?;
        image.apply_orientation(orientation);
        budget.free(total);
    }
    Ok(Decoded {
        image,
        icc,
        oriented,
    })
}

/// Whether any pixel is not fully opaque.
pub(crate) fn has_transparency(img: &DynamicImage) -> bool {
    if !img.color().has_alpha() {
        return false;
    }
    match img {
        DynamicImage::ImageRgba8(b) => b.pixels().any(|p| p.0[3] != 255),
        DynamicImage::ImageLumaA8(b) => b.pixels().any(|p| p.0[1] != 255),
        other => other.to_rgba8().pixels().any(|p| p.0[3] != 255),
    }
}

/// Brings any decoded picture to 8 bits per channel (Luma8, LumaA8, Rgb8 or
/// Rgba8). Floating-point pictures (OpenEXR, Radiance HDR) are tone-mapped
/// (Reinhard, then sRGB gamma).
pub(crate) fn to_8bit(img: DynamicImage) -> DynamicImage {
    match img {
        DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_) => img,
        DynamicImage::ImageRgb32F(b) => {
            let (w, h) = b.dimensions();
            let px = b.into_raw().into_iter().map(tone_map).collect();
            DynamicImage::ImageRgb8(image::RgbImage::from_raw(w, h, px).unwrap_or_default())
        }
        DynamicImage::ImageRgba32F(b) => {
            let (w, h) = b.dimensions();
            let px = b
                .into_raw()
                .chunks_exact(4)
                .flat_map(|c| {
                    [
                        tone_map(c[0]),
                        tone_map(c[1]),
                        tone_map(c[2]),
                        (c[3].clamp(0.0, 1.0) * 255.0).round() as u8,
                    ]
                })
                .collect();
            DynamicImage::ImageRgba8(RgbaImage::from_raw(w, h, px).unwrap_or_default())
        }
        DynamicImage::ImageLuma16(_) => DynamicImage::ImageLuma8(img.to_luma8()),
        DynamicImage::ImageLumaA16(_) => DynamicImage::ImageLumaA8(img.to_luma_alpha8()),
        other if other.color().has_alpha() => DynamicImage::ImageRgba8(other.to_rgba8()),
        other => DynamicImage::ImageRgb8(other.to_rgb8()),
    }
}

fn tone_map(v: f32) -> u8 {
    let v = if v.is_finite() { v.max(0.0) } else { 0.0 };
    let t = v / (1.0 + v);
    (t.powf(1.0 / 2.2) * 255.0).round().clamp(0.0, 255.0) as u8
}

/// Removes the alpha channel by compositing over `bg`.
pub(crate) fn flatten(img: DynamicImage, bg: [u8; 3]) -> DynamicImage {
    if !img.color().has_alpha() {
        return img;
    }
    let gray = matches!(img, DynamicImage::ImageLumaA8(_));
    let rgba = img.to_rgba8();
    let (w, h) = rgba.dimensions();
    let mut out = image::RgbImage::new(w, h);
    for (o, p) in out.pixels_mut().zip(rgba.pixels()) {
        let a = p.0[3] as u32;
        for ((o, &f), &b) in o.0.iter_mut().zip(&p.0[..3]).zip(&bg) {
            *o = ((f as u32 * a + b as u32 * (255 - a) + 127) / 255) as u8;
        }
    }
    if gray {
        DynamicImage::ImageLuma8(DynamicImage::ImageRgb8(out).to_luma8())
    } else {
        DynamicImage::ImageRgb8(out)
    }
}

/// Resizes (a crop of) `src` to `to` with Lanczos3.
pub(crate) fn resize(
    src: &DynamicImage,
    crop: Option<super::plan::Rect>,
    to: Size,
) -> Result<DynamicImage, FixError> {
    let mut dst = DynamicImage::new(to.w, to.h, src.color());
    let mut opts =
        fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3));
    if let Some(r) = crop {
        opts = opts.crop(r.x as f64, r.y as f64, r.w as f64, r.h as f64);
    }
    let mut resizer = fr::Resizer::new();
    resizer
        .resize(src, &mut dst, &opts)
        .map_err(|e| FixError::Resize { source: e.into() })?;
    Ok(dst)
}

/// Centres `img` on a `to` canvas filled with `color` (opaque).
pub(crate) fn pad(img: &DynamicImage, to: Size, color: [u8; 3]) -> DynamicImage {
    let (w, h) = (img.width(), img.height());
    let x = (to.w.saturating_sub(w) / 2) as i64;
    let y = (to.h.saturating_sub(h) / 2) as i64;
    match img {
        DynamicImage::ImageRgba8(_) | DynamicImage::ImageLumaA8(_) => {
            let mut c =
                RgbaImage::from_pixel(to.w, to.h, Rgba([color[0], color[1], color[2], 255]));
            image::imageops::replace(&mut c, &img.to_rgba8(), x, y);
            DynamicImage::ImageRgba8(c)
        }
        DynamicImage::ImageLuma8(b) if color[0] == color[1] && color[1] == color[2] => {
            let mut c = image::GrayImage::from_pixel(to.w, to.h, image::Luma([color[0]]));
            image::imageops::replace(&mut c, b, x, y);
            DynamicImage::ImageLuma8(c)
        }
        _ => {
            let mut c = image::RgbImage::from_pixel(to.w, to.h, image::Rgb(color));
            image::imageops::replace(&mut c, &img.to_rgb8(), x, y);
            DynamicImage::ImageRgb8(c)
        }
    }
}

/// Carries out a [`Geometry`] on one picture.
pub(crate) fn transform(
    img: &DynamicImage,
    g: &Geometry,
    color: [u8; 3],
) -> Result<DynamicImage, FixError> {
    if g.is_identity() {
        return Ok(img.clone());
    }
    let cropped_size = g.crop.map(|r| Size::new(r.w, r.h)).unwrap_or(g.input);
    let scaled = if g.scaled != cropped_size {
        resize(img, g.crop, g.scaled)?
    } else if let Some(r) = g.crop {
        img.crop_imm(r.x, r.y, r.w, r.h)
    } else {
        img.clone()
    };
    Ok(if g.canvas != g.scaled {
        pad(&scaled, g.canvas, color)
    } else {
        scaled
    })
}

/// Encodes one picture (8-bit) as `format`.
pub(crate) fn encode(
    img: &DynamicImage,
    format: Format,
    quality: u8,
    icc: Option<&[u8]>,
) -> Result<Vec<u8>, FixError> {
    let mut buf = Vec::new();
    let (w, h) = (img.width(), img.height());
    let enc_err = |e: image::ImageError| FixError::encode(format, e);
    match format {
        Format::Jpeg => {
            let flat;
            let img = if img.color().has_alpha() {
                flat = flatten(img.clone(), [255, 255, 255]);
                &flat
            } else {
                img
            };
            let color = match img {
                DynamicImage::ImageLuma8(_) => jpeg_encoder::ColorType::Luma,
                DynamicImage::ImageRgb8(_) => jpeg_encoder::ColorType::Rgb,
                _ => {
                    return encode(
                        &DynamicImage::ImageRgb8(img.to_rgb8()),
                        format,
                        quality,
                        icc,
                    )
                }
            };
            let (Ok(w16), Ok(h16)) = (u16::try_from(w), u16::try_from(h)) else {
                return Err(FixError::encode(
                    format,
                    format!("{w}×{h} is beyond JPEG's 65,535 px a side"),
                ));
            };
            // jpeg-encoder (AVX2 when the CPU has it); 4:2:0 below q=90, 4:4:4 from 90
            // on, as libjpeg's cjpeg, ImageMagick and libvips do.
            let mut e = jpeg_encoder::Encoder::new(&mut buf, quality.clamp(1, 100));
            if let Some(p) = icc {
                let _ = e.add_icc_profile(p);
            }
            e.encode(img.as_bytes(), w16, h16, color)
                .map_err(|e| FixError::encode(format, e))?;
        }
        Format::Png => {
            let mut e = PngEncoder::new_with_quality(
                &mut buf,
                CompressionType::Default,
                FilterType::Adaptive,
            );
            if let Some(p) = icc {
                let _ = e.set_icc_profile(p.to_vec());
            }
            e.write_image(img.as_bytes(), w, h, img.color().into())
                .map_err(enc_err)?;
        }
        Format::Webp => {
            let img = if img.color().has_alpha() {
                DynamicImage::ImageRgba8(img.to_rgba8())
            } else {
                DynamicImage::ImageRgb8(img.to_rgb8())
            };
            WebPEncoder::new_lossless(&mut buf)
                .write_image(img.as_bytes(), w, h, img.color().into())
                .map_err(enc_err)?;
        }
        Format::Gif => {
            let mut e = GifEncoder::new_with_speed(&mut buf, 10);
            e.encode_frame(Frame::new(img.to_rgba8()))
                .map_err(enc_err)?;
        }
        Format::Bmp => {
            let img = if img.color().has_alpha() {
                DynamicImage::ImageRgba8(img.to_rgba8())
            } else {
                DynamicImage::ImageRgb8(img.to_rgb8())
            };
            img.write_to(&mut Cursor::new(&mut buf), ImageFormat::Bmp)
                .map_err(enc_err)?;
        }
        Format::Tiff => {
            img.write_to(&mut Cursor::new(&mut buf), ImageFormat::Tiff)
                .map_err(enc_err)?;
        }
        other => {
            return Err(FixError::encode(
                other,
                format!("cannot write {}", other.name().to_uppercase()),
            ))
        }
    }
    Ok(buf)
}

#[cfg(test)]
fn encode_animation(frames: Vec<Frame>) -> Result<Vec<u8>, FixError> {
    let enc_err = |e: image::ImageError| FixError::encode(Format::Gif, e);
    let mut buf = Vec::new();
    {
        let mut e = GifEncoder::new_with_speed(&mut buf, 10);
        e.set_repeat(Repeat::Infinite).map_err(enc_err)?;
        e.encode_frames(frames).map_err(enc_err)?;
    }
    Ok(buf)
}

/// Encodes under `max_bytes`: JPEG quality steps down by 5 from `quality` to
/// `min_quality`; a lossless format without transparency switches to JPEG;
/// as a last resort the picture is scaled down (never below the profile's
/// minimum sides). Returns the bytes, the format, the quality used and the
/// final picture size.
fn encode_to_fit(
    mut img: DynamicImage,
    mut format: Format,
    opts: (u8, u8),
    icc: Option<&[u8]>,
    max_bytes: u64,
    b: &Bounds,
    actions: &mut Vec<String>,
) -> Result<(Vec<u8>, Format), FixError> {
    let (quality, min_quality) = opts;
    let transparent = has_transparency(&img);
    for _shrink in 0..6 {
        if format == Format::Jpeg {
            let mut q = quality;
            loop {
                let bytes = encode(&img, Format::Jpeg, q, icc)?;
                if (bytes.len() as u64) < max_bytes {
                    actions.push(format!("re-encoded JPEG q={q}"));
                    return Ok((bytes, Format::Jpeg));
                }
                if q <= min_quality {
                    break;
                }
                q = q.saturating_sub(5).max(min_quality);
            }
        } else {
            let bytes = encode(&img, format, quality, icc)?;
            if (bytes.len() as u64) < max_bytes {
                actions.push(format!("re-encoded {}", format.name().to_uppercase()));
                return Ok((bytes, format));
            }
            if !transparent {
                actions.push(format!(
                    "{} too large ({}): converted to JPEG",
                    format.name().to_uppercase(),
                    human_bytes(bytes.len() as u64)
                ));
                format = Format::Jpeg;
                continue;
            }
        }
        // Still too large at the lowest quality: scale down by 20 % and retry.
        let (w, h) = (img.width(), img.height());
        let nw = ((w as f64 * 0.8).round() as u32).max(1);
        let nh = ((h as f64 * 0.8).round() as u32).max(1);
        let next = Size::new(nw, nh);
        if !b.contains(next) {
            break;
        }
        actions.push(format!(
            "scaled down {w}×{h} → {next} to get under {}",
            human_bytes(max_bytes)
        ));
        img = resize(&img, None, next)?;
    }
    Err(NotRepairable::SizeUnreachable {
        max_bytes,
        min_quality,
    }
    .into())
}

/// Decodes the primary image of a HEIF/HEIC with libheif, which applies its
/// `irot`/`imir` (an EXIF orientation inside a HEIF is informational and is
/// not applied again: SPEC §6).
#[cfg(feature = "heif")]
pub(crate) fn decode_heif(
    data: &[u8],
    format: Format,
    budget: &mut Budget,
) -> Result<Decoded, FixError> {
    use libheif_rs::{ColorSpace, HeifContext, RgbChroma};
    let dec_err = |e: libheif_rs::HeifError| FixError::decode(format, e);
    let ctx = HeifContext::read_from_bytes(data).map_err(dec_err)?;
    let handle = ctx.primary_image_handle().map_err(dec_err)?;
    let alpha = handle.has_alpha_channel();
    let (w, h) = (handle.width(), handle.height());
    let bpp = if alpha { 4usize } else { 3 };
    // libheif's own planes and our copy.
    budget.reserve_n(2 * w as u64 * h as u64, bpp as u64)?;
    let chroma = if alpha {
        RgbChroma::Rgba
    } else {
        RgbChroma::Rgb
    };
    let img = handle
        .decode(ColorSpace::Rgb(chroma), None)
        .map_err(dec_err)?;
    let planes = img.planes();
    let p = planes
        .interleaved
        .ok_or_else(|| FixError::decode(format, "heif: no interleaved plane"))?;
    let (w, h) = (p.width, p.height);
    let row = w as usize * bpp;
    let mut px = Vec::new();
    for y in 0..h as usize {
        let start = y * p.stride;
        let line = p
            .data
            .get(start..start + row)
            .ok_or_else(|| FixError::decode(format, "heif: plane shorter than its size"))?;
        px.extend_from_slice(line);
    }
    let image = if alpha {
        RgbaImage::from_raw(w, h, px).map(DynamicImage::ImageRgba8)
    } else {
        image::RgbImage::from_raw(w, h, px).map(DynamicImage::ImageRgb8)
    }
    .ok_or_else(|| FixError::decode(format, "heif: plane size mismatch"))?;
    budget.free(w as u64 * h as u64 * bpp as u64);
    Ok(Decoded {
        image,
        icc: None,
        oriented: false,
    })
}

/// Without the `heif` feature there is no HEIF decoder.
#[cfg(not(feature = "heif"))]
pub(crate) fn decode_heif(
    _data: &[u8],
    _format: Format,
    _budget: &mut Budget,
) -> Result<Decoded, FixError> {
    Err(NotRepairable::NeedsHeifFeature.into())
}

/// Decodes the flattened composite of a Photoshop document (`psd` crate).
/// The crate may panic on a malformed file: that is caught and reported.
/// The composite is reserved against `budget` (twice: the crate's and ours)
/// before it is made.
pub(crate) fn decode_psd(data: &[u8], budget: &mut Budget) -> Result<Decoded, FixError> {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(
        || -> Result<DynamicImage, FixError> {
            let psd = psd::Psd::from_bytes(data)
                .map_err(|e| FixError::decode(Format::Psd, format!("psd: {e}")))?;
            let (w, h) = (psd.width(), psd.height());
            budget.reserve_n(w as u64 * h as u64, 4)?;
            RgbaImage::from_raw(w, h, psd.rgba())
                .map(DynamicImage::ImageRgba8)
                .ok_or_else(|| {
                    FixError::decode(Format::Psd, "psd: composite size does not match the header")
                })
        },
    ));
    match result {
        Ok(Ok(image)) => Ok(Decoded {
            image,
            icc: None,
            oriented: false,
        }),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(FixError::decode(Format::Psd, "psd: malformed document")),
    }
}

/// Decodes the input with ffmpeg into a PNG in a private folder, then
/// decodes that PNG within the budget.
fn decode_with_ffmpeg(
    input: Input<'_>,
    format: Format,
    opts: &FixOptions,
    budget: &mut Budget,
) -> Result<Decoded, FixError> {
    let ff = super::Ffmpeg::find().ok_or(NotRepairable::NeedsFfmpeg)?;
    let path = input.path().ok_or(NotRepairable::NeedsFilePath)?;
    let dir = crate::ffmpeg::private_dir(None)?;
    let png = ff.to_png(path, format, dir.path(), budget.remaining(), &opts.limits)?;
    decode(Input::File(&png), Format::Png, budget)
}

/// The geometry of the plan's steps; without any (a picture the probe did
/// not measure), planned here from the decoded size, as [`crate::plan`]
/// documents.
fn geometry(
    plan: &FixPlan,
    w: u32,
    h: u32,
    b: &Bounds,
    mode: AspectMode,
) -> Result<Geometry, FixError> {
    match Geometry::from_steps(&plan.steps) {
        Some(g) if g.input == Size::new(w, h) => Ok(g),
        Some(g) => Err(FixError::decode(
            plan.input,
            format!(
                "the picture decodes as {w}×{h}, the plan was made for {}",
                g.input
            ),
        )),
        None => fit(w, h, b, mode).ok_or_else(|| NotRepairable::ImageBoundsUnreachable.into()),
    }
}

/// Repairs an image as `plan` says, within the budget of `opts.limits`.
pub(crate) fn repair(
    plan: &FixPlan,
    input: Input<'_>,
    p: &Profile,
    opts: &FixOptions,
) -> Result<Repaired, FixError> {
    let mut budget = Budget::new(&opts.limits);
    let (target, png_if_alpha) = plan
        .steps
        .iter()
        .find_map(|s| match s {
            Step::Convert {
                to, png_if_alpha, ..
            } => Some((*to, *png_if_alpha)),
            _ => None,
        })
        .unwrap_or((plan.output.unwrap_or(plan.input), false));
    let (quality, min_quality, max_bytes) = plan
        .steps
        .iter()
        .find_map(|s| match s {
            Step::Reencode {
                quality,
                min_quality,
                max_bytes,
                ..
            } => Some((*quality, *min_quality, *max_bytes)),
            _ => None,
        })
        .unwrap_or((opts.quality, opts.min_quality, p.image.max_bytes));
    let b = Bounds::image(p);
    let mut actions = Vec::new();
    if plan.input == Format::Gif && target == Format::Gif {
        if let Some(r) = repair_animation(plan, input, &b, opts, max_bytes, &mut budget)? {
            return Ok(r);
        }
    }
    let decoded = if plan.input == Format::Psd {
        let data = input.bytes(&mut budget)?;
        let held = match input {
            Input::File(_) => data.len() as u64,
            Input::Bytes(_) => 0,
        };
        let d = decode_psd(&data, &mut budget);
        drop(data);
        budget.free(held);
        match d {
            Ok(d) => d,
            Err(e @ FixError::OverBudget { .. }) => return Err(e),
            Err(e) if input.path().is_some() && super::Ffmpeg::find().is_some() => {
                let mut fresh = Budget::new(&opts.limits);
                let d = decode_with_ffmpeg(input, plan.input, opts, &mut fresh).map_err(|_| e)?;
                budget = fresh;
                d
            }
            Err(e) => return Err(e),
        }
    } else if matches!(plan.input, Format::Avif | Format::Jxl) {
        decode_with_ffmpeg(input, plan.input, opts, &mut budget)?
    } else {
        match decode(input, plan.input, &mut budget) {
            Ok(d) => d,
            Err(e @ FixError::OverBudget { .. }) => return Err(e),
            // The `image` crate does not read every variant (ICO holding a
            // non-RGBA PNG, unusual TIFFs): ffmpeg may.
            Err(e) => match (super::Ffmpeg::find(), input) {
                (Some(_), Input::File(_)) => {
                    let mut fresh = Budget::new(&opts.limits);
                    let d =
                        decode_with_ffmpeg(input, plan.input, opts, &mut fresh).map_err(|_| e)?;
                    budget = fresh;
                    actions.push("decoded with ffmpeg".into());
                    d
                }
                _ => return Err(e),
            },
        }
    };
    let Decoded {
        image,
        icc,
        oriented,
    } = decoded;
    if oriented {
        actions.push("applied EXIF orientation".into());
    }
    let before = bytes_of(&image);
    budget.reserve_n(image.width() as u64 * image.height() as u64, 4)?;
    let image = to_8bit(image);
    budget.free(before);
    let mut format = target;
    if png_if_alpha && has_transparency(&image) {
        format = Format::Png;
    }
    if format != plan.input {
        actions.push(format!(
            "converted {} → {}",
            plan.input.name().to_uppercase(),
            format.name().to_uppercase()
        ));
    }
    let g = geometry(plan, image.width(), image.height(), &b, opts.aspect)?;
    describe_geometry(&g, opts.aspect, &mut actions);
    // The scaled picture and the canvas, then the encoder's copy and output.
    budget.reserve_n(g.scaled.pixels() + 3 * g.canvas.pixels(), 4)?;
    let out = transform(&image, &g, opts.pad_color)?;
    drop(image);
    let (bytes, format) = encode_to_fit(
        out,
        format,
        (quality, min_quality),
        icc.as_deref(),
        max_bytes,
        &b,
        &mut actions,
    )?;
    Ok(Repaired {
        bytes,
        format,
        actions,
    })
}

/// Counts the frames of a GIF without decoding their pixels, stopping once
/// `frames × canvas` passes `max_pixels`.
fn gif_frames(input: Input<'_>, max_pixels: u64) -> Result<(u64, u32, u32), FixError> {
    let dec_err = |e: gif::DecodingError| FixError::decode(Format::Gif, e);
    let mut o = gif::DecodeOptions::new();
    o.set_color_output(gif::ColorOutput::Indexed);
    let mut d = o.read_info(input.reader()?).map_err(dec_err)?;
    let (w, h) = (d.width() as u32, d.height() as u32);
    let canvas = (w as u64 * h as u64).max(1);
    let mut n = 0u64;
    while d.next_frame_info().map_err(dec_err)?.is_some() {
        n += 1;
        if n.saturating_mul(canvas) > max_pixels {
            // Count on cheaply to say how much it would need.
            while n < u64::MAX / canvas && d.next_frame_info().ok().flatten().is_some() {
                n += 1;
            }
            crate::budget::check(Resource::AnimationPixels, n * canvas, max_pixels)?;
        }
    }
    Ok((n, w, h))
}

/// Re-encodes an animated GIF one frame at a time: the decoder composes
/// each frame onto one canvas, the frame is scaled and padded, and encoded
/// before the next is read. `None` for a GIF of one frame (a still).
fn repair_animation(
    plan: &FixPlan,
    input: Input<'_>,
    b: &Bounds,
    opts: &FixOptions,
    max_bytes: u64,
    budget: &mut Budget,
) -> Result<Option<Repaired>, FixError> {
    let (n, w, h) = gif_frames(input, opts.limits.max_animation_pixels)?;
    if n < 2 {
        return Ok(None);
    }
    let dec_err = |e: image::ImageError| FixError::decode(Format::Gif, e);
    let enc_err = |e: image::ImageError| FixError::encode(Format::Gif, e);
    let g = geometry(plan, w, h, b, opts.aspect)?;
    let mut actions = Vec::new();
    describe_geometry(&g, opts.aspect, &mut actions);
    let canvas = w as u64 * h as u64;
    // The decoder's canvas and frame, our scaled frame and padded canvas.
    budget.reserve_n(2 * canvas + g.scaled.pixels() + 2 * g.canvas.pixels(), 4)?;
    let mut dec = GifDecoder::new(input.reader()?).map_err(dec_err)?;
    dec.set_limits(budget.image_limits()).map_err(dec_err)?;
    let mut buf = Vec::new();
    let mut count = 0u64;
    {
        let mut e = GifEncoder::new_with_speed(&mut buf, 10);
        e.set_repeat(Repeat::Infinite).map_err(enc_err)?;
        for f in dec.into_frames() {
            let f = f.map_err(dec_err)?;
            count += 1;
            crate::budget::check(
                Resource::AnimationPixels,
                count * canvas,
                opts.limits.max_animation_pixels,
            )?;
            let delay = f.delay();
            let img = transform(
                &DynamicImage::ImageRgba8(f.into_buffer()),
                &g,
                opts.pad_color,
            )?;
            e.encode_frame(Frame::from_parts(img.to_rgba8(), 0, 0, delay))
                .map_err(enc_err)?;
        }
    }
    actions.push(format!("re-encoded animated GIF ({count} frames)"));
    if buf.len() as u64 >= max_bytes {
        return Err(NotRepairable::AnimationTooLarge {
            bytes: buf.len() as u64,
            max_bytes,
        }
        .into());
    }
    Ok(Some(Repaired {
        bytes: buf,
        format: Format::Gif,
        actions,
    }))
}

fn describe_geometry(g: &Geometry, mode: AspectMode, actions: &mut Vec<String>) {
    if let Some(r) = g.crop {
        let _ = mode;
        actions.push(format!("cropped {} → {}×{} (centre)", g.input, r.w, r.h));
        if g.scaled != Size::new(r.w, r.h) {
            actions.push(format!("resized {}×{} → {}", r.w, r.h, g.scaled));
        }
    } else if g.scaled != g.input {
        actions.push(format!("resized {} → {}", g.input, g.scaled));
    }
    if g.canvas != g.scaled {
        actions.push(format!("padded {} → {}", g.scaled, g.canvas));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{plan, ImageTarget};
    use preflight::MediaInfo;

    fn gradient(w: u32, h: u32) -> DynamicImage {
        DynamicImage::ImageRgb8(image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x * 255 / w.max(1)) as u8, (y * 255 / h.max(1)) as u8, 128])
        }))
    }

    fn info(format: Format, w: u32, h: u32, bytes: u64) -> MediaInfo {
        let mut i = MediaInfo::new(format, bytes);
        i.width = Some(w);
        i.height = Some(h);
        i
    }

    fn run(img: &DynamicImage, format: Format, opts: &FixOptions) -> (Repaired, DynamicImage) {
        let data = encode(img, format, 90, None).unwrap();
        let i = info(format, img.width(), img.height(), data.len() as u64);
        let p = Profile::seedance2();
        let plan = plan(&i, &p, opts);
        let r = repair(&plan, Input::Bytes(&data), &p, opts).unwrap();
        let back = image::load_from_memory(&r.bytes).unwrap();
        (r, back)
    }

    #[test]
    fn small_image_is_upscaled_to_300() {
        let (r, back) = run(&gradient(200, 200), Format::Png, &FixOptions::default());
        assert_eq!(r.format, Format::Png);
        assert_eq!((back.width(), back.height()), (300, 300));
        assert_eq!(r.actions[0], "resized 200×200 → 300×300");
    }

    #[test]
    fn wide_image_is_padded_with_colour_or_cropped() {
        let opts = FixOptions {
            pad_color: [255, 0, 0],
            ..FixOptions::default()
        };
        let (r, back) = run(&gradient(3000, 500), Format::Png, &opts);
        assert_eq!((back.width(), back.height()), (3000, 1200));
        // Bars top and bottom are the pad colour; the middle is the picture.
        let px = back.to_rgb8();
        assert_eq!(px.get_pixel(10, 5).0, [255, 0, 0]);
        assert_eq!(px.get_pixel(10, 1195).0, [255, 0, 0]);
        assert_eq!(px.get_pixel(1500, 600).0[2], 128);
        assert!(r.actions.iter().any(|a| a == "padded 3000×500 → 3000×1200"));
        let crop = FixOptions {
            aspect: AspectMode::Crop,
            ..FixOptions::default()
        };
        let (_, back) = run(&gradient(3000, 500), Format::Png, &crop);
        assert_eq!((back.width(), back.height()), (1250, 500));
        // The centre was kept: the left edge is from x = 875 of the gradient.
        let red = back.to_rgb8().get_pixel(0, 250).0[0];
        assert_eq!(red, (875 * 255 / 3000) as u8);
    }

    #[test]
    fn tall_jpeg_over_6000_is_downscaled() {
        let (r, back) = run(&gradient(500, 6500), Format::Jpeg, &FixOptions::default());
        assert_eq!(r.format, Format::Jpeg);
        // Aspect 500/6500 < 0.4: padded to 2600 wide, then fits 6000 high.
        assert!(
            back.height() <= 6000 && back.width() >= 300,
            "{:?}",
            r.actions
        );
        let a = back.width() as f64 / back.height() as f64;
        assert!((0.4..=2.5).contains(&a));
    }

    #[test]
    fn exif_orientation_is_applied_and_stripped() {
        // A JPEG 40×20 whose left half is white, with EXIF orientation 6 (rotate 90° CW).
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_fn(400, 320, |x, _| {
            if x < 200 {
                image::Rgb([255, 255, 255])
            } else {
                image::Rgb([0, 0, 0])
            }
        }));
        let plain = encode(&img, Format::Jpeg, 95, None).unwrap();
        let data = with_exif_orientation(&plain, 6);
        let mut i = info(Format::Jpeg, 320, 400, data.len() as u64);
        i.rotation = Some(90);
        let p = Profile::seedance2();
        let opts = FixOptions {
            to: Some(ImageTarget::Png),
            ..FixOptions::default()
        };
        let plan = plan(&i, &p, &opts);
        let r = repair(&plan, Input::Bytes(&data), &p, &opts).unwrap();
        assert!(r.actions.contains(&"applied EXIF orientation".to_string()));
        let back = image::load_from_memory(&r.bytes).unwrap().to_rgb8();
        assert_eq!(back.dimensions(), (320, 400));
        // After a 90° clockwise turn the white half is on top.
        assert!(back.get_pixel(160, 20).0[0] > 200);
        assert!(back.get_pixel(160, 380).0[0] < 50);
        // The output has no EXIF (PNG has no eXIf chunk).
        assert!(!r.bytes.windows(4).any(|w| w == b"eXIf"));
    }

    /// Inserts an APP1 EXIF segment with one Orientation entry after SOI.
    fn with_exif_orientation(jpeg: &[u8], o: u16) -> Vec<u8> {
        let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
        tiff.extend_from_slice(&1u16.to_be_bytes());
        tiff.extend_from_slice(&0x0112u16.to_be_bytes());
        tiff.extend_from_slice(&3u16.to_be_bytes());
        tiff.extend_from_slice(&1u32.to_be_bytes());
        tiff.extend_from_slice(&o.to_be_bytes());
        tiff.extend_from_slice(&[0, 0]);
        tiff.extend_from_slice(&0u32.to_be_bytes());
        let mut seg = b"Exif\0\0".to_vec();
        seg.extend_from_slice(&tiff);
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((seg.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&seg);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    #[test]
    fn quality_steps_down_to_fit() {
        // Noise compresses badly: at q=90 it is over a tight limit, lower q fits.
        let mut seed = 1u32;
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_fn(600, 600, |_, _| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let v = (seed >> 16) as u8;
            image::Rgb([v, v.wrapping_mul(3), v.wrapping_mul(7)])
        }));
        let data = encode(&img, Format::Jpeg, 100, None).unwrap();
        // Sizes of what the repair will encode: the decoded input.
        let decoded = decode(
            Input::Bytes(&data),
            Format::Jpeg,
            &mut Budget::new(&crate::FixLimits::default()),
        )
        .unwrap()
        .image;
        let q90 = encode(&decoded, Format::Jpeg, 90, None).unwrap().len() as u64;
        let q70 = encode(&decoded, Format::Jpeg, 70, None).unwrap().len() as u64;
        let mut p = Profile::seedance2();
        p.image.max_bytes = q70 + 1;
        let i = info(Format::Jpeg, 600, 600, data.len() as u64);
        let o = FixOptions::default();
        let plan = plan(&i, &p, &o);
        assert!(q90 > q70);
        let r = repair(&plan, Input::Bytes(&data), &p, &o).unwrap();
        assert!((r.bytes.len() as u64) < p.image.max_bytes);
        assert!(
            r.actions.contains(&"re-encoded JPEG q=70".to_string()),
            "{:?}",
            r.actions
        );
        // Never below --min-quality: with min 80 the picture is scaled down instead.
        let o = FixOptions {
            min_quality: 80,
            ..FixOptions::default()
        };
        let plan = crate::plan::plan(&i, &p, &o);
        let r = repair(&plan, Input::Bytes(&data), &p, &o).unwrap();
        assert!(
            r.actions
                .iter()
                .any(|a| a.starts_with("scaled down 600×600 → 480×480")),
            "{:?}",
            r.actions
        );
    }

    #[test]
    fn transparent_tga_becomes_png_opaque_becomes_jpeg() {
        let rgba = DynamicImage::ImageRgba8(RgbaImage::from_fn(400, 300, |x, _| {
            Rgba([200, 10, 10, if x < 200 { 0 } else { 255 }])
        }));
        let mut data = Vec::new();
        rgba.write_to(&mut Cursor::new(&mut data), ImageFormat::Tga)
            .unwrap();
        let i = MediaInfo::new(Format::OtherImage("tga"), data.len() as u64);
        let p = Profile::seedance2();
        let o = FixOptions::default();
        let r = repair(&plan(&i, &p, &o), Input::Bytes(&data), &p, &o).unwrap();
        assert_eq!(r.format, Format::Png);
        assert_eq!(r.actions[0], "converted TGA → PNG");
        let opaque = DynamicImage::ImageRgb8(gradient(400, 300).to_rgb8());
        let mut data = Vec::new();
        opaque
            .write_to(&mut Cursor::new(&mut data), ImageFormat::Tga)
            .unwrap();
        let r = repair(&plan(&i, &p, &o), Input::Bytes(&data), &p, &o).unwrap();
        assert_eq!(r.format, Format::Jpeg);
        assert_eq!(image::guess_format(&r.bytes).unwrap(), ImageFormat::Jpeg);
    }

    #[test]
    fn animated_gif_keeps_its_frames() {
        let frames: Vec<Frame> = (0..3)
            .map(|k| Frame::new(RgbaImage::from_pixel(200, 200, Rgba([k * 80, 0, 0, 255]))))
            .collect();
        let data = encode_animation(frames).unwrap();
        let mut i = info(Format::Gif, 200, 200, data.len() as u64);
        i.frames = Some(3);
        let p = Profile::seedance2();
        let o = FixOptions::default();
        let r = repair(&plan(&i, &p, &o), Input::Bytes(&data), &p, &o).unwrap();
        let back = GifDecoder::new(Cursor::new(&r.bytes))
            .unwrap()
            .into_frames()
            .collect_frames()
            .unwrap();
        assert_eq!(back.len(), 3);
        assert_eq!(back[0].buffer().dimensions(), (300, 300));
    }

    #[cfg(feature = "heif")]
    #[test]
    fn heic_is_decoded_with_its_rotation() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/image/ok_heic_irot_1000x600.heic"
        );
        let Ok(data) = std::fs::read(path) else {
            eprintln!("skipped: {path} is absent");
            return;
        };
        let d = decode(
            Input::Bytes(&data),
            Format::Heic,
            &mut Budget::new(&crate::FixLimits::default()),
        )
        .unwrap();
        // Stored 1000×600, irot turns it to the displayed 600×1000.
        assert_eq!((d.image.width(), d.image.height()), (600, 1000));
        let mut i = info(Format::Heic, 600, 1000, data.len() as u64);
        i.rotation = Some(90);
        let p = Profile::seedance2();
        let o = FixOptions {
            to: Some(ImageTarget::Jpeg),
            ..FixOptions::default()
        };
        let r = repair(&plan(&i, &p, &o), Input::Bytes(&data), &p, &o).unwrap();
        assert_eq!(r.format, Format::Jpeg);
        assert_eq!(dims_of(&r.bytes), (600, 1000));
    }

    #[cfg(not(feature = "heif"))]
    #[test]
    fn heic_without_the_feature_says_what_is_needed() {
        let e = decode(
            Input::Bytes(b"\0\0\0\x18ftypheic"),
            Format::Heic,
            &mut Budget::new(&crate::FixLimits::default()),
        )
        .err()
        .unwrap();
        assert_eq!(
            e.to_string(),
            "HEIC/HEIF decoding needs the `heif` feature (libheif)"
        );
    }

    #[cfg(feature = "heif")]
    fn dims_of(bytes: &[u8]) -> (u32, u32) {
        let i = image::load_from_memory(bytes).unwrap();
        (i.width(), i.height())
    }

    #[test]
    fn hdr_is_tone_mapped() {
        assert_eq!(tone_map(0.0), 0);
        assert_eq!(tone_map(f32::NAN), 0);
        assert!(tone_map(1.0) > 150 && tone_map(1000.0) == 255);
    }

    #[test]
    fn corrupt_input_is_a_decode_error() {
        let i = info(Format::Jpeg, 8000, 6000, 10);
        let p = Profile::seedance2();
        let o = FixOptions::default();
        let e = repair(
            &plan(&i, &p, &o),
            Input::Bytes(b"\xFF\xD8\xFF\xE0garbage"),
            &p,
            &o,
        )
        .unwrap_err();
        let FixError::Decode { format, source, .. } = &e else {
            panic!("{e}");
        };
        assert_eq!(*format, Format::Jpeg);
        // The decoder's own error is kept as the source.
        assert!(source.downcast_ref::<image::ImageError>().is_some(), "{e}");
    }
}
