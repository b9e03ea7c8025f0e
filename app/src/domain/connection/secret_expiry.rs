//! When the app registration's client secret expires, and how loudly to
//! say so. An expired secret fails every sign-in with AADSTS7000222, which
//! is too late to learn it; so Test connection and every sync read the
//! app's own `passwordCredentials` (graph-api.md §10), find the entry of
//! the secret in use by its `hint` (its first three characters), and the
//! pages warn from [`WARNING_DAYS`] before the end. Where Azure AD will not
//! say, the admin can enter the date by hand.

use crate::domain::format::format_date;
use serde::{Deserialize, Serialize};

/// How many days before the end the pages start warning.
pub const WARNING_DAYS: i64 = 30;

const DAY: i64 = 86_400_000;

/// One of the app's client secrets as Graph lists it (never its value:
/// Graph returns that only when the secret is created).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordCredential {
    pub key_id: String,
    /// The description given in the Azure portal.
    pub display_name: Option<String>,
    /// The secret's first three characters.
    pub hint: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
}

/// What Graph shows of a secret: its first three characters.
pub fn hint_of(secret: &str) -> String {
    secret.chars().take(3).collect()
}

/// The expiry Azure AD gave for the secret in use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadExpiry {
    pub expires_at: i64,
    /// The secret's description in the portal, when it has one.
    pub description: Option<String>,
    /// The app registration's name, for the portal path.
    pub app_name: Option<String>,
    /// How many of the app's secrets start with the same three characters
    /// (more than one: the choice is explained).
    pub sharing_hint: usize,
}

/// Finds the entry of the secret whose first three characters are `hint`.
/// Several secrets can share them: then the one valid `now` that ends
/// first (the warning errs early), else the newest. `Err` is the reason,
/// worded for the Settings page.
pub fn find_expiry(
    credentials: &[PasswordCredential],
    hint: &str,
    app_name: Option<&str>,
    now: i64,
) -> Result<ReadExpiry, String> {
    let matching: Vec<&PasswordCredential> = credentials
        .iter()
        .filter(|c| c.hint.as_deref() == Some(hint) && c.ends_at.is_some())
        .collect();
    let valid_now = |c: &&&PasswordCredential| {
        c.starts_at.is_none_or(|s| s <= now) && c.ends_at.is_some_and(|e| e > now)
    };
    let chosen = matching
        .iter()
        .filter(valid_now)
        .min_by_key(|c| c.ends_at)
        .or_else(|| matching.iter().max_by_key(|c| c.ends_at));
    let Some(chosen) = chosen else {
        return Err(format!(
            "None of the app's {} client secret{} starts with the same three characters as the secret dirsync signs in with, so Azure AD does not say when it expires.",
            credentials.len(),
            if credentials.len() == 1 { "" } else { "s" }
        ));
    };
    Ok(ReadExpiry {
        expires_at: chosen.ends_at.unwrap_or_default(),
        description: chosen.display_name.clone().filter(|d| !d.is_empty()),
        app_name: app_name.map(str::to_owned),
        sharing_hint: matching.len(),
    })
}

/// The date an admin entered ("YYYY-MM-DD", the start of that day in UTC;
/// empty clears it), or why it is not one.
pub fn parse_entered_date(date: &str) -> Result<Option<i64>, String> {
    match date.trim() {
        "" => Ok(None),
        date => crate::domain::format::millis_of_date(date).map(Some).ok_or_else(|| {
            format!(
                "\"{}\" is not a date: enter the day the secret expires as YYYY-MM-DD, as the Azure portal shows it under Certificates & secrets.",
                date.chars().take(40).collect::<String>()
            )
        }),
    }
}

/// The last attempt to read the expiry from Azure AD.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpiryRead {
    Found(ReadExpiry),
    /// Why it could not be read, for the Settings page.
    Failed {
        reason: String,
    },
}

/// An expiry date the admin entered because Azure AD would not say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualExpiry {
    pub expires_at: i64,
    pub entered_by: String,
    pub entered_at: i64,
}

/// What dirsync knows of one secret's expiry: the last read and the
/// admin's date. Kept per secret: `secret` names the secret it is about,
/// so a replaced secret starts afresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretExpiry {
    pub secret: String,
    pub last_read: Option<ExpiryRead>,
    pub read_at: Option<i64>,
    pub manual: Option<ManualExpiry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpiryLevel {
    /// More than [`WARNING_DAYS`] left.
    Fine,
    /// Within [`WARNING_DAYS`].
    Soon,
    Expired,
}

/// What Settings and Import Users say about the expiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiryNotice {
    pub level: ExpiryLevel,
    pub text: String,
}

impl SecretExpiry {
    /// A record for `secret` with nothing known yet.
    pub fn new(secret: &str) -> Self {
        Self {
            secret: secret.to_owned(),
            last_read: None,
            read_at: None,
            manual: None,
        }
    }

    /// What Azure AD said, else what the admin entered.
    pub fn expires_at(&self) -> Option<i64> {
        match (&self.last_read, &self.manual) {
            (Some(ExpiryRead::Found(read)), _) => Some(read.expires_at),
            (_, Some(manual)) => Some(manual.expires_at),
            _ => None,
        }
    }

