//! The query options the emulated collections understand (graph-api.md §2,
//! Appendix A item 4): `$select`, `$top`, `$count`, `$filter` on
//! `accountEnabled` and `userType`, and opaque `$skiptoken` paging links
//! that keep every other parameter.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const DEFAULT_TOP: usize = 100;
pub const MAX_TOP: usize = 999;

/// A refusal in Graph's words: status, `code`, `message`.
#[derive(Debug, PartialEq, Eq)]
pub struct ODataError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

fn bad(code: &'static str, message: impl Into<String>) -> ODataError {
    ODataError {
        status: 400,
        code,
        message: message.into(),
    }
}

/// One condition of a `$filter`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    AccountEnabled(bool),
    UserType(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionQuery {
    /// The original parameters except `$skiptoken`, in order, for nextLinks.
    pub carried: Vec<(String, String)>,
    pub select: Option<Vec<String>>,
    pub top: usize,
    pub count: bool,
    pub filter: Vec<Condition>,
    pub skip_token: Option<String>,
    pub expand: Option<Expand>,
}

/// `$expand=relation($select=a,b)`: one relationship, with the properties
/// of the related object to return (`id` when none are named).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expand {
    pub relation: String,
    pub select: Vec<String>,
}

fn parse_expand(value: &str) -> Result<Expand, ODataError> {
    let invalid = || {
        bad(
            "BadRequest",
            format!("Invalid $expand expression: '{value}'."),
        )
    };
    let value = value.trim();
    let (relation, options) = match value.split_once('(') {
        Some((relation, rest)) => (relation, Some(rest.strip_suffix(')').ok_or_else(invalid)?)),
        None => (value, None),
    };
    if relation.is_empty() || !relation.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(invalid());
    }
    let select = match options {
        None => vec!["id".to_owned()],
        Some(options) => {
            let list = options.strip_prefix("$select=").ok_or_else(|| {
                bad(
                    "Request_UnsupportedQuery",
                    format!(
                        "The emulator only implements $select inside $expand, not '{options}'."
                    ),
                )
            })?;
            let mut select: Vec<String> = list.split(',').map(|p| p.trim().to_owned()).collect();
            if select.iter().any(String::is_empty) {
                return Err(invalid());
            }
            if !select.iter().any(|p| p == "id") {
                select.insert(0, "id".to_owned());
            }
            select
        }
    };
    Ok(Expand {
        relation: relation.to_owned(),
        select,
    })
}

impl CollectionQuery {
    /// Parses a collection's query. `advanced` is true when the request
    /// carried `ConsistencyLevel: eventual`.
    pub fn parse(params: &[(String, String)], advanced: bool) -> Result<Self, ODataError> {
        let mut query = CollectionQuery {
            carried: Vec::new(),
            select: None,
            top: DEFAULT_TOP,
            count: false,
            filter: Vec::new(),
            skip_token: None,
            expand: None,
        };
        for (key, value) in params {
            match key.as_str() {
                "$skiptoken" => {
                    query.skip_token = Some(value.clone());
                    continue;
                }
                "$select" => {
                    query.select = Some(value.split(',').map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()).collect())
                }
                "$top" => {
                    query.top = value
                        .trim()
                        .parse::<usize>()
                        .ok()
                        .filter(|t| (1..=MAX_TOP).contains(t))
                        .ok_or_else(|| {
                            bad("Request_UnsupportedQuery", format!("Invalid page size specified: '{value}'. Must be between 1 and 999 inclusive."))
                        })?
                }
                // `$count=true` without the header is silently ignored.
                "$count" => query.count = advanced && value.eq_ignore_ascii_case("true"),
                "$filter" => query.filter = parse_filter(value, advanced)?,
                "$skip" => return Err(bad("Request_BadRequest", "'$skip' is not supported by the service.")),
                "$search" if !advanced => {
                    return Err(bad("Request_UnsupportedQuery", "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'"));
                }
                "$expand" => query.expand = Some(parse_expand(value)?),
                "$orderby" | "$search" => {
                    return Err(bad("Request_UnsupportedQuery", format!("The emulator does not implement {key}.")));
                }
                _ => {}
            }
            query.carried.push((key.clone(), value.clone()));
        }
        if query.expand.is_some() && query.count {
            return Err(bad(
                "Request_UnsupportedQuery",
                "$expand is not currently supported with advanced queries.",
            ));
        }
        Ok(query)
    }
}

fn parse_filter(filter: &str, advanced: bool) -> Result<Vec<Condition>, ODataError> {
    let unsupported = || {
        bad(
            "Request_UnsupportedQuery",
            "Unsupported or invalid query filter clause specified for property.",
        )
    };
    let mut out = Vec::new();
    for clause in filter.split(" and ") {
        let words: Vec<&str> = clause.split_whitespace().collect();
        let [property, operator, value] = words.as_slice() else {
            return Err(unsupported());
        };
        let negate = match operator.to_ascii_lowercase().as_str() {
            "eq" => false,
            "ne" if advanced => true,
            "ne" => {
                return Err(bad(
                    "Request_UnsupportedQuery",
                    "Operator 'ne' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information",
                ));
            }
            _ => return Err(unsupported()),
        };
        match *property {
            "accountEnabled" => {
                let v = match value.to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(unsupported()),
                };
                out.push(Condition::AccountEnabled(v != negate));
            }
            "userType" if !negate => {
                let v = value
                    .strip_prefix('\'')
                    .and_then(|v| v.strip_suffix('\''))
                    .ok_or_else(unsupported)?;
                out.push(Condition::UserType(v.to_owned()));
            }
            _ => return Err(unsupported()),
        }
    }
    Ok(out)
}

