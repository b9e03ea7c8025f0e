//! Server-side paging: the browser asks for one page, never the whole table.

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
}
