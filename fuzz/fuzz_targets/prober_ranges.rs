#![no_main]
//! Fuzz the sans-I/O prober: fed in pieces, it must agree with a whole-file probe.
libfuzzer_sys::fuzz_target!(|data: &[u8]| preflight::harness::prober_agrees(data));
