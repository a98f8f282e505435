//! The guard ledger: one Durable Object per environment (`GUARDS`, named by
//! `ENVIRONMENT`) holding the fleet's counts of every guarded rollout and
//! the halts found in them. Each isolate flushes its counts here on its
//! refresh and takes back the halts (crates/edgeflag-worker/src/guards.rs
//! decides; this object only stores and answers).
//!
//! Only the worker can reach it (no route leads here): what reaches it from
//! outside is counts of authenticated `/v1/track` events and of served
//! evaluations, and a halt can only move a rollout's users toward its
//! rollback variant, as the signed guard says.

use worker::{Env, Request, Response, Result, State, durable_object};

use crate::guards::{Flush, Ledger};

/// The binding of the Durable Object namespace.
pub const BINDING: &str = "GUARDS";

const LEDGER: &str = "ledger";

#[durable_object]
pub struct GuardLedger {
    state: State,
}

impl worker::DurableObject for GuardLedger {
    fn new(state: State, _env: Env) -> Self {
        GuardLedger { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let storage = self.state.storage();
        let mut ledger: Ledger = storage.get(LEDGER).await?.unwrap_or_default();
        match (req.method(), req.path().as_str()) {
            (worker::Method::Get, "/ledger") => Response::from_json(&ledger),
            (worker::Method::Post, "/flush") => {
                let flush: Flush = req.json().await?;
                let before = ledger.clone();
                ledger.flush(flush, super::isolate::clock());
                if ledger != before {
                    storage.put(LEDGER, &ledger).await?;
                }
                Response::from_json(&ledger)
            }
            _ => Response::error("no such route in the guard ledger", 404),
        }
    }
}
