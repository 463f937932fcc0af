//! libFuzzer entry point of [`cwsandbox_control_fuzz::targets::wkt_text`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cwsandbox_control_fuzz::targets::wkt_text(data));
