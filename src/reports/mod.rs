//! Reports for people, from the compiled snapshot and the release file:
//! where each rollout stands (`status`), synthetic users and the blast
//! radius of a change (`simulate`), and the release checklist (`checklist`).
//! Nothing below this layer depends on it.

pub mod checklist;
pub mod simulate;
mod staged;
pub mod status;
