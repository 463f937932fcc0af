//! Typed client, CLI and local emulator for the CoreWeave Sandbox control plane API (v1beta2).

pub mod wkt;
