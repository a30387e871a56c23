//! Runnable examples; see the `examples` section of this package
//! (`cargo run -p ats-examples --example quickstart`).
