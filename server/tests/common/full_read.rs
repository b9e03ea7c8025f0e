//! The reference read of the whole directory, as dirsync read it before
//! delta queries: users (page by page, with the
//! count Graph reports, for a progress bar and to prove the read complete),
//! groups (with theirs), and each group's user members with nested groups
//! flattened. The property tests check that a preview's read (a mirror kept
//! up by changes) plans exactly like this one.

use app::domain::sync::completeness::DirectoryRead;
use app::domain::sync::progress::ProgressEvent;
use server::graph::{GraphClient, GraphError};
use server::sync::ProgressHub;

/// Fetches the directory for run `run_id`, started by `started_by`.
pub async fn fetch_directory(
    client: &GraphClient,
    hub: &ProgressHub,
    run_id: i64,
    started_by: &str,
) -> Result<DirectoryRead, GraphError> {
    let mut read = DirectoryRead::default();
    let snapshot = &mut read.snapshot;
    let report = |pages: u32, users: u64, total: Option<u64>, groups: u64| {
        hub.publish(ProgressEvent::Fetching {
            run_id,
            started_by: started_by.to_owned(),
            pages,
            users_so_far: users,
            total,
            groups_so_far: groups,
            changes_only: false,
        })
    };
    report(0, 0, None, 0);
    snapshot.tenant_id = Some(client.directory_tenant().await?);
    let users = client
        .list_users(true, |page, progress| {
            snapshot.users.extend(page);
            report(progress.pages, progress.items_so_far, progress.total, 0);
        })
        .await?;
    let user_total = users.items_so_far;
    let mut pages = users.pages;
    let groups = client
        .list_groups(true, |page, progress| {
            snapshot.groups.extend(page);
            report(
                pages + progress.pages,
                user_total,
                users.total,
                progress.items_so_far,
            );
        })
        .await?;
    pages += groups.pages;
    for group in &snapshot.groups {
        let members = client.group_user_ids(&group.id, true).await?;
        snapshot.group_user_ids.insert(group.id.clone(), members);
        pages += 1;
        report(pages, user_total, users.total, snapshot.groups.len() as u64);
    }
    read.users_reported = users.total;
    read.groups_reported = groups.total;
    Ok(read)
}
