#![no_main]
//! Fuzz the webp reader directly (bypassing the sniffer).
libfuzzer_sys::fuzz_target!(|data: &[u8]| preflight::harness::probe_reader("webp", data));
