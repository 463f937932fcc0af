//! libFuzzer entry point of [`cwsandbox_control_fuzz::targets::proto_response`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cwsandbox_control_fuzz::targets::proto_response(data));
