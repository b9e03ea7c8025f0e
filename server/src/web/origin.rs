//! Where the app is reached from, and the refusal of cross-site requests.
//!
//! The session cookie is `SameSite=Strict`, so a browser does not send it
//! with a request another site starts. That alone leaves the sign-in form
//! open to login CSRF and rests on every browser getting SameSite right, so
//! a state-changing request (any method but GET, HEAD and OPTIONS) must also
//! come from the app's own pages: its `Origin`, or without one its
//! `Referer`, is the app's own origin, and the browser does not call it
//! cross-site (`Sec-Fetch-Site`). A request with none of these headers is
//! not a browser's (browsers send `Origin` with every POST) and passes.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, Method, StatusCode, header};
use reqwest::Url;

/// `DIRSYNC_PUBLIC_URL`: the address administrators type, e.g.
/// `https://dirsync.example.com`. It decides the allowed origin and whether
/// the session cookie is `Secure`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    /// `scheme://host[:port]`, lowercase, the default port left out: what
    /// browsers send as `Origin`.
    origin: String,
    https: bool,
}

impl PublicUrl {
    /// Parses the setting; the message says what is wrong with it.
    pub fn parse(value: &str) -> Result<Self, String> {
        let explain = |why: &str| {
            format!(
                "DIRSYNC_PUBLIC_URL {why}: give the address administrators open, such as \
                 https://dirsync.example.com"
            )
        };
        let url = Url::parse(value.trim()).map_err(|e| explain(&format!("is not a URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(explain("must start with https:// or http://"));
        }
        if url.host_str().is_none() {
            return Err(explain("has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(explain("must not contain a user name or password"));
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(explain(
                "must be the site's root (dirsync is served at /, not under a path)",
            ));
        }
        Ok(Self {
            origin: url.origin().ascii_serialization(),
            https: url.scheme() == "https",
        })
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Whether the cookie gets `Secure`: the app is reached over https.
    pub fn is_https(&self) -> bool {
        self.https
    }
}

/// Why a request is refused as cross-site, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrossSite {
    /// `Sec-Fetch-Site` says another site started it.
    FetchedCrossSite,
    /// `Origin` (or `Referer`) names another origin, or is `null`.
    ForeignOrigin,
}

/// Whether a request may change something: safe methods always may; others
/// only from the app's own origin. Without `DIRSYNC_PUBLIC_URL`, the own
/// origin is the `Host` the request was sent to.
pub fn check(
    method: &Method,
    headers: &HeaderMap,
    public_url: Option<&PublicUrl>,
) -> Result<(), CrossSite> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    // A header that is there but not text counts as a foreign one.
    let text = |name| {
        headers
            .get(name)
            .map(|v| v.to_str().map_err(|_| CrossSite::ForeignOrigin))
            .transpose()
    };
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site"))?
        && !matches!(site, "same-origin" | "none")
    {
        return Err(CrossSite::FetchedCrossSite);
    }
    let claimed = match (text(header::ORIGIN)?, text(header::REFERER)?) {
        (Some(origin), _) => origin,
        (None, Some(referer)) => referer,
        // Not a browser: nothing a cross-site attack can send.
        (None, None) => return Ok(()),
    };
    let Some(claimed) = Url::parse(claimed).ok().filter(|u| u.has_host()) else {
        return Err(CrossSite::ForeignOrigin);
    };
    let own = match public_url {
        Some(url) => claimed.origin().ascii_serialization() == url.origin,
        None => text(header::HOST)?.is_some_and(|host| same_authority(&claimed, host)),
    };
    if own {
        Ok(())
    } else {
        Err(CrossSite::ForeignOrigin)
    }
}

/// `claimed`'s host and port are the `Host` header's.
fn same_authority(claimed: &Url, host: &str) -> bool {
    let Some(name) = claimed.host_str() else {
        return false;
    };
    let authority = match claimed.port() {
        Some(port) => format!("{name}:{port}"),
        None => name.to_owned(),
    };
    authority.eq_ignore_ascii_case(host)
}

/// The middleware: a cross-site state-changing request gets 403 and
/// reaches nothing.
pub async fn refuse_cross_site(
    State(public_url): State<Option<PublicUrl>>,
    request: Request,
    next: Next,
) -> Response {
    match check(request.method(), request.headers(), public_url.as_ref()) {
        Ok(()) => next.run(request).await,
        Err(why) => {
            tracing::warn!(
                method = %request.method(),
                path = request.uri().path(),
                reason = ?why,
                "refused a cross-site request"
            );
            (
                StatusCode::FORBIDDEN,
                "This request did not come from dirsync's own pages, so it was refused.",
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(*name, value.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_public_url_must_be_a_site_root() {
        let url = PublicUrl::parse("https://Dirsync.Example.com/").unwrap();
        assert_eq!(url.origin(), "https://dirsync.example.com");
        assert!(url.is_https());
        let local = PublicUrl::parse("http://127.0.0.1:3000").unwrap();
        assert_eq!(local.origin(), "http://127.0.0.1:3000");
        assert!(!local.is_https());
        assert_eq!(
            PublicUrl::parse("https://example.com:443")
                .unwrap()
                .origin(),
            "https://example.com"
        );
        for bad in [
            "dirsync.example.com",
            "ftp://example.com",
            "https://example.com/dirsync",
            "https://user:pw@example.com",
            "https://example.com/?x=1",
        ] {
            let e = PublicUrl::parse(bad).unwrap_err();
            assert!(e.starts_with("DIRSYNC_PUBLIC_URL"), "{bad}: {e}");
        }
    }

    #[test]
    fn safe_methods_and_non_browsers_pass() {
        let foreign = headers(&[("origin", "https://evil.example")]);
        assert_eq!(check(&Method::GET, &foreign, None), Ok(()));
        assert_eq!(check(&Method::POST, &headers(&[]), None), Ok(()));
    }

    #[test]
    fn without_a_public_url_the_host_is_the_origin() {
        let ok = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000"),
        ]);
        assert_eq!(check(&Method::POST, &ok, None), Ok(()));
        let referer = headers(&[
            ("host", "127.0.0.1:3000"),
            ("referer", "http://127.0.0.1:3000/import?x=1"),
        ]);
        assert_eq!(check(&Method::PUT, &referer, None), Ok(()));
        for (name, value) in [
            ("origin", "http://127.0.0.1:3001"),
            ("origin", "http://evil.example"),
            ("origin", "null"),
            ("referer", "http://evil.example/127.0.0.1:3000"),
        ] {
            let h = headers(&[("host", "127.0.0.1:3000"), (name, value)]);
            assert_eq!(
                check(&Method::POST, &h, None),
                Err(CrossSite::ForeignOrigin),
                "{name}: {value}"
            );
        }
    }

    #[test]
    fn a_public_url_fixes_the_origin_whatever_the_host_says() {
        let url = PublicUrl::parse("https://dirsync.example.com").unwrap();
        let ok = headers(&[
            ("host", "10.0.0.5:3000"),
            ("origin", "https://dirsync.example.com"),
        ]);
        assert_eq!(check(&Method::POST, &ok, Some(&url)), Ok(()));
        let spoofed = headers(&[("host", "evil.example"), ("origin", "https://evil.example")]);
        assert_eq!(
            check(&Method::POST, &spoofed, Some(&url)),
            Err(CrossSite::ForeignOrigin)
        );
        let plain_http = headers(&[("origin", "http://dirsync.example.com")]);
        assert_eq!(
            check(&Method::DELETE, &plain_http, Some(&url)),
            Err(CrossSite::ForeignOrigin)
        );
    }

    #[test]
    fn an_unreadable_origin_is_foreign() {
        let mut h = headers(&[("host", "127.0.0.1:3000")]);
        h.insert(
            "origin",
            http::HeaderValue::from_bytes(b"http://127.0.0.1:3000\xff").unwrap(),
        );
        assert_eq!(
            check(&Method::POST, &h, None),
            Err(CrossSite::ForeignOrigin)
        );
    }

    #[test]
    fn the_browsers_own_verdict_counts() {
        let h = headers(&[("host", "127.0.0.1:3000"), ("sec-fetch-site", "cross-site")]);
        assert_eq!(
            check(&Method::POST, &h, None),
            Err(CrossSite::FetchedCrossSite)
        );
        let same = headers(&[
            ("host", "127.0.0.1:3000"),
            ("sec-fetch-site", "same-origin"),
            ("origin", "http://127.0.0.1:3000"),
        ]);
        assert_eq!(check(&Method::POST, &same, None), Ok(()));
    }
}
