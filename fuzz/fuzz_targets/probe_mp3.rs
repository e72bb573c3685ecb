#![no_main]
//! Fuzz the mp3 reader directly (bypassing the sniffer).
libfuzzer_sys::fuzz_target!(|data: &[u8]| preflight::harness::probe_reader("mp3", data));
