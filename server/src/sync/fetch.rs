//! Reads Azure AD for a preview into the stored directory: only the
//! changes since the last read when the domain's rule allows
//! (`choose_read`), else everything. Either way the planner gets the whole
//! directory, so the buckets do not depend on the kind of read.
//!
//! A full read takes the users' deltaLink first (`$deltatoken=latest`), then
//! reads the users page by page with the count Graph reports (999 a page,
//! the fastest way through a large tenant), then the groups through their
//! delta query, whose `members@delta` gives each group's direct members of
//! every kind (nested groups are flattened by the mirror). A read of
//! changes follows the stored links; when Graph refuses them, or the
//! directory no longer adds up to Graph's counts, everything is read.
//! Progress is published after every page.

use super::progress::ProgressHub;
use crate::graph::{DeltaError, GraphClient, GraphError, delta_selection};
use app::domain::directory_mirror::DirectoryMirror;
use app::domain::sync::SyncOptions;
use app::domain::sync::completeness::{DirectoryRead, ReadCounts, check_counts, check_no_surplus};
use app::domain::sync::directory_read::{
    DeltaLinks, FullReadReason, ReadKind, ReadShape, ReadStart, StoredDirectory, choose_read,
};
use app::domain::sync::progress::ProgressEvent;

/// A finished read: the directory, stored for the next read and then
/// turned into what the planner gets; what Azure AD reported it holds; and
/// which kind of read it was.
pub struct DirectoryReadOutcome {
    pub directory: StoredDirectory,
    pub users_reported: Option<u64>,
    pub groups_reported: Option<u64>,
    pub kind: ReadKind,
}

impl DirectoryReadOutcome {
    /// What the completeness checks look at.
    pub fn counts(&self) -> ReadCounts {
        ReadCounts {
            users: self.directory.mirror.users.len(),
            groups: self.directory.mirror.groups.len(),
            users_reported: self.users_reported,
            groups_reported: self.groups_reported,
        }
    }

    /// What the planner gets, made from the read without copying it (the
    /// kept directory must have been stored first).
    pub fn into_read(self) -> DirectoryRead {
        DirectoryRead {
            snapshot: self
                .directory
                .mirror
                .into_snapshot(self.directory.tenant_id),
            users_reported: self.users_reported,
            groups_reported: self.groups_reported,
        }
    }
}

/// Publishes the read's progress for run `run_id`.
struct Progress<'a> {
    hub: &'a ProgressHub,
    run_id: i64,
    started_by: &'a str,
    changes_only: bool,
}

impl Progress<'_> {
    fn report(&self, pages: u32, users: u64, total: Option<u64>, groups: u64) {
        self.hub.publish(ProgressEvent::Fetching {
            run_id: self.run_id,
            started_by: self.started_by.to_owned(),
            pages,
            users_so_far: users,
            total,
            groups_so_far: groups,
            changes_only: self.changes_only,
        })
    }
}

