//! The `cwsctl` command-line tool.

fn main() {}
