#![no_main]
//! Fuzz the content sniffer.
libfuzzer_sys::fuzz_target!(|data: &[u8]| preflight::harness::sniff_bytes(data));
