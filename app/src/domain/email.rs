//! Email addresses: validated once, compared case-insensitively.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest address SMTP allows (RFC 5321: 254 characters in a path).
pub const MAX_EMAIL_LEN: usize = 254;

/// A syntactically plausible email address, kept as the admin typed it
/// (trimmed). Equality and uniqueness use [`Email::normalized`], because
/// `Ada@Example.com` and `ada@example.com` are the same mailbox to everyone
/// who will ever type them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Email(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("Enter an email address.")]
    Empty,
    #[error("Email is too long (at most 254 characters).")]
    TooLong,
    #[error("Enter a valid email address, like name@example.com.")]
    Invalid,
}

impl Email {
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        if trimmed.chars().count() > MAX_EMAIL_LEN {
            return Err(EmailError::TooLong);
        }
        let Some((local, domain)) = trimmed.rsplit_once('@') else {
            return Err(EmailError::Invalid);
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        let no_space = !trimmed.chars().any(|c| c.is_whitespace() || c.is_control());
        if local.is_empty() || local.contains('@') || !domain_ok || !no_space {
            return Err(EmailError::Invalid);
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used for uniqueness and matching: lower case, Unicode-aware.
    pub fn normalized(&self) -> String {
        normalize_email(&self.0)
    }
}

/// An address as compared: trimmed, Unicode NFC (so that `é` typed as one
/// character and as `e` + accent are the same address), lower-cased. Used
/// for stored values too, so the database's unique index and the matcher
/// agree on what "the same" means.
pub fn normalize_email(raw: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    raw.trim().nfc().collect::<String>().to_lowercase()
}

impl PartialEq for Email {
    fn eq(&self, other: &Self) -> bool {
        self.normalized() == other.normalized()
    }
}
impl Eq for Email {}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_and_international_addresses() {
        for ok in [
            "ada@example.com",
            " Ada.Lovelace@Example.COM ",
            "o'brien@contoso.ie",
            "zoë@exämple.de",
            "user+tag@sub.example.co.uk",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok} should be accepted");
        }
    }

    #[test]
    fn rejects_what_cannot_be_an_address() {
        assert_eq!(Email::parse("   ").unwrap_err(), EmailError::Empty);
        for bad in [
            "ada",
            "@example.com",
            "ada@",
            "ada@example",
            "ada@.example.com",
            "ada@example.com.",
            "ada@exa..mple.com",
            "a da@example.com",
            "ada@@example.com",
        ] {
            assert_eq!(Email::parse(bad).unwrap_err(), EmailError::Invalid, "{bad}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long).unwrap_err(), EmailError::TooLong);
    }

    #[test]
    fn compares_case_insensitively_but_keeps_what_was_typed() {
        let a = Email::parse("Ada@Example.com").unwrap();
        let b = Email::parse("ada@example.COM").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "Ada@Example.com");
        assert_eq!(a.normalized(), "ada@example.com");
        assert_eq!(normalize_email("ÉMILE@EXAMPLE.FR"), "émile@example.fr");
    }

    #[test]
    fn composed_and_decomposed_accents_are_one_address() {
        let composed = "zo\u{eb}@example.de";
        let decomposed = "zoe\u{308}@example.de";
        assert_ne!(composed, decomposed);
        assert_eq!(normalize_email(composed), normalize_email(decomposed));
        assert_eq!(
            normalize_email("ZOE\u{308}@Example.DE"),
            normalize_email(composed)
        );
    }
}
