//! EXIF (TIFF-structured) orientation reader (to be written).

/// Reads the Orientation tag (1–8) from an EXIF/TIFF block, if any.
pub fn orientation(tiff: &[u8]) -> Option<u16> {
    let _ = tiff;
    None
}
