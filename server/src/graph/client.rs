//! The Microsoft Graph client: client-credentials sign-in with a cached
//! token, paged reads that hand each page on as it arrives, retries, and
//! errors mapped for the admin (graph-api.md §1, §2, §4, §6, §7).

use super::cloud::Endpoints;
use super::credentials::Credentials;
use super::error::{GraphError, PagingFault, SignInFailure};
use super::model::{
    ApplicationJson, GROUP_SELECT, GraphErrorJson, GroupJson, MANAGER_EXPAND, MAX_PAGE_SIZE,
    MemberJson, PageJson, PasswordCredentialJson, TokenErrorJson, TokenJson, USER_SELECT, UserJson,
};
use super::permissions::{PermissionReport, inspect_token};
use super::retry::{RetryPolicy, Sleeper, jitter, parse_retry_after, tokio_sleeper};
use app::domain::connection::secret_expiry::{PasswordCredential, hint_of};
use app::domain::directory::{DirectoryGroup, DirectoryUser, GroupMember, MemberKind};
use bytes::Bytes;
use reqwest::{RequestBuilder, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// A token is renewed this long before Azure AD says it expires.
const TOKEN_EARLY_REFRESH: Duration = Duration::from_secs(5 * 60);
/// A token is never reused for longer than this, whatever `expires_in`
/// says (Azure AD issues tokens of 60 to 90 minutes).
const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// The most pages one read follows: 100 million users at Graph's page
/// size of 999, or 12 million at the 120 it once cut pages to.
pub const MAX_PAGES_PER_READ: u32 = 100_000;

/// The app registration's name and its client secrets' entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppCredentials {
    pub app_name: Option<String>,
    pub credentials: Vec<PasswordCredential>,
}

/// How a paged fetch is going, handed to the caller with every page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchProgress {
    pub pages: u32,
    pub items_so_far: u64,
    /// `@odata.count` from the first page, when Graph sent it.
    pub total: Option<u64>,
}

struct CachedToken {
    token: SecretString,
    refresh_at: Instant,
}

pub struct GraphClient {
    http: reqwest::Client,
    endpoints: Endpoints,
    credentials: Credentials,
    policy: RetryPolicy,
    sleeper: Sleeper,
    token: tokio::sync::Mutex<Option<CachedToken>>,
    /// Every wait taken, for the admin's progress view and for tests.
    waits: Mutex<Vec<Duration>>,
    max_pages: u32,
}

impl GraphClient {
    pub fn new(
        endpoints: Endpoints,
        credentials: Credentials,
        policy: RetryPolicy,
    ) -> Result<Self, GraphError> {
        let http = reqwest::Client::builder()
            // Graph does not redirect the reads dirsync makes; a redirect
            // could take the token elsewhere, so none is followed.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(policy.request_timeout)
            .connect_timeout(Duration::from_secs(15))
            .user_agent(concat!("dirsync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| GraphError::Unreachable {
                attempts: 0,
                waited: Duration::ZERO,
                detail: e.to_string(),
            })?;
        Ok(Self {
            http,
            endpoints,
            credentials,
            policy,
            sleeper: tokio_sleeper(),
            token: tokio::sync::Mutex::new(None),
            waits: Mutex::new(Vec::new()),
            max_pages: MAX_PAGES_PER_READ,
        })
    }

    /// Fewer pages per read than [`MAX_PAGES_PER_READ`] (tests).
    pub fn with_max_pages(mut self, max_pages: u32) -> Self {
        self.max_pages = max_pages;
        self
    }