/// Reads the directory for run `run_id`, started by `started_by`, from
/// the `stored` last read when it can. `now` dates the new links.
#[allow(clippy::too_many_arguments)] // the run, the read's inputs and the clock
pub async fn read_directory(
    client: &GraphClient,
    hub: &ProgressHub,
    run_id: i64,
    started_by: &str,
    stored: Option<StoredDirectory>,
    options: &SyncOptions,
    full_asked: bool,
    now: i64,
) -> Result<DirectoryReadOutcome, GraphError> {
    let connection = client.directory_key();
    let shape = ReadShape::new(delta_selection(), options);
    let start = choose_read(stored.as_ref(), &connection, &shape, now, full_asked);
    let mut progress = Progress {
        hub,
        run_id,
        started_by,
        changes_only: start == ReadStart::FromLinks,
    };
    progress.report(0, 0, None, 0);
    let tenant_id = Some(client.directory_tenant().await?);
    let reason = match (start, stored) {
        (ReadStart::Full(reason), _) => reason,
        // The same sign-in now answering for another directory.
        (ReadStart::FromLinks, Some(stored)) if stored.tenant_id != tenant_id => {
            FullReadReason::ConnectionChanged
        }
        (ReadStart::FromLinks, None) => FullReadReason::FirstRead,
        (ReadStart::FromLinks, Some(stored)) => {
            match read_changes(client, &progress, stored, now).await {
                Ok(outcome) => {
                    let counts = outcome.counts();
                    match check_counts(&counts).and_then(|()| check_no_surplus(&counts)) {
                        Ok(()) => return Ok(outcome),
                        Err(why) => {
                            tracing::warn!(run_id, %why, "the changes did not add up: reading everything");
                            FullReadReason::CountsDisagreed
                        }
                    }
                }
                Err(DeltaError::TokenRefused { code }) => {
                    tracing::info!(run_id, %code, "Graph refused the stored changes: reading everything");
                    FullReadReason::TokenRefused
                }
                Err(DeltaError::Graph(e)) => return Err(e),
            }
        }
    };
    if progress.changes_only {
        // The changes were not enough: the count starts again.
        progress.changes_only = false;
        progress.report(0, 0, None, 0);
    }
    let (reported, links, mirror) = read_everything(client, &progress, now).await?;
    Ok(DirectoryReadOutcome {
        users_reported: reported.users,
        groups_reported: reported.groups,
        directory: StoredDirectory {
            connection,
            shape,
            tenant_id,
            links,
            full_read_at: now,
            mirror,
        },
        kind: ReadKind::Full(reason),
    })
}

/// What Graph counted (`@odata.count`) during a full read.
struct Reported {
    users: Option<u64>,
    groups: Option<u64>,
}

async fn read_everything(
    client: &GraphClient,
    progress: &Progress<'_>,
    now: i64,
) -> Result<(Reported, DeltaLinks, DirectoryMirror), GraphError> {
    let users_link = client.users_delta_from_now().await?;
    let mut mirror = DirectoryMirror::default();
    let users = client
        .list_users(true, |page, p| {
            for user in page {
                mirror.users.insert(user.id.clone(), user);
            }
            progress.report(p.pages, p.items_so_far, p.total, 0);
        })
        .await?;
    let groups_reported = client.count_groups().await?;
    let groups_link = client
        .read_groups_delta(&client.groups_delta_start(), |changes, p| {
            for change in changes {
                mirror.apply_group(change);
            }
            progress.report(
                users.pages + p.pages,
                users.items_so_far,
                users.total,
                mirror.groups.len() as u64,
            );
        })
        .await?;
    let reported = Reported {
        users: users.total,
        groups: groups_reported,
    };
    let links = DeltaLinks {
        users: users_link,
        groups: groups_link,
        received_at: now,
    };
    Ok((reported, links, mirror))
}

async fn read_changes(
    client: &GraphClient,
    progress: &Progress<'_>,
    stored: StoredDirectory,
    now: i64,
) -> Result<DirectoryReadOutcome, DeltaError> {
    let StoredDirectory {
        connection,
        shape,
        tenant_id,
        links,
        full_read_at,
        mut mirror,
    } = stored;
    // Graph's counts, to check that the changes add up to the directory.
    let users_reported = client.count_users().await?;
    let groups_reported = client.count_groups().await?;
    let (mut users_changed, mut groups_changed) = (0u64, 0u64);
    let mut pages = 0;
    let users = client
        .read_users_delta(&links.users, |changes, p| {
            users_changed += changes.len() as u64;
            for change in changes {
                mirror.apply_user(change);
            }
            pages = p.pages;
            progress.report(pages, users_changed, None, 0);
        })
        .await?;
    let groups = client
        .read_groups_delta(&links.groups, |changes, p| {
            groups_changed += changes.len() as u64;
            for change in changes {
                mirror.apply_group(change);
            }
            progress.report(pages + p.pages, users_changed, None, groups_changed);
        })
        .await?;
    tracing::info!(users_changed, groups_changed, "changes read");
    Ok(DirectoryReadOutcome {
        users_reported,
        groups_reported,
        directory: StoredDirectory {
            connection,
            shape,
            tenant_id,
            links: DeltaLinks {
                users,
                groups,
                received_at: now,
            },
            full_read_at,
            mirror,
        },
        kind: ReadKind::Changes,
    })
}
