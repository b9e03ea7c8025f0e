//! A read of the directory is complete, or it is refused: planning against
//! a partial answer turns the missing users into deactivations.

use super::options::SyncOptions;
use super::planner::DirectorySnapshot;
use crate::domain::format::format_count;
use std::collections::HashMap;

/// What a preview read, and what Graph said it holds (`@odata.count`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectoryRead {
    pub snapshot: DirectorySnapshot,
    pub users_reported: Option<u64>,
    pub groups_reported: Option<u64>,
}

/// How many users and groups a read holds, beside what Azure AD reported:
/// all the completeness checks need, so that they run before the read is
/// turned into the planner's snapshot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadCounts {
    pub users: usize,
    pub groups: usize,
    pub users_reported: Option<u64>,
    pub groups_reported: Option<u64>,
}

impl DirectoryRead {
    pub fn counts(&self) -> ReadCounts {
        ReadCounts {
            users: self.snapshot.users.len(),
            groups: self.snapshot.groups.len(),
            users_reported: self.users_reported,
            groups_reported: self.groups_reported,
        }
    }
}

/// How many fewer items than the reported count a read may return: Graph's
/// count is computed separately and trails deletions a little. 0.5% of the
/// count, and at least 5.
pub fn tolerated_shortfall(reported: u64) -> u64 {
    (reported / 200).max(5)
}

/// Refuses a read that holds fewer users or groups than Azure AD counts,
/// beyond [`tolerated_shortfall`]. After a read of changes, a refusal
/// means the stored directory drifted: everything is read again.
pub fn check_counts(read: &ReadCounts) -> Result<(), String> {
    let short = |what: &str, reported: Option<u64>, got: usize| {
        let got = got as u64;
        match reported {
            Some(reported) if got + tolerated_shortfall(reported) < reported => Err(format!(
                "Azure AD reported {} {what} but returned only {}. The read is incomplete (a fault or a time-out in \
                 Microsoft Graph can cause this), so nothing was planned. Import again.",
                format_count(reported),
                format_count(got),
            )),
            _ => Ok(()),
        }
    };
    short("users", read.users_reported, read.users)?;
    short("groups", read.groups_reported, read.groups)
}

/// After a read of changes, the kept directory must not hold more users or
/// groups than Azure AD counts either (a deletion never reported), beyond
/// the same tolerance as a shortfall. A refusal means everything is read
/// again; the reason is for the log.
pub fn check_no_surplus(read: &ReadCounts) -> Result<(), String> {
    let over = |reported: Option<u64>, kept: usize, what: &str| match reported {
        Some(reported) if kept as u64 > reported + tolerated_shortfall(reported) => {
            Err(format!("{kept} {what} kept, Azure AD counts {reported}"))
        }
        _ => Ok(()),
    };
    over(read.users_reported, read.users, "users")?;
    over(read.groups_reported, read.groups, "groups")
}

/// Refuses a read that lacks a group the sync is limited to; `names` names
/// groups the platform knows. The message says what to do.
pub fn check_scope(
    read: &DirectoryRead,
    options: &SyncOptions,
    names: &HashMap<String, String>,
) -> Result<(), String> {
    let missing: Vec<String> = options
        .scope_group_ids
        .iter()
        .filter(|id| !read.snapshot.groups.iter().any(|g| &g.id == *id))
        .map(|id| match names.get(id) {
            Some(name) => format!("“{name}”"),
            None => format!("with the ID {id}"),
        })
        .collect();
    match missing.as_slice() {
        [] => Ok(()),
        [one] => Err(format!(
            "The group {one} that the sync is limited to no longer exists in Azure AD. Its members would be \
             treated as out of scope, so nothing was planned. Choose the groups again in Settings > Sync options."
        )),
        many => Err(format!(
            "The groups {} that the sync is limited to no longer exist in Azure AD. Their members would be \
             treated as out of scope, so nothing was planned. Choose the groups again in Settings > Sync options.",
            many.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::directory::DirectoryGroup;
    use crate::domain::sync::fixtures::dir_user;

    fn counts(users: usize, reported: u64) -> ReadCounts {
        read(users, reported).counts()
    }

    fn read(users: usize, reported: u64) -> DirectoryRead {
        DirectoryRead {
            snapshot: DirectorySnapshot {
                users: (0..users)
                    .map(|i| dir_user(&format!("u{i}"), &format!("u{i}@x.com")))
                    .collect(),
                ..DirectorySnapshot::default()
            },
            users_reported: Some(reported),
            groups_reported: None,
        }
    }

    #[test]
    fn a_short_read_beyond_the_tolerance_is_refused() {
        assert_eq!(check_counts(&counts(2000, 2010)), Ok(()));
        let refused = check_counts(&counts(1980, 2000)).unwrap_err();
        assert!(
            refused.starts_with("Azure AD reported 2,000 users but returned only 1,980."),
            "{refused}"
        );
        assert_eq!(check_counts(&counts(95, 100)), Ok(()), "5 is tolerated");
        assert!(check_counts(&counts(94, 100)).is_err());
        let mut unknown = counts(10, 0);
        unknown.users_reported = None;
        assert_eq!(check_counts(&unknown), Ok(()));
    }

    #[test]
    fn more_kept_than_azure_ad_counts_beyond_the_tolerance_is_refused() {
        assert_eq!(check_no_surplus(&counts(2010, 2000)), Ok(()));
        assert_eq!(
            check_no_surplus(&counts(2011, 2000)),
            Err("2011 users kept, Azure AD counts 2000".to_owned())
        );
        let mut unknown = counts(10, 0);
        unknown.users_reported = None;
        assert_eq!(check_no_surplus(&unknown), Ok(()));
    }

    #[test]
    fn a_scope_group_gone_from_the_directory_is_named() {
        let mut r = read(3, 3);
        r.snapshot.groups.push(DirectoryGroup {
            id: "g1".into(),
            display_name: Some("Sales".into()),
            description: None,
            mail: None,
        });
        let opts = SyncOptions {
            scope_group_ids: vec!["g1".into(), "g2".into()],
            ..SyncOptions::default()
        };
        let names = HashMap::from([("g2".to_owned(), "Support".to_owned())]);
        let refused = check_scope(&r, &opts, &names).unwrap_err();
        assert!(
            refused.starts_with("The group “Support” that the sync is limited to no longer exists"),
            "{refused}"
        );
    }
}
