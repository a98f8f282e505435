#![no_main]
//! `cargo fuzz run context`: see fuzz/src/checks.rs for what it checks.
libfuzzer_sys::fuzz_target!(|data: &[u8]| edgeflag_fuzz::checks::context(data));
