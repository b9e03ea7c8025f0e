//! The directory data a user carries beyond name and email: the one table
//! that says, for each field, what Azure AD calls it, what the platform
//! calls it, where it is stored and how long it may be. Adding a field is
//! one row here (and its variant) plus its column in a migration: the Graph
//! `$select`, the mapping, the diff, the form, the store and the pages all
//! read this table.

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// A profile field of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ProfileField {
    GivenName,
    Surname,
    JobTitle,
    Department,
    CompanyName,
    EmployeeType,
    EmployeeId,
    EmployeeHireDate,
    OfficeLocation,
    City,
    Country,
    UsageLocation,
    PreferredLanguage,
    BusinessPhones,
    MobilePhone,
}

/// How Graph sends a field's value, and how the platform keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// A string, kept as it is (trimmed).
    Text,
    /// A string collection (`businessPhones`), kept as one text, the
    /// values joined by [`LIST_SEPARATOR`] in Graph's order.
    List,
    /// A `DateTimeOffset` (`2021-03-01T00:00:00Z`), kept as its date,
    /// `2021-03-01`: a hire date is a day, not an instant.
    Date,
}

/// Between the values of a [`ValueKind::List`] field.
pub const LIST_SEPARATOR: &str = "; ";

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub field: ProfileField,
    /// The stable name: in stored plans, and the Rust variant's name.
    pub name: &'static str,
    /// The column, and the form's field id.
    pub key: &'static str,
    /// The Microsoft Graph user property.
    pub graph: &'static str,
    /// What the pages call it.
    pub label: &'static str,
    /// Longest value accepted, in characters (Azure AD's own limit where it
    /// has one).
    pub max_len: usize,
    pub kind: ValueKind,
}

const fn spec(
    field: ProfileField,
    name: &'static str,
    key: &'static str,
    graph: &'static str,
    label: &'static str,
    max_len: usize,
    kind: ValueKind,
) -> FieldSpec {
    FieldSpec {
        field,
        name,
        key,
        graph,
        label,
        max_len,
        kind,
    }
}

use ProfileField as F;
use ValueKind::{Date, List, Text};

/// Every profile field, in the order the pages list them.
#[rustfmt::skip]
pub const PROFILE: [FieldSpec; 15] = [
    spec(F::GivenName, "GivenName", "given_name", "givenName", "Given name", 64, Text),
    spec(F::Surname, "Surname", "surname", "surname", "Surname", 64, Text),
    spec(F::JobTitle, "JobTitle", "job_title", "jobTitle", "Job title", 128, Text),
    spec(F::Department, "Department", "department", "department", "Department", 64, Text),
    spec(F::CompanyName, "CompanyName", "company_name", "companyName", "Company", 64, Text),
    spec(F::EmployeeType, "EmployeeType", "employee_type", "employeeType", "Employee type", 64, Text),
    spec(F::EmployeeId, "EmployeeId", "employee_id", "employeeId", "Employee ID", 16, Text),
    spec(F::EmployeeHireDate, "EmployeeHireDate", "employee_hire_date", "employeeHireDate", "Hire date", 10, Date),
    spec(F::OfficeLocation, "OfficeLocation", "office_location", "officeLocation", "Office location", 128, Text),
    spec(F::City, "City", "city", "city", "City", 128, Text),
    spec(F::Country, "Country", "country", "country", "Country or region", 128, Text),
    spec(F::UsageLocation, "UsageLocation", "usage_location", "usageLocation", "Usage location", 2, Text),
    spec(F::PreferredLanguage, "PreferredLanguage", "preferred_language", "preferredLanguage", "Preferred language", 16, Text),
    spec(F::BusinessPhones, "BusinessPhones", "business_phones", "businessPhones", "Business phones", 256, List),
    spec(F::MobilePhone, "MobilePhone", "mobile_phone", "mobilePhone", "Mobile phone", 64, Text),
];

