//! Which kind of read a preview makes of Azure AD: only the changes since
//! the last read (Graph's delta queries, applied to the stored
//! [`DirectoryMirror`]), or everything again. The rule of when the changes
//! are not enough lives here; the server carries it out and the history
//! shows the kind each run made.
//!
//! Whatever the kind, the planner gets the whole directory (the mirror's
//! snapshot), so a preview of changes shows the same buckets as a full one
//! and a user unchanged in Azure AD and in step on the platform lands in
//! "unchanged", not in a bucket.

use super::options::SyncOptions;
use crate::domain::directory_mirror::DirectoryMirror;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// A stored deltaLink older than this is not used: Graph keeps directory
/// sync state for seven days, and a link refused halfway costs a read
/// (graph-api.md §3, "Client handling rules").
pub const MAX_LINK_AGE_MS: i64 = 6 * 24 * 60 * 60 * 1000;

/// However fresh the links, everything is read again a week after the last
/// full read: a change Graph never reported (replication delay between the
/// link and the read, a short read within the tolerance) is not carried
/// for ever.
pub const MAX_CHANGES_ONLY_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// Why a preview read the whole directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FullReadReason {
    /// Nothing was read of this directory before.
    FirstRead,
    /// The admin chose "Full read" on Import Users.
    AdminAsked,
    /// Azure AD no longer knew the changes (the token expired or was reset).
    TokenRefused,
    /// The last read is six days old or more.
    LinkTooOld,
    /// The last full read is a week old or more.
    FullReadDue,
    /// Another tenant or app registration than the last read's.
    ConnectionChanged,
    /// Who is synced (guests, disabled accounts, the groups) or what is read
    /// changed since the last read.
    OptionsChanged,
    /// After the changes, the directory did not hold as many users or
    /// groups as Azure AD counts.
    CountsDisagreed,
}

/// The kind of read a run made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReadKind {
    /// Only the changes since the last read.
    Changes,
    Full(FullReadReason),
}

impl ReadKind {
    /// How the kind is kept in the database.
    pub fn code(self) -> &'static str {
        match self {
            Self::Changes => "changes",
            Self::Full(FullReadReason::FirstRead) => "full_first",
            Self::Full(FullReadReason::AdminAsked) => "full_asked",
            Self::Full(FullReadReason::TokenRefused) => "full_token_refused",
            Self::Full(FullReadReason::LinkTooOld) => "full_link_old",
            Self::Full(FullReadReason::FullReadDue) => "full_weekly",
            Self::Full(FullReadReason::ConnectionChanged) => "full_connection_changed",
            Self::Full(FullReadReason::OptionsChanged) => "full_options_changed",
            Self::Full(FullReadReason::CountsDisagreed) => "full_counts_disagreed",
        }
    }

    /// The kind a stored code names; `None` for a code no version wrote.
    pub fn from_code(code: &str) -> Option<Self> {
        ALL_KINDS.into_iter().find(|k| k.code() == code)
    }

    pub fn is_full(self) -> bool {
        matches!(self, Self::Full(_))
    }

    /// The history table's word for it (the reason is in its title).
    pub fn short_label(self) -> &'static str {
        match self {
            Self::Changes => "Changes only",
            Self::Full(_) => "Full read",
        }
    }
}

const ALL_KINDS: [ReadKind; 9] = [
    ReadKind::Changes,
    ReadKind::Full(FullReadReason::FirstRead),
    ReadKind::Full(FullReadReason::AdminAsked),
    ReadKind::Full(FullReadReason::TokenRefused),
    ReadKind::Full(FullReadReason::LinkTooOld),
    ReadKind::Full(FullReadReason::FullReadDue),
    ReadKind::Full(FullReadReason::ConnectionChanged),
    ReadKind::Full(FullReadReason::OptionsChanged),
    ReadKind::Full(FullReadReason::CountsDisagreed),
];

/// In Sync history, in the admin's words.
impl fmt::Display for ReadKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = match self {
            Self::Changes => return f.write_str("Changes since the last read"),
            Self::Full(FullReadReason::FirstRead) => "the first read of this directory",
            Self::Full(FullReadReason::AdminAsked) => "asked for on Import Users",
            Self::Full(FullReadReason::TokenRefused) => {
                "Azure AD no longer knew the changes since the last read"
            }
            Self::Full(FullReadReason::LinkTooOld) => "the last read was six days ago or more",
            Self::Full(FullReadReason::FullReadDue) => "the last full read was a week ago or more",
            Self::Full(FullReadReason::ConnectionChanged) => {
                "the Azure AD connection changed since the last read"
            }
            Self::Full(FullReadReason::OptionsChanged) => {
                "who is synced, or what is read of them, changed since the last read"
            }
            Self::Full(FullReadReason::CountsDisagreed) => {
                "the changes did not add up to Azure AD's own count"
            }
        };
        write!(f, "Full read: {why}")
    }
}

/// What decides whether stored changes can be followed: the properties
/// the links track (Graph only reports changes to selected properties) and
/// the options that choose who is synced. The threshold and the overwrite
/// choice are left out: they change what is done with a read, not who.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadShape {
    /// The `$select` of the users' and the groups' delta queries.
    pub selected: String,
    pub include_guests: bool,
    pub include_disabled: bool,
    pub scope_group_ids: BTreeSet<String>,
}

impl ReadShape {
    pub fn new(selected: impl Into<String>, options: &SyncOptions) -> Self {
        Self {
            selected: selected.into(),
            include_guests: options.include_guests,
            include_disabled: options.include_disabled,
            scope_group_ids: options.scope_group_ids.iter().cloned().collect(),
        }
    }
}

/// The deltaLinks that continue from a read, and when they were received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeltaLinks {
    pub users: String,
    pub groups: String,
    pub received_at: i64,
}

