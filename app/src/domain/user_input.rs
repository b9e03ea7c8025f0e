//! What an admin types into the Add user / Edit user form, and its validation.
//! Limits follow Azure AD's own, so a user typed here could live there too.

use super::email::{Email, EmailError};
use serde::{Deserialize, Serialize};

/// The editable fields of a user, each with its form label and limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UserField {
    DisplayName,
    Email,
    GivenName,
    Surname,
    JobTitle,
    Department,
    OfficeLocation,
    BusinessPhone,
    MobilePhone,
    EmployeeId,
}

impl UserField {
    pub const ALL: [UserField; 10] = [
        Self::DisplayName,
        Self::Email,
        Self::GivenName,
        Self::Surname,
        Self::JobTitle,
        Self::Department,
        Self::OfficeLocation,
        Self::BusinessPhone,
        Self::MobilePhone,
        Self::EmployeeId,
    ];

    /// The label shown on the form (and used by tests to find the field).
    pub fn label(self) -> &'static str {
        match self {
            Self::DisplayName => "Display name",
            Self::Email => "Email",
            Self::GivenName => "Given name",
            Self::Surname => "Surname",
            Self::JobTitle => "Job title",
            Self::Department => "Department",
            Self::OfficeLocation => "Office location",
            Self::BusinessPhone => "Business phone",
            Self::MobilePhone => "Mobile phone",
            Self::EmployeeId => "Employee ID",
        }
    }

    /// Longest value accepted, in characters (Azure AD's limit for the property).
    pub fn max_len(self) -> usize {
        match self {
            Self::DisplayName => 256,
            Self::Email => super::email::MAX_EMAIL_LEN,
            Self::GivenName
            | Self::Surname
            | Self::Department
            | Self::BusinessPhone
            | Self::MobilePhone => 64,
            Self::JobTitle | Self::OfficeLocation => 128,
            Self::EmployeeId => 16,
        }
    }

    /// A stable identifier for HTML ids.
    pub fn key(self) -> &'static str {
        match self {
            Self::DisplayName => "display_name",
            Self::Email => "email",
            Self::GivenName => "given_name",
            Self::Surname => "surname",
            Self::JobTitle => "job_title",
            Self::Department => "department",
            Self::OfficeLocation => "office_location",
            Self::BusinessPhone => "business_phone",
            Self::MobilePhone => "mobile_phone",
            Self::EmployeeId => "employee_id",
        }
    }
}

/// One problem with one field, worded for the admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: UserField,
    pub message: String,
}

/// The form as typed: every field a string, empty meaning "not set".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInput {
    pub display_name: String,
    pub email: String,
    pub given_name: String,
    pub surname: String,
    pub job_title: String,
    pub department: String,
    pub office_location: String,
    pub business_phone: String,
    pub mobile_phone: String,
    pub employee_id: String,
}

/// A form that passed validation: trimmed, optional fields `None` when empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidUserInput {
    pub display_name: String,
    pub email: Email,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub office_location: Option<String>,
    pub business_phone: Option<String>,
    pub mobile_phone: Option<String>,
    pub employee_id: Option<String>,
}

impl UserInput {
    pub fn get(&self, field: UserField) -> &str {
        match field {
            UserField::DisplayName => &self.display_name,
            UserField::Email => &self.email,
            UserField::GivenName => &self.given_name,
            UserField::Surname => &self.surname,
            UserField::JobTitle => &self.job_title,
            UserField::Department => &self.department,
            UserField::OfficeLocation => &self.office_location,
            UserField::BusinessPhone => &self.business_phone,
            UserField::MobilePhone => &self.mobile_phone,
            UserField::EmployeeId => &self.employee_id,
        }
    }

    pub fn set(&mut self, field: UserField, value: String) {
        let slot = match field {
            UserField::DisplayName => &mut self.display_name,
            UserField::Email => &mut self.email,
            UserField::GivenName => &mut self.given_name,
            UserField::Surname => &mut self.surname,
            UserField::JobTitle => &mut self.job_title,
            UserField::Department => &mut self.department,
            UserField::OfficeLocation => &mut self.office_location,
            UserField::BusinessPhone => &mut self.business_phone,
            UserField::MobilePhone => &mut self.mobile_phone,
            UserField::EmployeeId => &mut self.employee_id,
        };
        *slot = value;
    }

    /// The form pre-filled from a stored user, for editing.
    pub fn from_user(user: &super::user::LocalUser) -> Self {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            display_name: user.display_name.clone(),
            email: user.email.clone(),
            given_name: opt(&user.given_name),
            surname: opt(&user.surname),
            job_title: opt(&user.job_title),
            department: opt(&user.department),
            office_location: opt(&user.office_location),
            business_phone: opt(&user.business_phone),
            mobile_phone: opt(&user.mobile_phone),
            employee_id: opt(&user.employee_id),
        }
    }

    /// Checks every field and reports every problem at once, so the admin
    /// fixes the form in one pass.
    pub fn validate(&self) -> Result<ValidUserInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut err =
            |field: UserField, message: String| errors.push(FieldError { field, message });

        for field in UserField::ALL {
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
            }
        }
        if self.display_name.trim().is_empty() {
            err(UserField::DisplayName, "Enter a display name.".to_owned());
        }
        let email = match Email::parse(&self.email) {
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
                let opt = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
                Ok(ValidUserInput {
                    display_name: self.display_name.trim().to_owned(),
                    email,
                    given_name: opt(&self.given_name),
                    surname: opt(&self.surname),
                    job_title: opt(&self.job_title),
                    department: opt(&self.department),
                    office_location: opt(&self.office_location),
                    business_phone: opt(&self.business_phone),
                    mobile_phone: opt(&self.mobile_phone),
                    employee_id: opt(&self.employee_id),
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> UserInput {
        UserInput {
            display_name: " Ada Lovelace ".into(),
            email: "Ada@Example.com".into(),
            department: "Engineering".into(),
            ..UserInput::default()
        }
    }

    fn fields(errors: &[FieldError]) -> Vec<UserField> {
        errors.iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_good_form_is_trimmed_and_empty_fields_become_none() {
        let v = valid().validate().unwrap();
        assert_eq!(v.display_name, "Ada Lovelace");
        assert_eq!(v.email.as_str(), "Ada@Example.com");
        assert_eq!(v.department.as_deref(), Some("Engineering"));
        assert_eq!(v.job_title, None);
    }

    #[test]
    fn empty_name_and_bad_email_are_both_reported() {
        let input = UserInput {
            display_name: "  ".into(),
            email: "nope".into(),
            ..UserInput::default()
        };
        let errors = input.validate().unwrap_err();
        assert_eq!(
            fields(&errors),
            vec![UserField::DisplayName, UserField::Email]
        );
        assert!(errors[1].message.contains("valid email"));
    }

    #[test]
    fn every_field_has_a_length_limit() {
        for field in UserField::ALL {
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
        input.set(UserField::Department, "é".repeat(64));
        assert!(input.validate().is_ok());
    }

    #[test]
    fn control_characters_are_refused() {
        let mut input = valid();
        input.set(UserField::JobTitle, "Lead\u{0007}".into());
        assert_eq!(
            fields(&input.validate().unwrap_err()),
            vec![UserField::JobTitle]
        );
    }
}