impl ProfileField {
    /// Every field, in the table's order.
    pub fn all() -> impl Iterator<Item = Self> {
        PROFILE.iter().map(|s| s.field)
    }

    pub fn spec(self) -> &'static FieldSpec {
        PROFILE
            .iter()
            .find(|s| s.field == self)
            .expect("every field has a row in PROFILE")
    }

    pub fn label(self) -> &'static str {
        self.spec().label
    }

    pub fn key(self) -> &'static str {
        self.spec().key
    }

    pub fn name(self) -> &'static str {
        self.spec().name
    }

    pub fn max_len(self) -> usize {
        self.spec().max_len
    }

    /// By column / form key.
    pub fn from_key(key: &str) -> Option<Self> {
        PROFILE.iter().find(|s| s.key == key).map(|s| s.field)
    }

    /// By stable name; `BusinessPhone` is what plans stored before every
    /// business phone was kept.
    pub fn from_name(name: &str) -> Option<Self> {
        if name == "BusinessPhone" {
            return Some(Self::BusinessPhones);
        }
        PROFILE.iter().find(|s| s.name == name).map(|s| s.field)
    }

    /// Checks a value as the platform keeps it; the message is for the admin.
    pub fn check(self, value: &str) -> Result<(), String> {
        let spec = self.spec();
        if value.chars().count() > spec.max_len {
            return Err(format!("longer than {} characters", spec.max_len));
        }
        if value.chars().any(char::is_control) {
            return Err("contains control characters".into());
        }
        if spec.kind == Date && !is_iso_date(value) {
            return Err("not a date like 2024-01-31".into());
        }
        Ok(())
    }
}

/// `YYYY-MM-DD` with a real month and a day that month can have.
pub fn is_iso_date(value: &str) -> bool {
    let b = value.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let number = |r: std::ops::Range<usize>| -> Option<u32> {
        value.get(r.clone())?;
        b[r.clone()]
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| value[r].parse().ok())
            .flatten()
    };
    let (Some(year), Some(month), Some(day)) = (number(0..4), number(5..7), number(8..10)) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// A Graph `DateTimeOffset` as the date it falls on in UTC, which is how
/// Azure AD stores a hire date (midnight UTC). `None` when it is not one.
pub fn date_of_graph_timestamp(value: &str) -> Option<String> {
    let date = value.get(..10)?;
    let rest = &value[10..];
    (is_iso_date(date) && (rest.is_empty() || rest.starts_with('T'))).then(|| date.to_owned())
}

/// A user's profile: each field set, or absent. Serialized as a map keyed
/// by column name, so that a struct can `#[serde(flatten)]` it and keep
/// the flat shape (`"job_title": ...`) that stored plans already have.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Profile(BTreeMap<ProfileField, String>);

impl Profile {
    pub fn get(&self, field: ProfileField) -> Option<&str> {
        self.0.get(&field).map(String::as_str)
    }

    /// Sets a field; an empty value (after trimming) clears it.
    pub fn set(&mut self, field: ProfileField, value: Option<String>) {
        match value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
            Some(v) => self.0.insert(field, v),
            None => self.0.remove(&field),
        };
    }

    /// The same profile with `field` set to `value`.
    pub fn with(mut self, field: ProfileField, value: &str) -> Self {
        self.set(field, Some(value.to_owned()));
        self
    }

    /// The first field whose value fails [`ProfileField::check`].
    pub fn first_invalid(&self) -> Option<(ProfileField, String)> {
        self.0
            .iter()
            .find_map(|(f, v)| f.check(v).err().map(|message| (*f, message)))
    }
}