/// Opaque page tokens: the offset, bound to the collection they page, and
/// signed, so that a mangled or foreign token is refused as Graph does.
pub struct PageTokens {
    pub key: [u8; 32],
}

impl PageTokens {
    fn tag(&self, collection: &str, offset: usize) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length");
        mac.update(collection.as_bytes());
        mac.update(&offset.to_le_bytes());
        mac.finalize().into_bytes()[..12].to_vec()
    }

    pub fn encode(&self, collection: &str, offset: usize) -> String {
        let mut bytes = (offset as u64).to_le_bytes().to_vec();
        bytes.extend(self.tag(collection, offset));
        format!("RFNwdAIAAQAAAB{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn decode(&self, collection: &str, token: &str) -> Result<usize, ODataError> {
        let invalid = || {
            bad(
                "Request_UnsupportedQuery",
                "Unable to execute query; invalid page token specified.",
            )
        };
        let bytes = token
            .strip_prefix("RFNwdAIAAQAAAB")
            .and_then(|t| URL_SAFE_NO_PAD.decode(t).ok())
            .filter(|b| b.len() == 20)
            .ok_or_else(invalid)?;
        let offset = usize::try_from(u64::from_le_bytes(
            bytes[..8].try_into().map_err(|_| invalid())?,
        ))
        .map_err(|_| invalid())?;
        if self.tag(collection, offset) != bytes[8..] {
            return Err(invalid());
        }
        Ok(offset)
    }
}

/// Query-string encoding for the values put back into a nextLink.
pub fn encode_query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' | b'$' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn top_is_bounded_like_graph() {
        assert_eq!(
            CollectionQuery::parse(&params(&[]), false).unwrap().top,
            100
        );
        assert_eq!(
            CollectionQuery::parse(&params(&[("$top", "999")]), false)
                .unwrap()
                .top,
            999
        );
        for bad_top in ["0", "1000", "abc"] {
            let e = CollectionQuery::parse(&params(&[("$top", bad_top)]), false).unwrap_err();
            assert_eq!(e.code, "Request_UnsupportedQuery");
            assert!(
                e.message.contains("Must be between 1 and 999 inclusive"),
                "{}",
                e.message
            );
        }
    }

    #[test]
    fn count_needs_the_consistency_header() {
        assert!(
            !CollectionQuery::parse(&params(&[("$count", "true")]), false)
                .unwrap()
                .count
        );
        assert!(
            CollectionQuery::parse(&params(&[("$count", "true")]), true)
                .unwrap()
                .count
        );
    }

    #[test]
    fn filters_on_account_enabled_and_user_type() {
        let q = CollectionQuery::parse(
            &params(&[("$filter", "accountEnabled eq false and userType eq 'Guest'")]),
            false,
        )
        .unwrap();
        assert_eq!(
            q.filter,
            vec![
                Condition::AccountEnabled(false),
                Condition::UserType("Guest".into())
            ]
        );
        assert!(
            CollectionQuery::parse(&params(&[("$filter", "accountEnabled ne true")]), false)
                .is_err()
        );
        let advanced =
            CollectionQuery::parse(&params(&[("$filter", "accountEnabled ne true")]), true)
                .unwrap();
        assert_eq!(advanced.filter, vec![Condition::AccountEnabled(false)]);
        assert!(
            CollectionQuery::parse(
                &params(&[("$filter", "startswith(displayName,'a')")]),
                false
            )
            .is_err()
        );
        assert_eq!(
            CollectionQuery::parse(&params(&[("$skip", "10")]), false)
                .unwrap_err()
                .code,
            "Request_BadRequest"
        );
    }

    #[test]
    fn page_tokens_are_opaque_bound_and_tamper_proof() {
        let tokens = PageTokens { key: [7; 32] };
        let t = tokens.encode("users", 1998);
        assert!(!t.contains("1998"));
        assert_eq!(tokens.decode("users", &t), Ok(1998));
        assert!(
            tokens.decode("groups", &t).is_err(),
            "a token for another collection"
        );
        let mut mangled = t.clone();
        mangled.pop();
        mangled.push(if t.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(
            tokens.decode("users", &mangled).unwrap_err().message,
            "Unable to execute query; invalid page token specified."
        );
        let q = CollectionQuery::parse(
            &params(&[("$select", "id,mail"), ("$skiptoken", &t)]),
            false,
        )
        .unwrap();
        assert_eq!(
            q.carried,
            params(&[("$select", "id,mail")]),
            "the token is not carried twice"
        );
    }
}