    /// Replaces how the client waits between retries (tests record instead).
    pub fn with_sleeper(mut self, sleeper: Sleeper) -> Self {
        self.sleeper = sleeper;
        self
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    pub fn tenant_id(&self) -> &str {
        &self.credentials.tenant_id
    }

    pub fn client_id(&self) -> &str {
        &self.credentials.client_id
    }

    /// Every wait between retries so far.
    pub fn waits(&self) -> Vec<Duration> {
        self.waits.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    // ---- sign-in -------------------------------------------------------

    /// Signs in afresh (ignoring the cache) and reports the permissions the
    /// new token carries. Roles are fixed when a token is issued, so after an
    /// admin grants consent only a new token shows it.
    pub async fn check_permissions(&self) -> Result<PermissionReport, GraphError> {
        let token = self.token(true).await?;
        inspect_token(token.expose_secret()).ok_or_else(|| GraphError::Malformed {
            detail: "the access token is not a JWT".into(),
        })
    }

    /// The id of the tenant the app signs in to: the token's `tid` (a
    /// GUID, whichever of the tenant's names the connection was given),
    /// else the configured tenant, lower-cased.
    pub async fn directory_tenant(&self) -> Result<String, GraphError> {
        let token = self.token(false).await?;
        Ok(inspect_token(token.expose_secret())
            .and_then(|claims| claims.tenant_id)
            .unwrap_or_else(|| self.credentials.tenant_id.to_lowercase()))
    }

    async fn token(&self, force_refresh: bool) -> Result<SecretString, GraphError> {
        let mut cached = self.token.lock().await;
        if !force_refresh && let Some(c) = cached.as_ref().filter(|c| Instant::now() < c.refresh_at)
        {
            return Ok(c.token.clone());
        }
        let (token, expires_in) = self.request_token().await?;
        // `expires_in` comes from the network: bounded, and added with
        // checked arithmetic (an absurd lifetime must not panic the sync).
        let lifetime = Duration::from_secs(expires_in.min(MAX_TOKEN_LIFETIME.as_secs()));
        let now = Instant::now();
        let refresh_at = now
            .checked_add(
                lifetime
                    .saturating_sub(TOKEN_EARLY_REFRESH)
                    .max(lifetime / 2),
            )
            .unwrap_or(now);
        *cached = Some(CachedToken {
            token: token.clone(),
            refresh_at,
        });
        Ok(token)
    }

    #[tracing::instrument(skip(self), fields(tenant = %self.credentials.tenant_id))]
    async fn request_token(&self) -> Result<(SecretString, u64), GraphError> {
        let url = self.endpoints.token_url(&self.credentials.tenant_id);
        let scope = self.endpoints.scope();
        let (status, body) = self
            .send(|| {
                self.http.post(&url).form(&[
                    ("client_id", self.credentials.client_id.as_str()),
                    ("scope", scope.as_str()),
                    (
                        "client_secret",
                        self.credentials.client_secret.expose_secret(),
                    ),
                    ("grant_type", "client_credentials"),
                ])
            })
            .await?;
        if status.is_success() {
            let token: TokenJson = parse_json(&body, "the token response")?;
            return Ok((SecretString::from(token.access_token), token.expires_in));
        }
        let error: TokenErrorJson =
            serde_json::from_slice(&body).map_err(|_| GraphError::Unexpected {
                status: status.as_u16(),
                code: None,
            })?;
        Err(GraphError::SignIn(self.sign_in_failure(error)))
    }

    /// Maps the sign-in endpoint's error. The AADSTS numbers tell apart
    /// cases that share an OAuth `error` (both secret errors are
    /// `invalid_client`); the message text is never read.
    fn sign_in_failure(&self, error: TokenErrorJson) -> SignInFailure {
        let has = |code: u64| error.error_codes.contains(&code);
        if has(7_000_215) {
            SignInFailure::WrongSecret
        } else if has(7_000_222) {
            SignInFailure::ExpiredSecret
        } else if has(90_002) || error.error == "invalid_tenant" {
            SignInFailure::TenantNotFound {
                tenant: self.credentials.tenant_id.clone(),
            }
        } else if has(700_016) || error.error == "unauthorized_client" {
            SignInFailure::AppNotFound {
                client_id: self.credentials.client_id.clone(),
            }
        } else if has(70_011) || has(700_022) || error.error == "invalid_scope" {
            SignInFailure::InvalidScope
        } else {
            SignInFailure::Other {
                error: error.error,
                codes: error.error_codes,
            }
        }
    }

    // ---- requests ------------------------------------------------------

    /// Sends a request and reads its whole body, retrying 429/503/504 and
    /// failed or dropped connections within the policy's bounds. Any other
    /// answer is returned as it is.
    async fn send(
        &self,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<(StatusCode, Bytes), GraphError> {
        let mut waited = Duration::ZERO;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = match build()
                .header("Retry-Attempt", (attempt - 1).to_string())
                .send()
                .await
            {
                Ok(response) if is_retryable(response.status()) => {
                    let retry_after = response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| parse_retry_after(v, SystemTime::now()));
                    Err((retry_after, response.status().to_string()))
                }
                Ok(response) => {
                    let status = response.status();
                    match response.bytes().await {
                        Ok(body) => return Ok((status, body)),
                        Err(e) => Ok(describe_transport_error(&e)),
                    }
                }
                Err(e) => Ok(describe_transport_error(&e)),
            };
            // Err: Graph asked us to wait; Ok: the transport failed (retried like a 503).
            let retry_after = outcome.as_ref().err().and_then(|(after, _)| *after);
            let delay = self.policy.delay(attempt, retry_after, jitter());
            let out_of_budget = attempt >= self.policy.max_attempts
                || delay > self.policy.max_delay
                || waited + delay > self.policy.max_total_wait;
            if out_of_budget {
                return Err(match outcome {
                    Err((_, last)) => GraphError::GaveUp {
                        attempts: attempt,
                        waited,
                        last,
                    },
                    Ok(detail) => GraphError::Unreachable {
                        attempts: attempt,
                        waited,
                        detail,
                    },
                });
            }
            match &outcome {
                Err((_, status)) => {
                    tracing::warn!(%status, ?delay, attempt, "Graph asked to wait; retrying")
                }
                Ok(detail) => {
                    tracing::warn!(%detail, ?delay, attempt, "Graph unreachable; retrying")
                }
            }
            self.waits
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(delay);
            (self.sleeper)(delay).await;
            waited += delay;
        }
    }

    /// GETs one Graph URL as JSON with the app's token: a 401 gets one new
    /// token and one more try; 403 means a missing `permission`.
    async fn get_json<T: DeserializeOwned>(
        &self,
        url: &str,
        permission: &'static str,
        count_total: bool,
    ) -> Result<T, GraphError> {
        let mut refreshed = false;
        loop {
            let token = self.token(refreshed).await?;
            let (status, body) = self
                .send(|| {
                    let request = self.http.get(url).bearer_auth(token.expose_secret());
                    // Headers are not carried by nextLink: sent on every page.
                    if count_total {
                        request.header("ConsistencyLevel", "eventual")
                    } else {
                        request
                    }
                })
                .await?;
            if status.is_success() {
                return parse_json(&body, url_path(url));
            }
            let code = serde_json::from_slice::<GraphErrorJson>(&body)
                .ok()
                .map(|e| e.error.code);
            match (status, code.as_deref()) {
                (StatusCode::UNAUTHORIZED, Some("InvalidAuthenticationToken")) if !refreshed => {
                    refreshed = true
                }
                (StatusCode::UNAUTHORIZED, _) => {
                    return Err(GraphError::NotAuthenticated {
                        code: code.unwrap_or_else(|| "401".into()),
                    });
                }
                (StatusCode::FORBIDDEN, Some("Authorization_RequestDenied")) => {
                    return Err(GraphError::MissingConsent { permission });
                }
                (StatusCode::NOT_FOUND, _) => {
                    return Err(GraphError::NotFound {
                        what: url_path(url).to_owned(),
                    });
                }
                _ => {
                    return Err(GraphError::Unexpected {
                        status: status.as_u16(),
                        code,
                    });
                }
            }
        }
    }

    /// Follows a collection from `first_url` through every `@odata.nextLink`,
    /// handing each page's items to `on_page` as it arrives.
    async fn for_each_page<J, T>(
        &self,
        first_url: String,
        permission: &'static str,
        count_total: bool,
        known_total: Option<u64>,
        map: impl Fn(J) -> Result<T, String>,
        on_page: impl FnMut(Vec<T>, FetchProgress),
    ) -> Result<FetchProgress, GraphError>
    where
        J: DeserializeOwned,
    {
        self.follow_pages(
            first_url,
            permission,
            count_total,
            known_total,
            map,
            on_page,
        )
        .await
        .map(|(progress, _)| progress)
    }

    /// As `for_each_page`, also returning the last page's
    /// `@odata.deltaLink` (delta reads end with one).
    pub(super) async fn follow_pages<J, T>(
        &self,
        first_url: String,
        permission: &'static str,
        count_total: bool,
        known_total: Option<u64>,
        map: impl Fn(J) -> Result<T, String>,
        mut on_page: impl FnMut(Vec<T>, FetchProgress),
    ) -> Result<(FetchProgress, Option<String>), GraphError>
    where
        J: DeserializeOwned,
    {
        let mut delta_link = None;
        let mut progress = FetchProgress {
            pages: 0,
            items_so_far: 0,
            total: None,
        };
        let mut links = LinkGuard::new(&self.endpoints.graph_root, self.max_pages);
        let mut next = Some(first_url);
        while let Some(url) = next.take() {
            let page: PageJson<J> = self.get_json(&url, permission, count_total).await?;
            if progress.pages == 0 {
                progress.total = page.count.or(known_total);
            }
            let items = page
                .value
                .into_iter()
                .map(&map)
                .collect::<Result<Vec<T>, String>>()
                .map_err(|detail| GraphError::Malformed { detail })?;
            progress.pages += 1;
            progress.items_so_far += items.len() as u64;
            let empty = items.is_empty();
            on_page(items, progress);
            if let Some(link) = page.next_link {
                links
                    .follow(&url, &link, empty, progress.pages)
                    .map_err(GraphError::Paging)?;
                next = Some(link);
            } else {
                delta_link = page.delta_link;
            }
        }
        Ok((progress, delta_link))
    }

    /// Whether `url` lies under the configured Graph root (same scheme,
    /// host, port and path), as every followed link must.
    pub(super) fn is_under_graph_root(&self, url: &str) -> bool {
        LinkGuard::new(&self.endpoints.graph_root, self.max_pages).is_under_root(url)
    }

    // ---- the app registration ------------------------------------------

    /// The app registration's name and client secrets (never their values),
    /// to tell when the secret in use expires (graph-api.md §10).
    #[tracing::instrument(skip_all)]
    pub async fn app_credentials(&self) -> Result<AppCredentials, GraphError> {
        let app_id = self.credentials.client_id.replace('\'', "''");
        let url = self.endpoints.v1(&format!(
            "applications(appId='{}')?$select=id,appId,displayName,passwordCredentials",
            encode_path_segment(&app_id)
        ));
        let app: ApplicationJson = self.get_json(&url, "Directory.Read.All", false).await?;
        Ok(AppCredentials {
            app_name: app.display_name,
            credentials: app
                .password_credentials
                .into_iter()
                .map(PasswordCredentialJson::into_domain)
                .collect(),
        })
    }

    /// What Graph shows of the secret this client signs in with: its first
    /// three characters, to find its entry among the app's credentials.
    pub fn secret_hint(&self) -> String {
        hint_of(self.credentials.client_secret.expose_secret())
    }

    // ---- the directory -------------------------------------------------

    /// Every user, with every mapped property, page by page (999 per page).
    /// With `count_total`, the first page carries the total for a progress bar.
    #[tracing::instrument(skip_all)]
    pub async fn list_users(
        &self,
        count_total: bool,
        on_page: impl FnMut(Vec<DirectoryUser>, FetchProgress),
    ) -> Result<FetchProgress, GraphError> {
        // `$expand` cannot be part of an advanced query, so the total comes
        // from a request of its own, just before the read.
        let total = if count_total {
            self.count_users().await?
        } else {
            None
        };
        let url = self.endpoints.v1(&format!(
            "users?$select={}&$expand={MANAGER_EXPAND}&$top={MAX_PAGE_SIZE}",
            *USER_SELECT
        ));
        self.for_each_page(
            url,
            "User.Read.All",
            false,
            total,
            UserJson::into_domain,
            on_page,
        )
        .await
    }

    /// Every group, page by page; with `count_total`, the first page
    /// carries how many there are.
    #[tracing::instrument(skip_all)]
    pub async fn list_groups(
        &self,
        count_total: bool,
        on_page: impl FnMut(Vec<DirectoryGroup>, FetchProgress),
    ) -> Result<FetchProgress, GraphError> {
        let mut url = self.endpoints.v1(&format!(
            "groups?$select={GROUP_SELECT}&$top={MAX_PAGE_SIZE}"
        ));
        if count_total {
            url.push_str("&$count=true");
        }
        self.for_each_page(
            url,
            "Group.Read.All",
            count_total,
            None,
            GroupJson::into_domain,
            on_page,
        )
        .await
    }

    /// How many users the directory holds: one page of one user, with
    /// `$count`. Test connection uses it to prove the app can read them.
    pub async fn count_users(&self) -> Result<Option<u64>, GraphError> {
        self.count("users", "User.Read.All").await
    }

    /// How many groups the directory holds, read the same way.
    pub async fn count_groups(&self) -> Result<Option<u64>, GraphError> {
        self.count("groups", "Group.Read.All").await
    }

    async fn count(
        &self,
        collection: &str,
        permission: &'static str,
    ) -> Result<Option<u64>, GraphError> {
        let url = self
            .endpoints
            .v1(&format!("{collection}?$select=id&$top=1&$count=true"));
        let page: PageJson<serde::de::IgnoredAny> = self.get_json(&url, permission, true).await?;
        Ok(page.count)
    }

    /// The ids of a group's user members, direct or transitive (nested
    /// groups flattened). Devices, contacts, service principals and groups
    /// are left out by their `@odata.type`.
    #[tracing::instrument(skip(self))]
    pub async fn group_user_ids(
        &self,
        group_id: &str,
        transitive: bool,
    ) -> Result<Vec<String>, GraphError> {
        let relation = if transitive {
            "transitiveMembers"
        } else {
            "members"
        };
        let url = self.endpoints.v1(&format!(
            "groups/{}/{relation}?$select=id&$top={MAX_PAGE_SIZE}",
            encode_path_segment(group_id)
        ));
        let mut ids = Vec::new();
        self.for_each_page(
            url,
            "Group.Read.All",
            false,
            None,
            MemberJson::into_domain,
            |members: Vec<GroupMember>, _| {
                ids.extend(
                    members
                        .into_iter()
                        .filter(|m| m.kind == MemberKind::User)
                        .map(|m| m.id),
                );
            },
        )
        .await?;
        Ok(ids)
    }

    /// A user's manager's id; `None` when they have none (Graph's 404).
    pub async fn manager_id(&self, user_id: &str) -> Result<Option<String>, GraphError> {
        let url = self.endpoints.v1(&format!(
            "users/{}/manager?$select=id",
            encode_path_segment(user_id)
        ));
        match self
            .get_json::<MemberJson>(&url, "User.Read.All", false)
            .await
        {
            Ok(member) => Ok(Some(
                member
                    .into_domain()
                    .map_err(|detail| GraphError::Malformed { detail })?
                    .id,
            )),
            Err(GraphError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Decides whether a next-page link may be followed: it must lie under the
/// configured Graph root (same scheme, host and port, and path), it must
/// not repeat a link whose page held items (an empty page may point at its
/// own position: Graph's "zero results, keep following"), and the read must
/// stay under its page limit.
struct LinkGuard {
    root: Option<reqwest::Url>,
    root_text: String,
    max_pages: u32,
    /// Links whose page held items: following one again is a loop.
    followed: std::collections::HashSet<String>,
    empty_in_a_row: u32,
}

/// Empty pages in a row a read accepts before it calls them a loop.
const MAX_EMPTY_PAGES_IN_A_ROW: u32 = 1_000;

impl LinkGuard {
    fn new(graph_root: &str, max_pages: u32) -> Self {
        Self {
            root: reqwest::Url::parse(&format!("{}/", graph_root.trim_end_matches('/'))).ok(),
            root_text: graph_root.to_owned(),
            max_pages,
            followed: std::collections::HashSet::new(),
            empty_in_a_row: 0,
        }
    }

    /// Same scheme, host, port and path prefix as the Graph root, and no
    /// credentials in it.
    fn is_under_root(&self, link: &str) -> bool {
        let (Some(root), Ok(url)) = (&self.root, reqwest::Url::parse(link)) else {
            return false;
        };
        url.scheme() == root.scheme()
            && url.host() == root.host()
            && url.port_or_known_default() == root.port_or_known_default()
            && url.username().is_empty()
            && url.password().is_none()
            && url.path().starts_with(root.path())
    }

    /// `link` came on the page read from `from` (`pages` read so far).
    fn follow(
        &mut self,
        from: &str,
        link: &str,
        empty: bool,
        pages: u32,
    ) -> Result<(), PagingFault> {
        let foreign = || PagingFault::ForeignLink {
            link_origin: reqwest::Url::parse(link)
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_else(|_| "an address that is not a URL".to_owned()),
            graph_root: self.root_text.clone(),
        };
        if !self.is_under_root(link) {
            return Err(foreign());
        }
        if pages >= self.max_pages {
            return Err(PagingFault::TooManyPages {
                limit: self.max_pages,
            });
        }
        if empty {
            self.empty_in_a_row += 1;
            if self.empty_in_a_row > MAX_EMPTY_PAGES_IN_A_ROW {
                return Err(PagingFault::RepeatedLink { pages });
            }
        } else {
            self.empty_in_a_row = 0;
            self.followed.insert(from.to_owned());
        }
        if self.followed.contains(link) {
            return Err(PagingFault::RepeatedLink { pages });
        }
        Ok(())
    }
}

fn is_retryable(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT
    )
}

/// A transport error in words, without the URL (which is not secret, but
/// noisy) and never with a body.
fn describe_transport_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "the request timed out".into()
    } else if e.is_connect() {
        "the connection failed".into()
    } else {
        "the connection was dropped".into()
    }
}

fn parse_json<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T, GraphError> {
    serde_json::from_slice(body).map_err(|e| GraphError::Malformed {
        detail: format!("{what}: {e}"),
    })
}

/// The path of a URL, for messages: `/v1.0/users`.
fn url_path(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    path.split('?').next().unwrap_or(path)
}

/// Object ids are GUIDs, but they are opaque: encode anything unexpected.
fn encode_path_segment(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_links_stay_under_the_graph_root() {
        let mut guard = LinkGuard::new("https://graph.microsoft.com", 100);
        let first = "https://graph.microsoft.com/v1.0/users?$top=999";
        let next = "https://graph.microsoft.com/v1.0/users?$skiptoken=a";
        assert_eq!(guard.follow(first, next, false, 1), Ok(()));
        for foreign in [
            "http://graph.microsoft.com/v1.0/users?$skiptoken=b",
            "https://graph.microsoft.com.evil.example/v1.0/users",
            "https://evil.example/v1.0/users",
            "https://graph.microsoft.com:8443/v1.0/users",
            "https://user@graph.microsoft.com/v1.0/users",
            "//evil.example/v1.0/users",
            "not a link",
        ] {
            assert!(
                matches!(
                    guard.follow(next, foreign, false, 2),
                    Err(PagingFault::ForeignLink { .. })
                ),
                "{foreign}"
            );
        }
        let mounted = LinkGuard::new("http://127.0.0.1:3000/graph-sim", 100);
        let mut mounted = mounted;
        assert!(
            mounted
                .follow(
                    "x",
                    "http://127.0.0.1:3000/graph-sim/v1.0/users?a",
                    false,
                    1
                )
                .is_ok()
        );
        assert!(
            mounted
                .follow("y", "http://127.0.0.1:3000/api/sign_out", false, 2)
                .is_err(),
            "outside the root's path"
        );
    }

    #[test]
    fn a_repeated_link_or_too_many_pages_stop_the_read() {
        let mut guard = LinkGuard::new("https://graph.microsoft.com", 5);
        let a = "https://graph.microsoft.com/v1.0/users?a";
        let b = "https://graph.microsoft.com/v1.0/users?b";
        assert_eq!(guard.follow(a, b, false, 1), Ok(()));
        assert_eq!(
            guard.follow(b, a, false, 2),
            Err(PagingFault::RepeatedLink { pages: 2 })
        );
        // An empty page may point at itself: Graph's "keep following".
        let mut guard = LinkGuard::new("https://graph.microsoft.com", 5);
        assert_eq!(guard.follow(a, a, true, 1), Ok(()));
        assert_eq!(guard.follow(a, a, true, 2), Ok(()));
        assert_eq!(guard.follow(a, b, false, 3), Ok(()));
        assert_eq!(
            guard.follow(b, a, false, 4),
            Err(PagingFault::RepeatedLink { pages: 4 })
        );
        let mut guard = LinkGuard::new("https://graph.microsoft.com", 2);
        assert_eq!(
            guard.follow(b, a, false, 2),
            Err(PagingFault::TooManyPages { limit: 2 })
        );
    }

    #[test]
    fn paths_for_messages_drop_host_and_query() {
        assert_eq!(
            url_path("https://graph.microsoft.com/v1.0/users?$top=999"),
            "/v1.0/users"
        );
        assert_eq!(url_path("http://127.0.0.1:1"), "/");
        assert_eq!(encode_path_segment("a/b c"), "a%2Fb%20c");
    }
}
