//! RIFF chunk helpers shared by WebP and WAV (to be written).