impl Serialize for Profile {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (field, value) in &self.0 {
            map.serialize_entry(field.key(), value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Profile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ProfileVisitor;
        impl<'de> Visitor<'de> for ProfileVisitor {
            type Value = Profile;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of profile fields")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Profile, A::Error> {
                let mut profile = Profile::default();
                while let Some(key) = map.next_key::<String>()? {
                    // Stored before every business phone was kept.
                    let key = if key == "business_phone" {
                        "business_phones"
                    } else {
                        key.as_str()
                    };
                    match ProfileField::from_key(key) {
                        Some(field) => {
                            let value: Option<String> = map.next_value()?;
                            profile.set(field, value);
                        }
                        // Another struct's field, when flattened.
                        None => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(profile)
            }
        }
        deserializer.deserialize_map(ProfileVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_every_field_once() {
        let mut seen = std::collections::HashSet::new();
        for spec in PROFILE {
            assert!(seen.insert(spec.field), "{:?} twice", spec.field);
            assert_eq!(format!("{:?}", spec.field), spec.name);
            assert_eq!(ProfileField::from_key(spec.key), Some(spec.field));
            assert_eq!(ProfileField::from_name(spec.name), Some(spec.field));
            assert!(
                spec.key.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{} is used as a column name",
                spec.key
            );
        }
        assert_eq!(
            ProfileField::from_name("BusinessPhone"),
            Some(ProfileField::BusinessPhones)
        );
    }

    #[test]
    fn dates_are_real_days() {
        for ok in ["2024-01-31", "2024-02-29", "2000-02-29", "1999-12-01"] {
            assert!(is_iso_date(ok), "{ok}");
        }
        for bad in [
            "2023-02-29",
            "1900-02-29",
            "2024-13-01",
            "2024-04-31",
            "2024-1-31",
            "24-01-31",
            "2024/01/31",
            "2024-01-3a",
            "",
            "2024-01-311",
            "२०२४-01-31",
        ] {
            assert!(!is_iso_date(bad), "{bad}");
        }
        assert_eq!(
            date_of_graph_timestamp("2021-03-01T00:00:00Z").as_deref(),
            Some("2021-03-01")
        );
        assert_eq!(
            date_of_graph_timestamp("2021-03-01").as_deref(),
            Some("2021-03-01")
        );
        assert_eq!(date_of_graph_timestamp("2021-03-01X"), None);
        assert_eq!(date_of_graph_timestamp("yesterday"), None);
        assert_eq!(date_of_graph_timestamp("é"), None);
    }

    #[test]
    fn checks_length_control_characters_and_dates() {
        assert!(ProfileField::UsageLocation.check("GB").is_ok());
        assert_eq!(
            ProfileField::UsageLocation.check("GBR").unwrap_err(),
            "longer than 2 characters"
        );
        assert!(ProfileField::City.check("Lon\u{7}don").is_err());
        assert!(ProfileField::EmployeeHireDate.check("2024-02-30").is_err());
        assert!(ProfileField::EmployeeHireDate.check("2024-02-29").is_ok());
    }

    #[test]
    fn serializes_flat_by_column_and_reads_what_older_plans_stored() {
        let profile = Profile::default()
            .with(ProfileField::JobTitle, "Countess")
            .with(ProfileField::BusinessPhones, "+44 1; +44 2");
        let json = serde_json::to_value(&profile).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"job_title": "Countess", "business_phones": "+44 1; +44 2"})
        );
        let old: Profile = serde_json::from_value(serde_json::json!({
            "job_title": "Countess", "department": null, "business_phone": "+44 1",
            "azure_object_id": "ignored: another struct's field"
        }))
        .unwrap();
        assert_eq!(old.get(ProfileField::JobTitle), Some("Countess"));
        assert_eq!(old.get(ProfileField::Department), None);
        assert_eq!(old.get(ProfileField::BusinessPhones), Some("+44 1"));
    }

    #[test]
    fn empty_values_are_absent() {
        let mut p = Profile::default().with(ProfileField::City, "  ");
        assert_eq!(p, Profile::default());
        p.set(ProfileField::City, Some(" Paris ".into()));
        assert_eq!(p.get(ProfileField::City), Some("Paris"));
    }
}
