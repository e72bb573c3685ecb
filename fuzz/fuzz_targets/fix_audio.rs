#![no_main]
//! Repair arbitrary bytes as audio (probe → plan → apply in memory) with the
//! budget on, under profiles that force every repair step.
libfuzzer_sys::fuzz_target!(|data: &[u8]| preflight_fix::__fuzz::fix_audio(data));
