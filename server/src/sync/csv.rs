//! CSV exports of a preview (what would change) and of a run's results
//! (what did), one row per user, for admins to keep or to open in Excel.

use crate::store::Store;
use app::domain::profile::ProfileField;
use app::domain::sync::run::RowOutcome;
use app::domain::sync::{FieldChange, PlanEntry};
use app::services::StoreError;

const HEADER: &str = "Change,Name,Email,Department,Job title,Details,Outcome,Outcome details";

/// One CSV cell: quoted when needed, and defused when a spreadsheet would
/// read it as a formula (a leading =, +, - or @; OWASP "CSV injection").
pub fn cell(value: &str) -> String {
    let defused = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

fn changes_text(changes: &[FieldChange]) -> String {
    changes
        .iter()
        .map(|c| {
            format!(
                "{}: {} -> {}",
                c.field.label(),
                c.old.as_deref().unwrap_or("(empty)"),
                c.new.as_deref().unwrap_or("(empty)")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn line(fields: [&str; 8]) -> String {
    fields.iter().map(|f| cell(f)).collect::<Vec<_>>().join(",")
}

/// The plan of a run, with each row's outcome once applied.
pub async fn run_csv(store: &Store, run_id: i64) -> Result<String, StoreError> {
    let mut out = String::from(HEADER);
    out.push_str("\r\n");
    for stored in store.plan_entries(run_id).await? {
        let outcome = stored.outcome.map_or("", RowOutcome::as_str);
        let detail = stored.outcome_detail.as_deref().unwrap_or("");
        let row = match &stored.entry {
            PlanEntry::Add(a) => {
                let u = &a.user;
                line([
                    "Add",
                    &u.display_name,
                    &u.email,
                    u.profile.get(ProfileField::Department).unwrap_or(""),
                    u.profile.get(ProfileField::JobTitle).unwrap_or(""),
                    "",
                    outcome,
                    detail,
                ])
            }
            PlanEntry::Update(p) => {
                let u = &p.user;
                let details = match &p.adopts_by {
                    Some(address) => format!(
                        "Links the platform user {address} to Azure AD; {}",
                        changes_text(&p.changes)
                    ),
                    None => changes_text(&p.changes),
                };
                line([
                    "Update",
                    &u.display_name,
                    &u.email,
                    u.profile.get(ProfileField::Department).unwrap_or(""),
                    u.profile.get(ProfileField::JobTitle).unwrap_or(""),
                    &details,
                    outcome,
                    detail,
                ])
            }
            PlanEntry::Deactivate(d) => line([
                "Deactivate",
                &d.display_name,
                &d.email,
                "",
                "",
                &d.reason.to_string(),
                outcome,
                detail,
            ]),
            PlanEntry::Skip(s) => line([
                "Skip",
                s.display_name.as_deref().unwrap_or(""),
                &s.email_or_upn,
                "",
                "",
                &s.reason.to_string(),
                "",
                "",
            ]),
            PlanEntry::Groups(_) => continue,
        };
        out.push_str(&row);
        out.push_str("\r\n");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(cell("Ada Lovelace"), "Ada Lovelace");
        assert_eq!(cell("O'Brien, Zoë"), "\"O'Brien, Zoë\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+353 1 555"), "'+353 1 555");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
    }
}
