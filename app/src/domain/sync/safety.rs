//! The safety threshold: a sync that would deactivate many people, or a
//! directory that suddenly returns far fewer users than last time (an empty
//! answer above all), needs an explicit override.

use super::options::SyncOptions;
use super::plan::{ImportPlan, SafetyCheck};
use super::planner::LocalState;
use crate::domain::format::format_count;
use crate::domain::user::UserStatus;

pub fn safety_check(plan: &ImportPlan, local: &LocalState, options: &SyncOptions) -> SafetyCheck {
    let mut reasons = Vec::new();
    let linked = local
        .users
        .iter()
        .filter(|u| u.azure_object_id.is_some() && u.status == UserStatus::Active)
        .count() as u64;
    let deactivations = plan.deactivated.len() as u64;
    let allowed = options.threshold.allowed(linked);
    if deactivations > allowed {
        reasons.push(format!(
            "This sync would deactivate {} users. Without an override at most {} may be deactivated at once \
             ({}% of the {} users linked to Azure AD, and never more than {}).",
            format_count(deactivations),
            format_count(allowed),
            options.threshold.max_share_percent,
            format_count(linked),
            format_count(u64::from(options.threshold.max_count)),
        ));
    }
    if let Some(last) = local.last_directory_count.filter(|l| *l > 0) {
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
