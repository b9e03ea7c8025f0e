//! The facts of a whole batch of rows, read from the database at once and
//! kept up to date as the batch's own rows are decided, so that every row
//! sees what the rows before it wrote, exactly as if each had read the
//! database alone (the per-row reads it replaces: three queries a row).

use super::apply::{RowFacts, UserChange};
use crate::domain::email::normalize_email;
use crate::domain::user::LocalUser;
use std::collections::{HashMap, HashSet};

/// Who holds an address: their id, and "Name (email)" in the admin's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailHolder {
    pub id: i64,
    pub display_name: String,
    pub email: String,
}

impl EmailHolder {
    pub fn of(user: &LocalUser) -> Self {
        Self {
            id: user.id,
            display_name: user.display_name.clone(),
            email: user.email.clone(),
        }
    }

    /// "Name (email)", as a conflict names them.
    pub fn in_words(&self) -> String {
        format!("{} ({})", self.display_name, self.email)
    }
}

/// What the database holds for a batch: the users its rows change, who
/// holds the addresses its rows give, the Azure AD users already linked.
#[derive(Debug, Default)]
pub struct BatchFacts {
    users: HashMap<i64, LocalUser>,
    holders: HashMap<String, EmailHolder>,
    linked: HashSet<String>,
    /// Ids for the users this batch inserts (below every real id).
    next_new_id: i64,
}

/// What a batch needs read: the users it changes, the addresses it gives
/// (normalized), the Azure AD users it links.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct BatchKeys {
    pub user_ids: Vec<i64>,
    pub emails: Vec<String>,
    pub object_ids: Vec<String>,
}

impl BatchKeys {
    pub fn of<'a>(changes: impl IntoIterator<Item = UserChange<'a>>) -> Self {
        let mut keys = Self::default();
        for change in changes {
            keys.user_ids.extend(change.local_id());
            keys.emails
                .extend(change.email_taken().map(normalize_email));
            keys.object_ids
                .extend(change.links_object().map(str::to_owned));
        }
        for list in [&mut keys.emails, &mut keys.object_ids] {
            list.sort();
            list.dedup();
        }
        keys.user_ids.sort_unstable();
        keys.user_ids.dedup();
        keys
    }
}

impl BatchFacts {
    /// From what the database answered for [`BatchKeys`]: the users by id,
    /// the holders of the addresses, the object ids already linked.
    pub fn new(
        users: Vec<LocalUser>,
        holders: Vec<EmailHolder>,
        linked: impl IntoIterator<Item = String>,
    ) -> Self {
        Self {
            users: users.into_iter().map(|u| (u.id, u)).collect(),
            holders: holders
                .into_iter()
                .map(|h| (normalize_email(&h.email), h))
                .collect(),
            linked: linked.into_iter().collect(),
            next_new_id: -1,
        }
    }

    /// What the row would read from the database now.
    pub fn facts(&self, change: UserChange<'_>) -> RowFacts {
        let except = change.local_id();
        RowFacts {
            user: except.and_then(|id| self.users.get(&id).cloned()),
            email_holder: change
                .email_taken()
                .and_then(|email| self.holders.get(&normalize_email(email)))
                .filter(|h| Some(h.id) != except)
                .map(EmailHolder::in_words),
            object_linked: change
                .links_object()
                .is_some_and(|id| self.linked.contains(id)),
        }
    }

    /// Records a row's write (`user.id == 0`: an insert), so that the rows
    /// after it see it.
    pub fn wrote(&mut self, user: &LocalUser) {
        let mut user = user.clone();
        if user.id == 0 {
            user.id = self.next_new_id;
            self.next_new_id -= 1;
        }
        if let Some(before) = self.users.get(&user.id) {
            let old = normalize_email(&before.email);
            if self.holders.get(&old).is_some_and(|h| h.id == user.id) {
                self.holders.remove(&old);
            }
        }
        self.holders
            .insert(normalize_email(&user.email), EmailHolder::of(&user));
        if let Some(id) = &user.azure_object_id {
            self.linked.insert(id.clone());
        }
        self.users.insert(user.id, user);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::sync::apply::{RowDecision, decide};
    use crate::domain::sync::fixtures::{dir_user, directory, linked, local};
    use crate::domain::sync::{PlannedAdd, SyncOptions, plan_import};

    fn addition(id: &str, email: &str) -> PlannedAdd {
        let plan = plan_import(
            &directory(vec![dir_user(id, email)]),
            &local(vec![]),
            &SyncOptions::default(),
        );
        plan.added[0].clone()
    }

    fn written(decision: RowDecision) -> LocalUser {
        match decision {
            RowDecision::Write(user) => user,
            other => panic!("expected a write, got {other:?}"),
        }
    }

    #[test]
    fn a_row_sees_the_address_an_earlier_row_of_the_batch_took() {
        let first = addition("a", "sam@contoso.com");
        let second = addition("b", "Sam@Contoso.com");
        let mut facts = BatchFacts::new(vec![], vec![], []);
        let change = UserChange::Add(&first);
        let user = written(decide(change, &facts.facts(change), 1));
        facts.wrote(&user);
        let change = UserChange::Add(&second);
        assert_eq!(
            decide(change, &facts.facts(change), 1),
            RowDecision::Conflict(format!(
                "The email Sam@Contoso.com now belongs to {} (sam@contoso.com).",
                user.display_name
            ))
        );
    }

    #[test]
    fn a_row_sees_the_azure_ad_user_an_earlier_row_linked() {
        let first = addition("a", "sam@contoso.com");
        let second = addition("a", "other@contoso.com");
        let mut facts = BatchFacts::new(vec![], vec![], []);
        facts.wrote(&written(decide(
            UserChange::Add(&first),
            &facts.facts(UserChange::Add(&first)),
            1,
        )));
        assert!(facts.facts(UserChange::Add(&second)).object_linked);
    }

    #[test]
    fn facts_read_from_the_database_are_what_a_row_alone_would_read() {
        let holder = linked(7, "z", "sam@contoso.com");
        let add = addition("a", "SAM@contoso.com");
        let facts = BatchFacts::new(
            vec![holder.clone()],
            vec![EmailHolder::of(&holder)],
            ["a".to_owned()],
        );
        let row = facts.facts(UserChange::Add(&add));
        assert_eq!(
            row.email_holder,
            Some(format!("{} (sam@contoso.com)", holder.display_name))
        );
        assert!(row.object_linked);
        assert_eq!(
            BatchKeys::of([UserChange::Add(&add), UserChange::Add(&add)]),
            BatchKeys {
                user_ids: vec![],
                emails: vec!["sam@contoso.com".to_owned()],
                object_ids: vec!["a".to_owned()],
            }
        );
    }
}