/// What the last complete read left: whose directory it was, its shape,
/// the links to its changes and the directory itself.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDirectory {
    /// Which connection read it (cloud, tenant and app registration).
    pub connection: String,
    pub shape: ReadShape,
    pub tenant_id: Option<String>,
    pub links: DeltaLinks,
    /// When everything was last read.
    pub full_read_at: i64,
    pub mirror: DirectoryMirror,
}

/// Where a read starts: from the stored directory's links, or from
/// nothing, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadStart {
    FromLinks,
    Full(FullReadReason),
}

/// The rule: changes are read when the admin did not ask for everything,
/// and a stored read exists for this connection and shape whose links are
/// younger than [`MAX_LINK_AGE_MS`] and whose last full read is younger
/// than [`MAX_CHANGES_ONLY_MS`].
pub fn choose_read(
    stored: Option<&StoredDirectory>,
    connection: &str,
    shape: &ReadShape,
    now: i64,
    full_asked: bool,
) -> ReadStart {
    use FullReadReason::*;
    let reason = match stored {
        _ if full_asked => AdminAsked,
        None => FirstRead,
        Some(s) if s.connection != connection => ConnectionChanged,
        Some(s) if &s.shape != shape => OptionsChanged,
        Some(s) if now.saturating_sub(s.links.received_at) >= MAX_LINK_AGE_MS => LinkTooOld,
        Some(s) if now.saturating_sub(s.full_read_at) >= MAX_CHANGES_ONLY_MS => FullReadDue,
        Some(_) => return ReadStart::FromLinks,
    };
    ReadStart::Full(reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 24 * 60 * 60 * 1000;

    fn stored(connection: &str, shape: ReadShape, received_at: i64) -> StoredDirectory {
        StoredDirectory {
            connection: connection.into(),
            shape,
            tenant_id: None,
            links: DeltaLinks {
                users: "u".into(),
                groups: "g".into(),
                received_at,
            },
            full_read_at: received_at,
            mirror: DirectoryMirror::default(),
        }
    }

    fn shape(options: &SyncOptions) -> ReadShape {
        ReadShape::new("displayName,mail", options)
    }

    #[test]
    fn changes_are_read_only_from_a_young_read_of_the_same_connection_and_shape() {
        let options = SyncOptions::default();
        let s = stored("c1", shape(&options), 0);
        let choose = |stored, connection, shape: &ReadShape, now, asked| {
            choose_read(stored, connection, shape, now, asked)
        };
        assert_eq!(
            choose(Some(&s), "c1", &shape(&options), 5 * DAY, false),
            ReadStart::FromLinks
        );
        let full = |r| ReadStart::Full(r);
        assert_eq!(
            choose(Some(&s), "c1", &shape(&options), DAY, true),
            full(FullReadReason::AdminAsked)
        );
        assert_eq!(
            choose(None, "c1", &shape(&options), DAY, false),
            full(FullReadReason::FirstRead)
        );
        assert_eq!(
            choose(Some(&s), "c2", &shape(&options), DAY, false),
            full(FullReadReason::ConnectionChanged)
        );
        assert_eq!(
            choose(Some(&s), "c1", &shape(&options), 6 * DAY, false),
            full(FullReadReason::LinkTooOld),
            "six days is too old: Graph forgets at seven"
        );
        assert_eq!(
            choose(Some(&s), "c1", &shape(&options), 6 * DAY - 1, false),
            ReadStart::FromLinks
        );
        let mut refreshed = s.clone();
        refreshed.links.received_at = 5 * DAY;
        assert_eq!(
            choose(Some(&refreshed), "c1", &shape(&options), 7 * DAY - 1, false),
            ReadStart::FromLinks
        );
        assert_eq!(
            choose(Some(&refreshed), "c1", &shape(&options), 7 * DAY, false),
            full(FullReadReason::FullReadDue),
            "fresh links, but everything is read once a week"
        );
        let other_select = ReadShape::new("displayName", &options);
        assert_eq!(
            choose(Some(&s), "c1", &other_select, DAY, false),
            full(FullReadReason::OptionsChanged),
            "a property not tracked by the links"
        );
    }

    #[test]
    fn who_is_synced_changes_the_shape_and_what_is_done_with_it_does_not() {
        let before = SyncOptions::default();
        let mut after = before.clone();
        after.threshold.max_count = 7;
        after.overwrite = super::super::OverwriteBehavior::AddOnly;
        assert_eq!(shape(&before), shape(&after));
        for change in [
            |o: &mut SyncOptions| o.include_guests = true,
            |o: &mut SyncOptions| o.include_disabled = true,
            |o: &mut SyncOptions| o.scope_group_ids = vec!["g1".into()],
        ] {
            let mut after = before.clone();
            change(&mut after);
            assert_ne!(shape(&before), shape(&after), "{after:?}");
        }
        let mut ab = before.clone();
        ab.scope_group_ids = vec!["a".into(), "b".into()];
        let mut ba = before;
        ba.scope_group_ids = vec!["b".into(), "a".into()];
        assert_eq!(shape(&ab), shape(&ba), "the groups' order is not a change");
    }

    #[test]
    fn every_kind_is_stored_and_read_back_and_says_what_it_was() {
        for kind in ALL_KINDS {
            assert_eq!(ReadKind::from_code(kind.code()), Some(kind));
            assert_eq!(kind.is_full(), kind.to_string().starts_with("Full read: "));
        }
        assert_eq!(ReadKind::from_code("weekly"), None);
        assert_eq!(
            ReadKind::Full(FullReadReason::TokenRefused).to_string(),
            "Full read: Azure AD no longer knew the changes since the last read"
        );
    }
}
