//! The fuzz targets' checks (see `checks.rs` and `fuzz/README.md`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../benches/common/workload.rs"]
mod workload;

pub mod checks;