    /// Why Azure AD did not say, when the last read failed.
    pub fn unreadable(&self) -> Option<&str> {
        match &self.last_read {
            Some(ExpiryRead::Failed { reason }) => Some(reason),
            _ => None,
        }
    }

    /// The admin may enter the date until Azure AD gives one.
    pub fn can_enter_by_hand(&self) -> bool {
        !matches!(self.last_read, Some(ExpiryRead::Found(_)))
    }

    pub fn level(&self, now: i64) -> Option<ExpiryLevel> {
        let end = self.expires_at()?;
        Some(if end <= now {
            ExpiryLevel::Expired
        } else if end - now <= WARNING_DAYS * DAY {
            ExpiryLevel::Soon
        } else {
            ExpiryLevel::Fine
        })
    }

    /// The sentence the pages show, when an expiry is known.
    /// `in_environment`: the secret comes from `AZURE_CLIENT_SECRET`, so a
    /// new one goes there, not on the Settings page.
    pub fn notice(&self, now: i64, in_environment: bool) -> Option<ExpiryNotice> {
        let level = self.level(now)?;
        let end = self.expires_at()?;
        let read = match &self.last_read {
            Some(ExpiryRead::Found(read)) => Some(read),
            _ => None,
        };
        let app = read
            .and_then(|r| r.app_name.as_deref())
            .unwrap_or("your app");
        let source = match (read, &self.manual) {
            (Some(read), _) => {
                let mut s = "Read from Azure AD".to_owned();
                if let Some(description) = &read.description {
                    s.push_str(&format!(" (the secret \"{description}\")"));
                }
                if read.sharing_hint > 1 {
                    s.push_str(&format!(
                        "; {} of the app's secrets start with the same three characters, so dirsync took the one valid now that expires first (or, if none is valid now, the newest)",
                        read.sharing_hint
                    ));
                }
                s + "."
            }
            (None, Some(manual)) => format!(
                "Entered by {} on {}.",
                manual.entered_by,
                format_date(manual.entered_at)
            ),
            (None, None) => String::new(),
        };
        let save = if in_environment {
            "put its Value in AZURE_CLIENT_SECRET in the server's environment and restart dirsync"
        } else {
            "save its Value under Settings > Azure AD connection"
        };
        let renew = format!(
            "Create a new secret in the Azure portal under App registrations > {app} > Certificates & secrets, and {save}"
        );
        let text = match level {
            ExpiryLevel::Fine => format!(
                "The client secret expires on {} ({}). {source}",
                format_date(end),
                days_left(end - now)
            ),
            ExpiryLevel::Soon => format!(
                "The client secret expires on {}, {}. {renew} before then, or imports will stop. {source}",
                format_date(end),
                days_left(end - now)
            ),
            ExpiryLevel::Expired => format!(
                "The client secret expired on {}: Azure AD refuses every sign-in with it. {renew}. {source}",
                format_date(end)
            ),
        };
        Some(ExpiryNotice {
            level,
            text: text.trim_end().to_owned(),
        })
    }
}

/// The Settings page's view of the expiry: what is known, the sentence
/// about it, and whether there is a secret to speak of at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretExpiryView {
    /// A connection with a secret is in use (else nothing to show).
    pub applies: bool,
    pub expiry: Option<SecretExpiry>,
    /// Worded at the time of the request.
    pub notice: Option<ExpiryNotice>,
}

impl SecretExpiryView {
    /// The admin may enter the date: there is a secret, and Azure AD has
    /// not given its end.
    pub fn can_enter_by_hand(&self) -> bool {
        self.applies
            && self
                .expiry
                .as_ref()
                .is_none_or(SecretExpiry::can_enter_by_hand)
    }
}

