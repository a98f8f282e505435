#![doc = include_str!("../README.md")]

pub mod config;
pub mod exposure;
pub mod guards;
pub mod health;
pub mod http;
pub mod loader;
pub mod ofrep;

#[cfg(target_arch = "wasm32")]
mod glue;

#[cfg(test)]
mod testkit;
