//! Server-side paging: the browser asks for one page, never the whole table.

use super::format::format_count;
use serde::{Deserialize, Serialize};

/// Rows per page of every paged table.
pub const PAGE_SIZE: u32 = 25;
/// Longest search text accepted; longer input is cut, not refused.
pub const MAX_SEARCH_LEN: usize = 200;

/// What the Users table asks the server for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserQuery {
    /// Matched case-insensitively against name, email, department and title.
    pub search: String,
    /// 1-based page number.
    pub page: u32,
}

impl UserQuery {
    pub fn new(search: &str, page: u32) -> Self {
        let search: String = search.trim().chars().take(MAX_SEARCH_LEN).collect();
        Self {
            search,
            page: page.max(1),
        }
    }

    pub fn offset(&self) -> u64 {
        u64::from(self.page.max(1) - 1) * u64::from(PAGE_SIZE)
    }
}

/// One page of results and the total that matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u32,
    pub page_size: u32,
}

impl<T> Page<T> {
    pub fn page_count(&self) -> u32 {
        let size = u64::from(self.page_size.max(1));
        u32::try_from(self.total.div_ceil(size))
            .unwrap_or(u32::MAX)
            .max(1)
    }

    /// The 1-based positions of the first and last rows shown, for
    /// "26–50 of 2,339".
    pub fn shown_range(&self) -> (u64, u64) {
        if self.items.is_empty() {
            return (0, 0);
        }
        let first = u64::from(self.page.max(1) - 1) * u64::from(self.page_size) + 1;
        (first, first + self.items.len() as u64 - 1)
    }

    /// What is shown, e.g. "26–50 of 2,339".
    pub fn shown_text(&self) -> String {
        let (first, last) = self.shown_range();
        format!(
            "{}–{} of {}",
            format_count(first),
            format_count(last),
            format_count(self.total)
        )
    }

    pub fn has_previous(&self) -> bool {
        self.page > 1
    }

    pub fn has_next(&self) -> bool {
        self.page < self.page_count()
    }

    /// The page `query` asks for of a list the server holds whole (a
    /// preview's group lines): the items `matches` keeps for the search
    /// (given lowercased; every item when it is empty), in their order.
    pub fn of(items: Vec<T>, query: &UserQuery, matches: impl Fn(&T, &str) -> bool) -> Self {
        let search = query.search.to_lowercase();
        let matching: Vec<T> = items
            .into_iter()
            .filter(|item| search.is_empty() || matches(item, &search))
            .collect();
        let total = matching.len() as u64;
        let skip = usize::try_from(query.offset()).unwrap_or(usize::MAX);
        Self {
            items: matching
                .into_iter()
                .skip(skip)
                .take(PAGE_SIZE as usize)
                .collect(),
            total,
            page: query.page,
            page_size: PAGE_SIZE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_trimmed_bounded_and_start_at_page_one() {
        let q = UserQuery::new("  ada  ", 0);
        assert_eq!(q.search, "ada");
        assert_eq!(q.page, 1);
        assert_eq!(q.offset(), 0);
        assert_eq!(UserQuery::new("", 3).offset(), 50);
        assert_eq!(
            UserQuery::new(&"x".repeat(500), 1).search.len(),
            MAX_SEARCH_LEN
        );
    }

    #[test]
    fn page_counts_and_ranges() {
        let page = Page {
            items: vec![1; 25],
            total: 2339,
            page: 2,
            page_size: 25,
        };
        assert_eq!(page.page_count(), 94);
        assert_eq!(page.shown_range(), (26, 50));
        let empty: Page<u8> = Page {
            items: vec![],
            total: 0,
            page: 1,
            page_size: 25,
        };
        assert_eq!(empty.page_count(), 1);
        assert_eq!(empty.shown_range(), (0, 0));
    }

    #[test]
    fn a_list_held_whole_is_searched_then_paged() {
        let names: Vec<String> = (1..=60).map(|n| format!("Team {n:02}")).collect();
        let contains = |name: &String, search: &str| name.to_lowercase().contains(search);
        let first = Page::of(names.clone(), &UserQuery::new("", 1), contains);
        assert_eq!(first.total, 60);
        assert_eq!(first.items.len(), PAGE_SIZE as usize);
        assert_eq!(first.items[0], "Team 01");
        let last = Page::of(names.clone(), &UserQuery::new("", 3), contains);
        assert_eq!(
            last.items,
            [
                "Team 51", "Team 52", "Team 53", "Team 54", "Team 55", "Team 56", "Team 57",
                "Team 58", "Team 59", "Team 60"
            ]
        );
        assert_eq!(last.shown_range(), (51, 60));
        assert_eq!(last.shown_text(), "51–60 of 60");
        assert!(last.has_previous() && !last.has_next());
        assert!(!first.has_previous() && first.has_next());
        let searched = Page::of(names.clone(), &UserQuery::new("  TEAM 1", 1), contains);
        assert_eq!(searched.total, 10, "Team 10 to Team 19, any case");
        let beyond = Page::of(names, &UserQuery::new("", 9), contains);
        assert!(beyond.items.is_empty());
        assert_eq!(beyond.total, 60);
    }
}
