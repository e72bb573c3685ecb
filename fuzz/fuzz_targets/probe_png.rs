#![no_main]
//! Fuzz the png reader directly (bypassing the sniffer).
libfuzzer_sys::fuzz_target!(|data: &[u8]| preflight::harness::probe_reader("png", data));
