//! The adapter configuration the fixtures were recorded against (it lives
//! in the library: `ats_lever::recorded`).

#![allow(dead_code, unused_imports)]

pub use ats_lever::recorded::*;
