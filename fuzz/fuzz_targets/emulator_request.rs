//! libFuzzer entry point of [`cwsandbox_control_fuzz::emulator::emulator_request`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cwsandbox_control_fuzz::emulator::emulator_request(data));
