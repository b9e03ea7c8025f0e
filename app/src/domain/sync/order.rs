//! The order a plan's rows are applied in, one at a time: changes of
//! existing users first, whoever gives up an address before whoever takes
//! it, then additions. The stored plan's order, and the model's.

use super::apply::UserChange;
use super::plan::{PlanEntry, SyncField, SyncedFields};
use crate::domain::email::normalize_email;

/// The order rows are applied in: the changes of existing users
/// (updates and deactivations, one sequence), then additions, since a change
/// may release an address that an addition takes.
pub const APPLY_PHASES: [&[super::view::PlanBucket]; 2] = [
    &[
        super::view::PlanBucket::Updated,
        super::view::PlanBucket::Deactivated,
    ],
    &[super::view::PlanBucket::Added],
];

impl SyncedFields {
    /// The value a field had when the preview was made.
    pub fn value(&self, field: SyncField) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .and_then(|(_, v)| v.as_deref())
    }
}

/// Puts the changes of existing users in the order they can be applied one
/// at a time: whoever releases an address before whoever takes it (the
/// planner leaves no circle of such waits). Other rows keep their places.
pub fn in_apply_order(entries: Vec<PlanEntry>) -> Vec<PlanEntry> {
    let key = |e: &str| normalize_email(e);
    // Who, among the changes, holds each address now (and gives it up).
    let releases: std::collections::HashMap<String, usize> = entries
        .iter()
        .enumerate()
        .filter_map(|(j, e)| {
            let change = UserChange::of(e)?;
            change.local_id()?;
            let before = match change {
                UserChange::Update(u) => &u.before,
                UserChange::Deactivate(d) => &d.before,
                UserChange::Add(_) => return None,
            };
            change.email_taken()?;
            Some((key(before.value(SyncField::Email)?), j))
        })
        .collect();
    let waits_on = |i: usize| -> Option<usize> {
        let change = UserChange::of(&entries[i])?;
        change.local_id()?;
        let j = *releases.get(&key(change.email_taken()?))?;
        (j != i).then_some(j)
    };
    let mut placed = vec![false; entries.len()];
    let mut order = Vec::with_capacity(entries.len());
    for i in 0..entries.len() {
        // Place what i waits on first, along the chain (bounded: no circles,
        // and a placed row ends it).
        let mut chain = vec![i];
        while let Some(j) = waits_on(*chain.last().unwrap_or(&i)) {
            if placed[j] || chain.contains(&j) {
                break;
            }
            chain.push(j);
        }
        for &k in chain.iter().rev() {
            if !placed[k] {
                placed[k] = true;
                order.push(k);
            }
        }
    }
    // Usually nobody waits on anybody: the rows stay where they are, and a
    // large plan is not copied into a new list.
    if order.iter().enumerate().all(|(at, k)| at == *k) {
        return entries;
    }
    let mut slots: Vec<Option<PlanEntry>> = entries.into_iter().map(Some).collect();
    order.into_iter().filter_map(|k| slots[k].take()).collect()
}
