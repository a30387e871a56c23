//! The adapter configuration the fixtures were recorded against (it lives
//! in the library: `ats_hibob::recorded`).

#![allow(dead_code, unused_imports)]

pub use ats_hibob::recorded::*;
