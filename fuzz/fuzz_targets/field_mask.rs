//! libFuzzer entry point of [`cwsandbox_control_fuzz::targets::field_mask`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cwsandbox_control_fuzz::targets::field_mask(data));
