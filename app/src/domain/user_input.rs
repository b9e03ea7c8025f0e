//! What an admin types into the Add user / Edit user form, and its validation.
//! Limits follow Azure AD's own, so a user typed here could live there too.

use super::email::{Email, EmailError};
use super::profile::{Profile, ProfileField, ValueKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The editable fields of a user, each with its form label and limit: the
/// name and email, then every profile field of [`super::profile::PROFILE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum UserField {
    DisplayName,
    Email,
    Profile(ProfileField),
}

impl UserField {
    /// Every field, in the form's order.
    pub fn all() -> impl Iterator<Item = Self> {
        [Self::DisplayName, Self::Email]
            .into_iter()
            .chain(ProfileField::all().map(Self::Profile))
    }

    /// The label shown on the form (and used by tests to find the field).
    pub fn label(self) -> &'static str {
        match self {
            Self::DisplayName => "Display name",
            Self::Email => "Email",
            Self::Profile(field) => field.label(),
        }
    }

    /// Longest value accepted, in characters (Azure AD's limit for the property).
    pub fn max_len(self) -> usize {
        match self {
            Self::DisplayName => 256,
            Self::Email => super::email::MAX_EMAIL_LEN,
            Self::Profile(field) => field.max_len(),
        }
    }

    /// A stable identifier: the HTML id, the key in a submitted form.
    pub fn key(self) -> &'static str {
        match self {
            Self::DisplayName => "display_name",
            Self::Email => "email",
            Self::Profile(field) => field.key(),
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::all().find(|f| f.key() == key)
    }

    /// The HTML input type that suits the field.
    pub fn input_type(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Profile(ProfileField::MobilePhone) => "tel",
            Self::Profile(field) if field.spec().kind == ValueKind::Date => "date",
            _ => "text",
        }
    }
}

/// One problem with one field, worded for the admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: UserField,
    pub message: String,
}

/// The form as typed: every field a string, empty meaning "not set". Sent
/// as a flat map of field keys to text; keys it does not know are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "BTreeMap<String, String>", into = "BTreeMap<String, String>")]
pub struct UserInput {
    values: BTreeMap<UserField, String>,
}

impl From<BTreeMap<String, String>> for UserInput {
    fn from(map: BTreeMap<String, String>) -> Self {
        let mut input = Self::default();
        for (key, value) in map {
            if let Some(field) = UserField::from_key(&key) {
                input.set(field, value);
            }
        }
        input
    }
}

impl From<UserInput> for BTreeMap<String, String> {
    fn from(input: UserInput) -> Self {
        UserField::all()
            .map(|f| (f.key().to_owned(), input.get(f).to_owned()))
            .collect()
    }
}

/// A form that passed validation: trimmed, optional fields absent when empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidUserInput {
    pub display_name: String,
    pub email: Email,
    pub profile: Profile,
}

impl UserInput {
    pub fn get(&self, field: UserField) -> &str {
        self.values.get(&field).map_or("", String::as_str)
    }

    pub fn set(&mut self, field: UserField, value: String) {
        self.values.insert(field, value);
    }

    /// The same form with `field` set: for building one in code.
    pub fn with(mut self, field: UserField, value: &str) -> Self {
        self.set(field, value.to_owned());
        self
    }

    /// The form pre-filled from a stored user, for editing.
    pub fn from_user(user: &super::user::LocalUser) -> Self {
        let mut input = Self::default()
            .with(UserField::DisplayName, &user.display_name)
            .with(UserField::Email, &user.email);
        for field in ProfileField::all() {
            if let Some(value) = user.profile.get(field) {
                input.set(UserField::Profile(field), value.to_owned());
            }
        }
        input
    }

    /// Checks every field and reports every problem at once, so the admin
    /// fixes the form in one pass.
    pub fn validate(&self) -> Result<ValidUserInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut err =
            |field: UserField, message: String| errors.push(FieldError { field, message });

