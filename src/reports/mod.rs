//! Reports for people, from the compiled snapshot and the release file:
//! where each rollout stands (`status`), synthetic users and the blast
//! radius of a change (`simulate`), the release checklist (`checklist`) and
//! the promotion gate (`promote`).
//! Nothing below this layer depends on it.

pub mod checklist;
pub mod promote;
pub mod simulate;
mod staged;
pub mod status;
