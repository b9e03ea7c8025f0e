//! What `Test connection` found, and how the page words it: the tenant it
//! reached, each permission granted or missing, what it could read, and the
//! Azure portal step that fixes whatever is wrong.

use crate::domain::format::format_count;
use serde::{Deserialize, Serialize};

/// The permissions dirsync asks for, in the order shown.
pub const REQUIRED_PERMISSIONS: [&str; 3] =
    ["User.Read.All", "Group.Read.All", "Directory.Read.All"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionCheck {
    pub name: String,
    pub granted: bool,
}

/// One page read from the directory: how many there are (when Graph said),
/// or why the read failed, worded with its fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadCheck {
    /// "users" or "groups".
    pub what: String,
    pub result: Result<Option<u64>, String>,
}

impl ReadCheck {
    pub fn describe(&self) -> String {
        match &self.result {
            Ok(Some(n)) => format!("Read {}: {} in the directory.", self.what, format_count(*n)),
            Ok(None) => format!("Read {}.", self.what),
            Err(problem) => format!("Could not read {}: {problem}", self.what),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TestOutcome {
    /// There is nothing to test; the text says what to set.
    NotConfigured { message: String },
    /// The sign-in endpoint refused: the message names the cause and fix.
    SignInFailed { message: String },
    SignedIn {
        tenant_id: String,
        app_name: Option<String>,
        /// False when the token carried no roles at all.
        consent_granted: bool,
        permissions: Vec<PermissionCheck>,
        reads: Vec<ReadCheck>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionTest {
    /// What was tested: "the simulated demo tenant", "tenant … (Global)".
    pub target: String,
    /// The demo's simulation, not a real tenant.
    pub simulated: bool,
    pub outcome: TestOutcome,
}

impl ConnectionTest {
    /// Signed in, every permission granted, every read worked.
    pub fn succeeded(&self) -> bool {
        match &self.outcome {
            TestOutcome::SignedIn {
                permissions, reads, ..
            } => permissions.iter().all(|p| p.granted) && reads.iter().all(|r| r.result.is_ok()),
            _ => false,
        }
    }

    /// The answer in one sentence.
    pub fn headline(&self) -> String {
        match &self.outcome {
            TestOutcome::NotConfigured { message } => message.clone(),
            TestOutcome::SignInFailed { .. } => format!("Could not sign in to {}.", self.target),
            TestOutcome::SignedIn {
                tenant_id,
                app_name,
                consent_granted,
                permissions,
                reads,
            } => {
                let tenant = if self.simulated {
                    format!("the simulated demo tenant ({tenant_id})")
                } else {
                    format!("tenant {tenant_id}")
                };
                let who = match app_name {
                    Some(app) => format!("{tenant} as {app}"),
                    None => tenant,
                };
                let missing = permissions.iter().filter(|p| !p.granted).count();
                if !consent_granted {
                    format!("Signed in to {who}, but admin consent has not been granted.")
                } else if missing > 0 {
                    format!(
                        "Signed in to {who}, but {missing} of {} permissions {} missing.",
                        permissions.len(),
                        if missing == 1 { "is" } else { "are" }
                    )
                } else if reads.iter().any(|r| r.result.is_err()) {
                    format!("Signed in to {who}, but reading the directory failed.")
                } else {
                    format!("Connected to {who}. Every permission dirsync needs is granted.")
                }
            }
        }
    }

    /// What the admin should do, in the Azure portal's words.
    pub fn fixes(&self) -> Vec<String> {
        match &self.outcome {
            TestOutcome::NotConfigured { .. } => vec![],
            TestOutcome::SignInFailed { message } => vec![message.clone()],
            TestOutcome::SignedIn {
                app_name,
                consent_granted,
                permissions,
                ..
            } => {
                let missing: Vec<&str> = permissions
                    .iter()
                    .filter(|p| !p.granted)
                    .map(|p| p.name.as_str())
                    .collect();
                if missing.is_empty() {
                    return vec![];
                }
                let app = app_name.as_deref().unwrap_or("your app");
                let step = format!(
                    "In the Azure portal, open App registrations > {app} > API permissions, add Microsoft Graph > Application permissions > {}, then click \"Grant admin consent\". Run Test connection again afterwards: only a new sign-in carries the new permissions.",
                    join_names(&missing)
                );
                if *consent_granted {
                    vec![step]
                } else {
                    vec![format!(
                        "Admin consent has not been granted for this app. {step}"
                    )]
                }
            }
        }
    }
}

/// "A", "A and B", "A, B and C".
fn join_names(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed_in(consent: bool, granted: &[&str], reads_ok: bool) -> ConnectionTest {
        ConnectionTest {
            target: "tenant t (Global)".into(),
            simulated: false,
            outcome: TestOutcome::SignedIn {
                tenant_id: "t".into(),
                app_name: Some("dirsync".into()),
                consent_granted: consent,
                permissions: REQUIRED_PERMISSIONS
                    .iter()
                    .map(|p| PermissionCheck {
                        name: (*p).into(),
                        granted: granted.contains(p),
                    })
                    .collect(),
                reads: vec![
                    ReadCheck {
                        what: "users".into(),
                        result: if reads_ok {
                            Ok(Some(2339))
                        } else {
                            Err("denied".into())
                        },
                    },
                    ReadCheck {
                        what: "groups".into(),
                        result: Ok(None),
                    },
                ],
            },
        }
    }

    #[test]
    fn everything_granted_is_a_success() {
        let test = signed_in(true, &REQUIRED_PERMISSIONS, true);
        assert!(test.succeeded());
        assert_eq!(
            test.headline(),
            "Connected to tenant t as dirsync. Every permission dirsync needs is granted."
        );
        assert!(test.fixes().is_empty());
        let TestOutcome::SignedIn { reads, .. } = &test.outcome else {
            unreachable!()
        };
        assert_eq!(reads[0].describe(), "Read users: 2,339 in the directory.");
        assert_eq!(reads[1].describe(), "Read groups.");
    }

    #[test]
    fn missing_permissions_name_the_portal_step() {
        let test = signed_in(true, &["User.Read.All"], true);
        assert!(!test.succeeded());
        assert_eq!(
            test.headline(),
            "Signed in to tenant t as dirsync, but 2 of 3 permissions are missing."
        );
        let fix = &test.fixes()[0];
        assert!(
            fix.contains("App registrations > dirsync > API permissions"),
            "{fix}"
        );
        assert!(
            fix.contains("Group.Read.All and Directory.Read.All"),
            "{fix}"
        );
        assert!(fix.contains("Grant admin consent"), "{fix}");
    }

    #[test]
    fn no_roles_at_all_means_no_consent() {
        let test = signed_in(false, &[], false);
        assert!(
            test.headline()
                .contains("admin consent has not been granted")
        );
        assert!(test.fixes()[0].starts_with("Admin consent has not been granted"));
        assert!(test.fixes()[0].contains("User.Read.All, Group.Read.All and Directory.Read.All"));
    }

    #[test]
    fn the_simulation_says_so() {
        let mut test = signed_in(true, &REQUIRED_PERMISSIONS, true);
        test.simulated = true;
        assert!(
            test.headline()
                .starts_with("Connected to the simulated demo tenant (t) as dirsync."),
            "{}",
            test.headline()
        );
    }

    #[test]
    fn a_failed_read_is_not_a_success() {
        let test = signed_in(true, &REQUIRED_PERMISSIONS, false);
        assert!(!test.succeeded());
        assert!(test.headline().contains("reading the directory failed"));
    }

    #[test]
    fn a_refused_sign_in_gives_its_fix() {
        let test = ConnectionTest {
            target: "tenant t (Global)".into(),
            simulated: false,
            outcome: TestOutcome::SignInFailed {
                message: "Use the secret's Value, not its ID".into(),
            },
        };
        assert_eq!(test.headline(), "Could not sign in to tenant t (Global).");
        assert_eq!(
            test.fixes(),
            vec!["Use the secret's Value, not its ID".to_owned()]
        );
        assert!(!test.succeeded());
    }
}