        for field in UserField::all() {
            let value = self.get(field).trim();
            if value.chars().count() > field.max_len() {
                err(
                    field,
                    format!(
                        "{} is too long (at most {} characters).",
                        field.label(),
                        field.max_len()
                    ),
                );
            } else if value.chars().any(char::is_control) {
                err(
                    field,
                    format!("{} cannot contain control characters.", field.label()),
                );
            } else if let UserField::Profile(p) = field
                && !value.is_empty()
                && let Err(message) = p.check(value)
            {
                err(field, format!("{}: {message}.", field.label()));
            }
        }
        if self.get(UserField::DisplayName).trim().is_empty() {
            err(UserField::DisplayName, "Enter a display name.".to_owned());
        }
        let email = match Email::parse(self.get(UserField::Email)) {
            Ok(email) => Some(email),
            // Length is already reported above with the other fields.
            Err(EmailError::TooLong) => None,
            Err(e) => {
                err(UserField::Email, e.to_string());
                None
            }
        };

        match email {
            Some(email) if errors.is_empty() => {
                let mut profile = Profile::default();
                for field in ProfileField::all() {
                    profile.set(field, Some(self.get(UserField::Profile(field)).to_owned()));
                }
                Ok(ValidUserInput {
                    display_name: self.get(UserField::DisplayName).trim().to_owned(),
                    email,
                    profile,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::profile::ProfileField;

    fn valid() -> UserInput {
        UserInput::default()
            .with(UserField::DisplayName, " Ada Lovelace ")
            .with(UserField::Email, "Ada@Example.com")
            .with(UserField::Profile(ProfileField::Department), "Engineering")
    }

    fn fields(errors: &[FieldError]) -> Vec<UserField> {
        errors.iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_good_form_is_trimmed_and_empty_fields_become_none() {
        let v = valid().validate().unwrap();
        assert_eq!(v.display_name, "Ada Lovelace");
        assert_eq!(v.email.as_str(), "Ada@Example.com");
        assert_eq!(v.profile.get(ProfileField::Department), Some("Engineering"));
        assert_eq!(v.profile.get(ProfileField::JobTitle), None);
    }

    #[test]
    fn empty_name_and_bad_email_are_both_reported() {
        let input = UserInput::default()
            .with(UserField::DisplayName, "  ")
            .with(UserField::Email, "nope");
        let errors = input.validate().unwrap_err();
        assert_eq!(
            fields(&errors),
            vec![UserField::DisplayName, UserField::Email]
        );
        assert!(errors[1].message.contains("valid email"));
    }

    #[test]
    fn every_field_has_a_length_limit() {
        for field in UserField::all() {
            let mut input = valid();
            let too_long = "x".repeat(field.max_len() + 1);
            let value = if field == UserField::Email {
                format!("{too_long}@example.com")
            } else {
                too_long
            };
            input.set(field, value);
            let errors = input.validate().unwrap_err();
            assert_eq!(fields(&errors), vec![field], "{field:?}");
            assert!(
                errors[0].message.contains("too long"),
                "{}",
                errors[0].message
            );
        }
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        let mut input = valid();
        input.set(UserField::Profile(ProfileField::Department), "é".repeat(64));
        assert!(input.validate().is_ok());
    }

    #[test]
    fn control_characters_are_refused() {
        let mut input = valid();
        input.set(
            UserField::Profile(ProfileField::JobTitle),
            "Lead\u{0007}".into(),
        );
        assert_eq!(
            fields(&input.validate().unwrap_err()),
            vec![UserField::Profile(ProfileField::JobTitle)]
        );
    }

    #[test]
    fn a_hire_date_must_be_a_day() {
        let hire = UserField::Profile(ProfileField::EmployeeHireDate);
        let input = valid().with(hire, "2024-02-30");
        let errors = input.validate().unwrap_err();
        assert_eq!(fields(&errors), vec![hire]);
        assert_eq!(errors[0].message, "Hire date: not a date like 2024-01-31.");
        let ok = valid().with(hire, "2024-02-29").validate().unwrap();
        assert_eq!(
            ok.profile.get(ProfileField::EmployeeHireDate),
            Some("2024-02-29")
        );
    }

    #[test]
    fn travels_as_a_flat_map_and_ignores_unknown_keys() {
        let json = serde_json::json!({"display_name": "Ada", "email": "ada@example.com",
            "city": "London", "is_admin": "yes"});
        let input: UserInput = serde_json::from_value(json).unwrap();
        assert_eq!(input.get(UserField::Profile(ProfileField::City)), "London");
        let back = serde_json::to_value(&input).unwrap();
        assert_eq!(back["display_name"], "Ada");
        assert_eq!(back["city"], "London");
        assert_eq!(back["job_title"], "");
        assert!(back.get("is_admin").is_none());
    }
}
