#![no_main]
//! Fuzz the whole path a user's file takes: sniff, probe, check, JSON report.
libfuzzer_sys::fuzz_target!(|data: &[u8]| preflight::harness::probe_and_check(data));
