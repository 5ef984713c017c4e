#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ivej_fuzz::run("models", data));
