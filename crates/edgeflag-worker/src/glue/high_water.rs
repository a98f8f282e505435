//! The high-water mark store: one Durable Object per environment
//! (`HIGH_WATER`, named by `ENVIRONMENT`) holding the highest snapshot version
//! any isolate accepted, its digest, and that envelope. Isolates read it before
//! they serve and raise it after they accept, so a cold isolate can neither be
//! handed an old snapshot nor be left with nothing when KV holds a bad value.
//!
//! Only the worker can reach it (no route leads here), so KV write access does
//! not reach it. Whether an offered mark replaces the stored one is the
//! core's `Mark::merge`; this object only stores.

use edgeflag::{Mark, MarkMerge};
use serde::{Deserialize, Serialize};
use worker::{Env, Request, Response, Result, State, durable_object};

/// The binding of the Durable Object namespace.
pub const BINDING: &str = "HIGH_WATER";

const MARK: &str = "mark";
const ENVELOPE: &str = "envelope";

/// What an isolate offers after accepting a snapshot.
#[derive(Serialize, Deserialize)]
pub struct Offer {
    pub mark: Mark,
    /// The envelope as stored in KV (a JSON text).
    pub envelope: String,
}

/// What the store answers to a read or an offer.
#[derive(Serialize, Deserialize)]
pub struct Answer {
    pub mark: Option<Mark>,
    /// `raised`, `kept` or `conflict` for an offer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge: Option<String>,
}

#[durable_object]
pub struct HighWater {
    state: State,
}

impl worker::DurableObject for HighWater {
    fn new(state: State, _env: Env) -> Self {
        HighWater { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let storage = self.state.storage();
        let stored: Option<Mark> = storage.get(MARK).await?;
        match (req.method(), req.path().as_str()) {
            (worker::Method::Get, "/mark") => Response::from_json(&Answer {
                mark: stored,
                merge: None,
            }),
            (worker::Method::Get, "/envelope") => match storage.get::<String>(ENVELOPE).await? {
                Some(text) => Response::ok(text),
                None => Response::error("no envelope kept yet", 404),
            },
            (worker::Method::Post, "/mark") => {
                let offer: Offer = req.json().await?;
                let merge = Mark::merge(stored.as_ref(), &offer.mark);
                let (mark, word) = match merge {
                    MarkMerge::Raised => {
                        // Both in one call: storage writes in one event are atomic.
                        storage.put(MARK, &offer.mark).await?;
                        storage.put(ENVELOPE, &offer.envelope).await?;
                        (Some(offer.mark), "raised")
                    }
                    MarkMerge::Kept => (stored, "kept"),
                    _ => (stored, "conflict"),
                };
                Response::from_json(&Answer {
                    mark,
                    merge: Some(word.into()),
                })
            }
            _ => Response::error("no such route in the high-water mark store", 404),
        }
    }
}
