//! A router that remembers the paths it serves, so that the security tests
//! sweep exactly what is served: a route added without protection fails
//! them. (axum cannot list a router's routes itself.)

use axum::Router;
use axum::routing::MethodRouter;

pub struct Listed<S> {
    pub router: Router<S>,
    pub paths: Vec<String>,
}

impl<S: Clone + Send + Sync + 'static> Listed<S> {
    pub fn new() -> Self {
        Self {
            router: Router::new(),
            paths: Vec::new(),
        }
    }

    pub fn route(mut self, path: &str, method_router: MethodRouter<S>) -> Self {
        self.paths.push(path.to_owned());
        self.router = self.router.route(path, method_router);
        self
    }
}

impl<S: Clone + Send + Sync + 'static> Default for Listed<S> {
    fn default() -> Self {
        Self::new()
    }
}
