//! `GET /api/sync/runs/{id}/csv`: a run's plan (and outcomes, once applied)
//! as a CSV download. Behind the session gate like every `/api/` path.

use super::AppState;
use app::services::StoreError;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};

pub async fn run_csv(State(state): State<AppState>, Path(run_id): Path<i64>) -> Response {
    if let Err(e) = state.store.get_run(run_id).await {
        return match e {
            StoreError::NotFound => (StatusCode::NOT_FOUND, "No such sync run.").into_response(),
            e => failed(e),
        };
    }
    match crate::sync::csv::run_csv(&state.store, run_id).await {
        Ok(csv) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"dirsync-run-{run_id}.csv\""),
                ),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
            csv,
        )
            .into_response(),
        Err(e) => failed(e),
    }
}

fn failed(error: StoreError) -> Response {
    tracing::error!(%error, "CSV export failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "The export failed; the details are in the server log.",
    )
        .into_response()
}
