//! gif header reader (to be written).

use crate::error::{Error, Result};
use crate::info::MediaInfo;
use crate::read::ProbeLimits;
use std::io::{Read, Seek};

/// Reads the headers of a gif file into a [`MediaInfo`].
pub fn probe<R: Read + Seek>(r: &mut R, size: u64, limits: &ProbeLimits) -> Result<MediaInfo> {
    let _ = (r, size, limits);
    Err(Error::unsupported("gif", "reader not written yet"))
}
