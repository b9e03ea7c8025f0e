//! What the Settings page shows besides the options themselves: the groups
//! a sync can be limited to, searched in the directory, and the record of
//! changes.

use super::sync::SyncOptions;
use serde::{Deserialize, Serialize};

/// How many matching groups a search shows at most: the admin narrows the
/// search rather than scrolling a tenant's thousands of groups.
pub const GROUP_MATCHES_SHOWN: usize = 50;

/// A directory group the admin can limit the sync to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupChoice {
    /// The group's Azure object id.
    pub id: String,
    /// Empty when the group's name is not known (not imported, and the
    /// directory could not be asked).
    pub name: String,
}

impl GroupChoice {
    /// The name, or the id when the name is unknown.
    pub fn label(&self) -> String {
        if self.name.is_empty() {
            format!("Group {}", self.id)
        } else {
            self.name.clone()
        }
    }
}

/// One page of a search over the directory's groups.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GroupSearch {
    /// The first matches, by name.
    pub matches: Vec<GroupChoice>,
    pub total_matches: usize,
    /// How many groups the directory holds.
    pub directory_groups: usize,
}

impl GroupSearch {
    /// "Showing 50 of 312 matching groups…", when not all are shown.
    pub fn more_note(&self) -> Option<String> {
        (self.total_matches > self.matches.len()).then(|| {
            format!(
                "Showing {} of {} matching groups: type more of a name to narrow the search.",
                self.matches.len(),
                super::format::format_count(self.total_matches as u64)
            )
        })
    }
}

/// The groups whose name holds every word of `query`, case-insensitively,
/// in name order; at most `limit` of them.
pub fn search_groups(groups: &[GroupChoice], query: &str, limit: usize) -> GroupSearch {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    let mut found: Vec<&GroupChoice> = groups
        .iter()
        .filter(|g| {
            let name = g.name.to_lowercase();
            words.iter().all(|w| name.contains(w.as_str()))
        })
        .collect();
    found.sort_by_cached_key(|g| (g.name.to_lowercase(), g.id.clone()));
    GroupSearch {
        total_matches: found.len(),
        matches: found.into_iter().take(limit).cloned().collect(),
        directory_groups: groups.len(),
    }
}

/// One saved change: who, when, what (never a secret's value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsChange {
    pub changed_at: i64,
    pub changed_by: String,
    pub summary: String,
}

/// The Settings page's sync section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncSettings {
    pub options: SyncOptions,
    /// The groups the sync is limited to, with their names where known.
    pub chosen_groups: Vec<GroupChoice>,
    /// The newest first.
    pub changes: Vec<SettingsChange>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(id: &str, name: &str) -> GroupChoice {
        GroupChoice {
            id: id.into(),
            name: name.into(),
        }
    }

    #[test]
    fn every_word_must_match_in_any_case() {
        let groups = [
            group("1", "Sales Europe"),
            group("2", "sales US"),
            group("3", "Support"),
            group("4", "Europe Support"),
        ];
        let found = search_groups(&groups, "  SALES ", 10);
        let names: Vec<&str> = found.matches.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["Sales Europe", "sales US"]);
        assert_eq!(found.directory_groups, 4);
        let found = search_groups(&groups, "europe sup", 10);
        assert_eq!(found.matches, vec![group("4", "Europe Support")]);
        assert_eq!(
            search_groups(&groups, "", 10).total_matches,
            4,
            "no words: all"
        );
        assert_eq!(found.more_note(), None);
    }

    #[test]
    fn a_long_answer_is_cut_and_says_so() {
        let groups: Vec<GroupChoice> = (0..120)
            .map(|i| group(&i.to_string(), &format!("Team {i:03}")))
            .collect();
        let found = search_groups(&groups, "team", GROUP_MATCHES_SHOWN);
        assert_eq!(found.matches.len(), 50);
        assert_eq!(found.matches[0].name, "Team 000");
        assert_eq!(found.total_matches, 120);
        assert_eq!(
            found.more_note().unwrap(),
            "Showing 50 of 120 matching groups: type more of a name to narrow the search."
        );
    }

    #[test]
    fn an_unknown_name_shows_the_id() {
        assert_eq!(group("g-1", "").label(), "Group g-1");
        assert_eq!(group("g-1", "Sales").label(), "Sales");
    }
}
