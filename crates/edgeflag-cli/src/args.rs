//! The command line, as clap parses it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// The release manager's tool: release checklist, signed snapshots, rollouts and rollbacks.
#[derive(Parser, Debug)]
#[command(name = "edgeflag", version, about)]
pub struct Cli {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create an Ed25519 signing key (PKCS#8 PEM, mode 0600) and its public key (SPKI PEM).
    Keygen {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value = "edgeflag")]
        name: String,
    },
    /// Run the release checklist on a release file; exit 1 on any violation.
    Check { release: PathBuf },
    /// Build and sign the snapshot of one environment.
    Build(BuildArgs),
    /// Add a signature to a signed snapshot (the second person of a two-person rule).
    Sign {
        snapshot: PathBuf,
        /// The signing key to add (PKCS#8 PEM).
        #[arg(long)]
        key: PathBuf,
        /// Where to write the co-signed snapshot (default: SNAPSHOT itself, replaced atomically).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Verify a signed snapshot.
    Verify {
        snapshot: PathBuf,
        #[command(flatten)]
        trust: Trust,
        #[arg(long)]
        at: Option<String>,
    },
    /// Evaluate flags of a verified snapshot for one context.
    Eval {
        snapshot: PathBuf,
        #[command(flatten)]
        trust: Trust,
        /// The flag to evaluate (repeatable).
        #[arg(long, required_unless_present = "all")]
        flag: Vec<String>,
        /// Evaluate every flag.
        #[arg(long, conflicts_with = "flag")]
        all: bool,
        /// A typed call, as an SDK makes it: boolean, string, number or json. A flag of
        /// another type gives the default with TYPE_MISMATCH.
        #[arg(long, requires = "default", value_parser = flag_types())]
        r#type: Option<String>,
        /// The caller's default (JSON), returned with the reason when evaluation fails.
        #[arg(long, allow_hyphen_values = true)]
        default: Option<String>,
        /// The context: JSON, or @FILE.
        #[arg(long)]
        context: String,
        #[arg(long)]
        at: Option<String>,
    },
    /// The distribution of variants and reasons over N synthetic users.
    Simulate {
        snapshot: PathBuf,
        #[command(flatten)]
        trust: Trust,
        #[arg(long)]
        flag: Vec<String>,
        #[arg(long, default_value_t = 10_000)]
        users: usize,
        #[arg(long)]
        at: Option<String>,
        /// The template for the users' other attributes: JSON, or @FILE.
        #[arg(long)]
        context: Option<String>,
    },
    /// The blast radius of a change: users whose variant changes, per flag.
    Diff {
        old: PathBuf,
        new: PathBuf,
        #[command(flatten)]
        trust: Trust,
        #[arg(long, default_value_t = 10_000)]
        users: usize,
        #[arg(long)]
        at: Option<String>,
        #[arg(long)]
        context: Option<String>,
    },
    /// Where each rollout stands: stage, percent, next stage, active partial rollbacks.
    Status {
        release: PathBuf,
        #[arg(long)]
        env: String,
        #[arg(long)]
        at: Option<String>,
    },
    /// A worker's guarded rollouts (GET /v1/guards): both arms' rates with
    /// their intervals, the verdict, and any halt. Exit 1 when a rollout is halted.
    Guards {
        /// The worker's address (`https://flags.example.com`).
        #[arg(long)]
        url: String,
        /// A client or admin key (or EDGEFLAG_API_KEY).
        #[arg(long, env = "EDGEFLAG_API_KEY")]
        api_key: Option<String>,
    },
    /// Roll a flag back in the release file: whole, for a subset, or to an earlier stage.
    Rollback(RollbackArgs),
    /// Re-issue an earlier snapshot's flags as a new, higher version.
    Revert {
        dir: PathBuf,
        #[arg(long)]
        to: u64,
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        trust: OptionalTrust,
        /// How long the snapshot stays fresh, e.g. 30d, 12h; `never` (with --force) for no expiry.
        #[arg(long, default_value = "30d")]
        expires_in: String,
        /// Allow `--expires-in never` (recorded in the snapshot).
        #[arg(long)]
        force: bool,
        #[arg(long)]
        at: Option<String>,
    },
    /// Markdown release notes for one environment.
    Notes {
        release: PathBuf,
        #[arg(long)]
        env: String,
        #[arg(long)]
        at: Option<String>,
        /// The signed snapshot of this release: the notes say how it was
        /// promoted (where and how long the candidate was tested).
        #[arg(long, requires = "trust")]
        snapshot: Option<PathBuf>,
        /// Public keys the --snapshot must be signed by (repeatable).
        #[arg(long, requires = "snapshot")]
        trust: Vec<PathBuf>,
    },
    /// The audit trail of the snapshots in a folder.
    Log {
        dir: PathBuf,
        #[command(flatten)]
        trust: Trust,
    },
}

