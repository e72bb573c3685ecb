#![no_main]
//! Fuzz the mp4 reader directly (bypassing the sniffer).
libfuzzer_sys::fuzz_target!(|data: &[u8]| preflight::harness::probe_reader("mp4", data));
