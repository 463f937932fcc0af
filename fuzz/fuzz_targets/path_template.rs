//! libFuzzer entry point of [`cwsandbox_control_fuzz::wire::path_template`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cwsandbox_control_fuzz::wire::path_template(data));
