//! libFuzzer entry point of [`cwsandbox_control_fuzz::emulator::connect_get_query`].
#![no_main]

libfuzzer_sys::fuzz_target!(
    |data: &[u8]| cwsandbox_control_fuzz::emulator::connect_get_query(data)
);