#[derive(Args, Debug)]
pub struct BuildArgs {
    pub release: PathBuf,
    #[arg(long)]
    pub env: String,
    /// A signing key (PKCS#8 PEM; repeatable: every key signs).
    #[arg(long, required = true)]
    pub key: Vec<PathBuf>,
    /// The snapshot's version: 1 for the first snapshot of an environment (else use --previous).
    #[arg(long, conflicts_with = "previous")]
    pub version: Option<u64>,
    /// The previous snapshot of this environment: chains the digest and the version. A folder
    /// of snapshots (as `log` reads) gives this environment's latest, and the promotion gate's
    /// source snapshots too.
    #[arg(long)]
    pub previous: Option<PathBuf>,
    /// A snapshot of the promotion gate's source environment (`[checklist] promote.from`) of
    /// this same candidate, signed at least the soak before (repeatable).
    #[arg(long, value_name = "SNAPSHOT")]
    pub promote_from: Vec<PathBuf>,
    /// Public keys that --previous and --promote-from must be signed by (repeatable; default:
    /// those of --key).
    #[arg(long)]
    pub trust: Vec<PathBuf>,
    /// Why --force bypasses the promotion gate: required then, and recorded in the snapshot.
    #[arg(long, requires = "force")]
    pub reason: Option<String>,
    /// How long the snapshot stays fresh, e.g. 30d, 12h; `never` (with --force) for no expiry.
    #[arg(long, default_value = "30d")]
    pub expires_in: String,
    /// Build despite a failing checklist, or with `--expires-in never` (recorded in the snapshot).
    #[arg(long)]
    pub force: bool,
    /// The issue time (default: now).
    #[arg(long)]
    pub at: Option<String>,
    #[arg(long)]
    pub out: PathBuf,
    /// Whom the snapshot is for: `server` (the edge, Node) or `browser` (only
    /// the flags whose `clients` include it, private values as salted digests).
    #[arg(long, default_value = "server", value_parser = audiences())]
    pub audience: String,
    /// In a browser snapshot, keep the stages that start after its expiry
    /// too (they are left out by default, so future dates stay unpublished).
    #[arg(long)]
    pub full_schedule: bool,
}

#[derive(Args, Debug)]
pub struct RollbackArgs {
    pub release: PathBuf,
    pub flag: String,
    /// Partial rollback for the users of this segment.
    #[arg(long, conflicts_with_all = ["to_stage"])]
    pub segment: Option<String>,
    /// Partial rollback for users matching `ATTR OP VALUE` (repeatable; all must hold).
    #[arg(long = "match", value_name = "ATTR OP VALUE", conflicts_with_all = ["to_stage"])]
    pub matches: Vec<String>,
    /// The partial rollback's name.
    #[arg(long)]
    pub name: Option<String>,
    /// The variant the rolled-back users get (default: the flag's rollback variant).
    #[arg(long)]
    pub serve: Option<String>,
    /// Cut the schedule back to stage N (1-based, as `status` prints it): later stages are
    /// removed, so the most recently added users lose the feature first.
    #[arg(long)]
    pub to_stage: Option<usize>,
    /// With `--to-stage`: cut back this targeting rule's own rollout instead of the flag's.
    #[arg(long, value_name = "NAME", requires = "to_stage")]
    pub rule: Option<String>,
    /// When the rollback takes effect (default: now).
    #[arg(long)]
    pub at: Option<String>,
}

#[derive(Args, Debug)]
pub struct Trust {
    /// A trusted public key file (SPKI PEM; repeatable; a file may hold several).
    #[arg(long, required = true)]
    pub trust: Vec<PathBuf>,
    /// How many trusted keys must have signed.
    #[arg(long, default_value_t = 1)]
    pub threshold: usize,
    /// Refuse snapshots below this version.
    #[arg(long, default_value_t = 0)]
    pub min_version: u64,
    /// Refuse snapshots of any other environment (WRONG_ENVIRONMENT).
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// The audience the snapshot must be for (WRONG_AUDIENCE otherwise).
    #[arg(long, default_value = "server", value_parser = audiences())]
    pub audience: String,
}

#[derive(Args, Debug)]
pub struct OptionalTrust {
    /// Trusted public keys (default: the public key of --key).
    #[arg(long)]
    pub trust: Vec<PathBuf>,
}

/// The core's flag type names: `--type` takes exactly these.
fn audiences() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(edgeflag::Audience::NAMES.iter().map(|(n, _)| *n))
}

fn flag_types() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(edgeflag::FlagType::NAMES.iter().map(|(n, _)| *n))
}
