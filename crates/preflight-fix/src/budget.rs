//! The repair budget: how much one file may make `fix` read, allocate,
//! compose and spend in ffmpeg ([`FixLimits`]), and the running count of
//! what a repair holds ([`Budget`], `reserve` before each allocation and
//! `free` after), in the manner of `image::Limits`.
//!
//! A file over budget is not repaired ([`FixError::OverBudget`]): the
//! report says what it would need, and the batch goes on.

use crate::FixError;
use serde::Serialize;
use std::time::Duration;

/// What a repair of one file may use. The defaults keep the peak memory of
/// `preflight fix` on any one file near 1 GiB (each worker thread repairs
/// its own file within its own budget: `--jobs N` may use N budgets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct FixLimits {
    /// Largest input file repaired, checked before anything is read
    /// (default 1 GB).
    pub max_input_bytes: u64,
    /// Memory held at once by decoded pixels, decoded samples and inputs or
    /// outputs kept in memory (default 1 GiB).
    pub max_memory_bytes: u64,
    /// Frames × canvas pixels of an animation (default 1 gigapixel): each
    /// frame is composed, scaled and encoded one at a time, so this bounds
    /// the work, not the memory.
    pub max_animation_pixels: u64,
    /// Largest file ffmpeg may write (default 4 GB; ffmpeg's `-fs`).
    pub max_output_bytes: u64,
    /// Wall-clock time of one ffmpeg run, before the per-second share
    /// (default 60 s).
    pub ffmpeg_base_timeout: Duration,
    /// Added to the ffmpeg timeout per second of media (default 10: a run
    /// on a 15 s clip may take 60 + 150 s).
    pub ffmpeg_timeout_per_media_s: u32,
}

impl Default for FixLimits {
    fn default() -> Self {
        FixLimits {
            max_input_bytes: 1_000_000_000,
            max_memory_bytes: 1 << 30,
            max_animation_pixels: 1_000_000_000,
            max_output_bytes: 4_000_000_000,
            ffmpeg_base_timeout: Duration::from_secs(60),
            ffmpeg_timeout_per_media_s: 10,
        }
    }
}

impl FixLimits {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        max_input_bytes: u64;
        max_memory_bytes: u64;
        max_animation_pixels: u64;
        max_output_bytes: u64;
        ffmpeg_base_timeout: Duration;
        ffmpeg_timeout_per_media_s: u32;
    }

    /// The wall-clock timeout of one ffmpeg run on media of `duration_s`
    /// seconds (unknown: counted as 60 s; capped at a day).
    pub fn ffmpeg_timeout(&self, duration_s: Option<f64>) -> Duration {
        let d = duration_s
            .filter(|d| d.is_finite() && *d >= 0.0)
            .unwrap_or(60.0)
            .min(86_400.0);
        self.ffmpeg_base_timeout
            + Duration::from_secs_f64(d * f64::from(self.ffmpeg_timeout_per_media_s))
    }
}

/// What a budget counts, for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Resource {
    /// Bytes of memory (decoded pixels or samples, buffers).
    Memory,
    /// Bytes of the input file.
    Input,
    /// Frames × canvas pixels of an animation.
    AnimationPixels,
}

/// The memory a repair holds, reserved before each allocation and freed
/// after it (one per file).
#[derive(Debug)]
pub(crate) struct Budget {
    limit: u64,
    used: u64,
}

impl Budget {
    pub fn new(limits: &FixLimits) -> Budget {
        Budget {
            limit: limits.max_memory_bytes,
            used: 0,
        }
    }

    /// Counts `bytes` as held, or fails (holding nothing more) when that
    /// would go over the limit.
    pub fn reserve(&mut self, bytes: u64) -> Result<(), FixError> {
        let need = self.used.saturating_add(bytes);
        if need > self.limit {
            return Err(FixError::OverBudget {
                resource: Resource::Memory,
                need,
                limit: self.limit,
            });
        }
        self.used = need;
        Ok(())
    }

    /// [`Budget::reserve`] for `n` items of `size` bytes.
    pub fn reserve_n(&mut self, n: u64, size: u64) -> Result<(), FixError> {
        self.reserve(n.saturating_mul(size))
    }

    /// Counts `bytes` as no longer held.
    pub fn free(&mut self, bytes: u64) {
        self.used = self.used.saturating_sub(bytes);
    }

    /// What may still be reserved.
    pub fn remaining(&self) -> u64 {
        self.limit - self.used
    }

    /// `image::Limits` for a decoder: what remains, as `max_alloc`.
    pub fn image_limits(&self) -> image::Limits {
        let mut l = image::Limits::default();
        l.max_alloc = Some(self.remaining());
        l
    }
}

/// Fails when `need` is over `limit` for `resource`.
pub(crate) fn check(resource: Resource, need: u64, limit: u64) -> Result<(), FixError> {
    if need > limit {
        return Err(FixError::OverBudget {
            resource,
            need,
            limit,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserve_and_free() {
        let mut b = Budget::new(&FixLimits::new().max_memory_bytes(100));
        b.reserve(60).unwrap();
        let e = b.reserve(50).unwrap_err();
        assert_eq!(e.to_string(), "would need 110 B to decode (limit 100 B)");
        assert_eq!(b.remaining(), 40);
        b.free(60);
        b.reserve_n(10, 10).unwrap();
        assert!(b.reserve_n(u64::MAX, 2).is_err());
    }

    #[test]
    fn timeouts_scale_with_duration() {
        let l = FixLimits::new();
        assert_eq!(l.ffmpeg_timeout(Some(15.0)), Duration::from_secs(210));
        assert_eq!(l.ffmpeg_timeout(None), Duration::from_secs(660));
        assert_eq!(l.ffmpeg_timeout(Some(f64::NAN)), Duration::from_secs(660));
        assert!(l.ffmpeg_timeout(Some(1e300)) <= Duration::from_secs(60 + 864_000));
    }

    #[test]
    fn sentences() {
        let e = check(Resource::Input, 5_000_000_000, 1_000_000_000).unwrap_err();
        assert_eq!(e.to_string(), "would need 5.0 GB to read (limit 1.0 GB)");
        let e = check(Resource::AnimationPixels, 1_690_000_000, 1_000_000_000).unwrap_err();
        assert_eq!(
            e.to_string(),
            "would need 1690 megapixels of animation frames (limit 1000)"
        );
    }
}