/// "in 12 days", "in 1 day", "in less than a day".
fn days_left(millis: i64) -> String {
    match millis / DAY {
        0 => "in less than a day".to_owned(),
        1 => "in 1 day".to_owned(),
        n => format!("in {n} days"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_000_000_000;

    fn credential(hint: &str, starts: i64, ends: i64) -> PasswordCredential {
        PasswordCredential {
            key_id: format!("key-{hint}-{ends}"),
            display_name: Some(format!("secret {hint}")),
            hint: Some(hint.into()),
            starts_at: Some(starts),
            ends_at: Some(ends),
        }
    }

    fn known(expires_at: i64) -> SecretExpiry {
        SecretExpiry {
            last_read: Some(ExpiryRead::Found(ReadExpiry {
                expires_at,
                description: None,
                app_name: Some("dirsync".into()),
                sharing_hint: 1,
            })),
            read_at: Some(NOW),
            ..SecretExpiry::new("s")
        }
    }

    #[test]
    fn the_hint_is_the_first_three_characters() {
        assert_eq!(hint_of("Abc~defgh"), "Abc");
        assert_eq!(hint_of("äöüx"), "äöü");
        assert_eq!(hint_of("ab"), "ab");
    }

    #[test]
    fn the_secret_in_use_is_found_by_its_hint() {
        let creds = [
            credential("xyz", NOW - 10 * DAY, NOW + 400 * DAY),
            credential("abc", NOW - 10 * DAY, NOW + 90 * DAY),
        ];
        let found = find_expiry(&creds, "abc", Some("dirsync"), NOW).unwrap();
        assert_eq!(found.expires_at, NOW + 90 * DAY);
        assert_eq!(found.description.as_deref(), Some("secret abc"));
        assert_eq!(found.sharing_hint, 1);
        let missing = find_expiry(&creds, "def", None, NOW).unwrap_err();
        assert!(
            missing.starts_with("None of the app's 2 client secrets"),
            "{missing}"
        );
    }

    #[test]
    fn a_shared_hint_takes_the_secret_valid_now_that_ends_first() {
        let creds = [
            credential("abc", NOW - 800 * DAY, NOW - 30 * DAY),
            credential("abc", NOW - 10 * DAY, NOW + 300 * DAY),
            credential("abc", NOW - 5 * DAY, NOW + 20 * DAY),
            credential("abc", NOW + 5 * DAY, NOW + 10 * DAY),
        ];
        let found = find_expiry(&creds, "abc", None, NOW).unwrap();
        assert_eq!(found.expires_at, NOW + 20 * DAY);
        assert_eq!(found.sharing_hint, 4);
        // None valid now: the newest, so an expired secret says so.
        let found = find_expiry(&creds[..1], "abc", None, NOW).unwrap();
        assert_eq!(found.expires_at, NOW - 30 * DAY);
    }

    #[test]
    fn the_warning_starts_thirty_days_before_and_turns_to_an_error_at_the_end() {
        assert_eq!(known(NOW + 31 * DAY).level(NOW), Some(ExpiryLevel::Fine));
        assert_eq!(known(NOW + 30 * DAY).level(NOW), Some(ExpiryLevel::Soon));
        assert_eq!(known(NOW + 1).level(NOW), Some(ExpiryLevel::Soon));
        assert_eq!(known(NOW).level(NOW), Some(ExpiryLevel::Expired));
        assert_eq!(SecretExpiry::new("s").level(NOW), None);
        assert_eq!(SecretExpiry::new("s").notice(NOW, false), None);
    }

    #[test]
    fn notices_give_the_date_the_days_left_and_the_portal_step() {
        let fine = known(NOW + 100 * DAY).notice(NOW, false).unwrap();
        assert_eq!(
            fine.text,
            "The client secret expires on 2027-02-26 (in 100 days). Read from Azure AD."
        );
        let soon = known(NOW + 12 * DAY + 5).notice(NOW, false).unwrap();
        assert_eq!(soon.level, ExpiryLevel::Soon);
        assert!(soon.text.starts_with("The client secret expires on 2026-11-30, in 12 days. Create a new secret in the Azure portal under App registrations > dirsync > Certificates & secrets"), "{}", soon.text);
        let expired = known(NOW - DAY).notice(NOW, false).unwrap();
        assert!(
            expired.text.starts_with(
                "The client secret expired on 2026-11-17: Azure AD refuses every sign-in"
            ),
            "{}",
            expired.text
        );
    }

    #[test]
    fn an_entered_date_is_a_real_day_or_nothing() {
        assert_eq!(parse_entered_date(" "), Ok(None));
        assert_eq!(parse_entered_date("1970-01-02"), Ok(Some(DAY)));
        for bad in ["2027-02-30", "tomorrow", "2027-1-1", "2027-01-01T00:00:00Z"] {
            let why = parse_entered_date(bad).unwrap_err();
            assert!(why.contains("YYYY-MM-DD"), "{why}");
        }
        let long = parse_entered_date(&"9".repeat(5000)).unwrap_err();
        assert!(long.len() < 200, "the message quotes only the start");
    }

    #[test]
    fn a_date_entered_by_hand_counts_until_azure_ad_says() {
        let mut expiry = SecretExpiry {
            last_read: Some(ExpiryRead::Failed {
                reason: "denied".into(),
            }),
            manual: Some(ManualExpiry {
                expires_at: NOW + 10 * DAY,
                entered_by: "admin@example.com".into(),
                entered_at: NOW,
            }),
            ..SecretExpiry::new("s")
        };
        assert!(expiry.can_enter_by_hand());
        assert_eq!(expiry.unreadable(), Some("denied"));
        let notice = expiry.notice(NOW, false).unwrap();
        assert_eq!(notice.level, ExpiryLevel::Soon);
        assert!(
            notice
                .text
                .ends_with("Entered by admin@example.com on 2026-11-18."),
            "{}",
            notice.text
        );
        assert!(notice.text.contains("App registrations > your app >"));
        let from_env = expiry.notice(NOW, true).unwrap();
        assert!(
            from_env.text.contains("AZURE_CLIENT_SECRET") && !from_env.text.contains("Settings >"),
            "{}",
            from_env.text
        );
        expiry.last_read = known(NOW + 200 * DAY).last_read;
        assert!(!expiry.can_enter_by_hand());
        assert_eq!(expiry.level(NOW), Some(ExpiryLevel::Fine));
    }
}
