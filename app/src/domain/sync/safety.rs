//! The safety threshold: a sync that would deactivate many people, that
//! would blank or rewrite one field for many people at once (what a Graph
//! answer with nulled properties looks like), or a directory that suddenly
//! returns far fewer users than last time (an empty answer above all),
//! needs an explicit override.

use super::options::SyncOptions;
use super::plan::{ImportPlan, SafetyCheck, SyncField};
use std::collections::BTreeMap;

/// A mass change concerns more users than this, whatever the share: a
/// handful of edits in a small tenant is not one.
pub const MASS_CHANGE_MIN_USERS: u64 = 10;
/// The same field changed for more than this share of the linked users
/// (percent) is a mass change, even when nothing is blanked.
pub const MASS_CHANGE_SHARE_PERCENT: u64 = 50;
use super::planner::LocalState;
use crate::domain::format::format_count;
use crate::domain::user::UserStatus;

pub fn safety_check(plan: &ImportPlan, local: &LocalState, options: &SyncOptions) -> SafetyCheck {
    let mut reasons = Vec::new();
    // Users linked in the tenant read: another tenant's cannot be touched.
    let this_tenant = |theirs: Option<&str>| match (theirs, plan.tenant_id.as_deref()) {
        (Some(theirs), Some(ours)) => theirs.eq_ignore_ascii_case(ours),
        _ => true,
    };
    let linked = local
        .users
        .iter()
        .filter(|u| u.azure_object_id.is_some() && u.status == UserStatus::Active)
        .filter(|u| this_tenant(u.tenant_id.as_deref()))
        .count() as u64;
    let deactivations = plan.deactivated.len() as u64;
    let allowed = options.threshold.allowed(linked);
    if deactivations > allowed {
        reasons.push(format!(
            "This sync would deactivate {}. Without an override at most {} may be deactivated at once \
             ({}% of the {} users linked to Azure AD, and never more than {}).",
            users(deactivations),
            format_count(allowed),
            options.threshold.max_share_percent,
            format_count(linked),
            format_count(u64::from(options.threshold.max_count)),
        ));
    }
    reasons.extend(mass_changes(plan, linked, allowed));
    let same_tenant = match (
        local.last_directory_tenant.as_deref(),
        plan.tenant_id.as_deref(),
    ) {
        (Some(then), Some(now)) => then.eq_ignore_ascii_case(now),
        _ => true,
    };
    if let Some(last) = local.last_directory_count.filter(|l| *l > 0 && same_tenant) {
        let now = plan.directory_users;
        if now == 0 {
            reasons.push(format!(
                "Azure AD returned no users at all, where it returned {} last time. A wrong filter, a permission \
                 problem or a temporary fault can look like this.",
                format_count(last)
            ));
        } else if now * 2 < last {
            reasons.push(format!(
                "Azure AD returned {} users, fewer than half the {} it returned last time. A wrong filter, a \
                 permission problem or a temporary fault can look like this.",
                format_count(now),
                format_count(last)
            ));
        }
    }
    SafetyCheck {
        exceeds_threshold: !reasons.is_empty(),
        reasons,
    }
}

/// Fields that the plan blanks for more linked users than the deactivation
/// threshold allows, or changes for more than half of them: each a reason.
fn mass_changes(plan: &ImportPlan, linked: u64, allowed: u64) -> Vec<String> {
    let mut blanked: BTreeMap<SyncField, u64> = BTreeMap::new();
    let mut changed: BTreeMap<SyncField, u64> = BTreeMap::new();
    let carried = plan.deactivated.iter().flat_map(|d| &d.changes);
    // An adoption links a platform user made by hand: its changes are the
    // link's, not Azure AD rewriting the users it already feeds.
    let rewrites = plan.updated.iter().filter(|u| u.adopts_by.is_none());
    for change in rewrites.flat_map(|u| &u.changes).chain(carried) {
        // A relink and a reactivation are not field data.
        if matches!(change.field, SyncField::AzureObjectId | SyncField::Status) {
            continue;
        }
        let had = change.old.as_deref().is_some_and(|v| !v.trim().is_empty());
        let has = change.new.as_deref().is_some_and(|v| !v.trim().is_empty());
        if had && !has {
            *blanked.entry(change.field).or_default() += 1;
        }
        // Filling an empty field (a new one above all) rewrites nothing.
        if had {
            *changed.entry(change.field).or_default() += 1;
        }
    }
    let mut reasons = Vec::new();
    let blank_limit = allowed.max(MASS_CHANGE_MIN_USERS);
    for (field, n) in blanked.into_iter().filter(|(_, n)| *n > blank_limit) {
        reasons.push(format!(
            "This sync would empty {} for {}. Without an override at most {} may lose a value at once. \
             Azure AD answering without the property (a permission or a service fault) looks like this.",
            field.label(),
            users(n),
            format_count(blank_limit),
        ));
    }
    let change_limit = (linked * MASS_CHANGE_SHARE_PERCENT / 100).max(MASS_CHANGE_MIN_USERS);
    for (field, n) in changed.into_iter().filter(|(_, n)| *n > change_limit) {
        reasons.push(format!(
            "This sync would change {} for {} of the {} users linked to Azure AD. Without an override at most \
             {} may change at once.",
            field.label(),
            format_count(n),
            format_count(linked),
            format_count(change_limit),
        ));
    }
    reasons
}

/// "1 user", "2,339 users".
fn users(n: u64) -> String {
    match n {
        1 => "1 user".to_owned(),
        n => format!("{} users", format_count(n)),
    }
}
