//! The scale benchmark: a tenant in the Graph emulator (a process of its
//! own), a real server process on a fresh database, driven over HTTP as the
//! browser drives it; every figure beside a floor measured in the same run.
//! `make bench` runs it at 100,000 users (300,000 with `LARGE=1`);
//! `tests/bench_smoke.rs` runs it at 1,000 inside `make test`, so that it
//! cannot rot.
//!
//! One run, per engine: the fetch floor, a full preview (time, peak
//! memory), preview pages with and without a search term, the first apply
//! (time, peak memory) against the bulk floor of the rows it wrote, then
//! 10% of the users changed in Azure AD, a preview of the changes (time,
//! peak memory) and its apply against the bulk floor of the rows that one
//! wrote. Once: the plan alone, in process; a full preview with added Graph
//! latency; the wasm.

pub mod browser;
pub mod floors;
pub mod memory;
pub mod report;
pub mod wasm;

use crate::common::graph_sim_process::GraphSimProcess;
use crate::common::{self, TestDb, server_process::Server};
use app::domain::sync::SyncOptions;
use app::domain::sync::planner::{LocalState, plan_import};
use memory::PeakMemory;
use report::{Report, Samples, Target};
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::graph_sim::Tenant;
use server::graph_sim::generate::generate;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }

    /// A fresh database (PostgreSQL's on `DIRSYNC_TEST_POSTGRES_URL`).
    async fn database(self) -> TestDb {
        match self {
            Engine::Sqlite => common::sqlite().await,
            Engine::Postgres => common::postgres().await,
        }
    }
}

pub struct Config {
    pub title: String,
    pub users: usize,
    pub groups: usize,
    pub runs: usize,
    pub engines: Vec<Engine>,
    /// Added to every Graph request for the latency figure; 0 skips it.
    pub latency_ms: u64,
    /// Whether the targets are judged (they are set for 100,000 users and
    /// more; a smoke run only proves the benchmark still works).
    pub judge: bool,
    pub report_dir: PathBuf,
}

/// Samples per preview-page figure (each run's sample is their median).
const PAGE_CALLS: usize = 7;
/// The share of users changed in Azure AD before the re-sync.
const CHANGED_EVERY: usize = 10;

pub async fn run(config: &Config) -> Report {
    let started = Instant::now();
    let tenant = generate(config.users, config.groups, 1);
    let (original_titles, changed_titles) = changed_titles(&tenant);
    let tenant_file =
        std::env::temp_dir().join(format!("dirsync_bench_{}.json", std::process::id()));
    let sim = GraphSimProcess::start(&tenant, &tenant_file);
    let _ = std::fs::remove_file(&tenant_file);
    let search = search_term(&tenant);
    let mut samples = Samples::default();
    let memory_target = if config.users > 150_000 { 500.0 } else { 250.0 };
    for &engine in &config.engines {
        for run in 0..config.runs {
            progress(
                &format!("{} run {}/{}", engine.name(), run + 1, config.runs),
                started,
            );
            sim.set_job_titles(&original_titles).await;
            one_run(
                config,
                engine,
                &sim,
                &changed_titles,
                &search,
                memory_target,
                &mut samples,
                run == 0 && engine == config.engines[0],
            )
            .await;
        }
    }
    if config.latency_ms > 0 {
        progress(
            &format!("preview with {} ms per Graph request", config.latency_ms),
            started,
        );
        sim.set_job_titles(&original_titles).await;
        latency_run(config, &sim, &mut samples).await;
    }
    match wasm::measure(&wasm::release_wasm()) {
        Some(size) => {
            samples.add("release wasm", "", "KB", size.raw_kb, None, Target::None);
            samples.add(
                "release wasm, gzip",
                "",
                "KB",
                size.gzip_kb,
                None,
                Target::AtMost(400.0),
            );
            samples.note(format!(
                "What takes the wasm's space (`twiggy top`):\n\n```\n{}\n```",
                size.top.trim_end()
            ));
        }
        None => samples.note(
            "The release wasm is not built (`make build`): its size is not measured.".to_owned(),
        ),
    }
    Report {
        title: config.title.clone(),
        users: config.users,
        groups: config.groups,
        runs: config.runs,
        machine: machine(),
        figures: samples.figures(config.judge),
        notes: samples.notes(),
    }
}

/// Every tenth user's job title as generated, and changed.
type Titles = Vec<(String, Option<String>)>;
fn changed_titles(tenant: &Tenant) -> (Titles, Titles) {
    tenant
        .users
        .iter()
        .enumerate()
        .step_by(CHANGED_EVERY)
        .map(|(i, u)| {
            (
                (u.id.clone(), u.job_title.clone()),
                (u.id.clone(), Some(format!("Benchmark title {i}"))),
            )
        })
        .unzip()
}

/// A search term that finds some rows: the first member's surname.
fn search_term(tenant: &Tenant) -> String {
    tenant
        .users
        .iter()
        .find_map(|u| u.surname.clone())
        .unwrap_or_else(|| "a".to_owned())
        .to_lowercase()
}

#[allow(clippy::too_many_arguments)] // one run's inputs and where its samples go
async fn one_run(
    config: &Config,
    engine: Engine,
    sim: &GraphSimProcess,
    changed_titles: &[(String, Option<String>)],
    search: &str,
    memory_target: f64,
    samples: &mut Samples,
    once: bool,
) {
    let db = engine.database().await;
    let app = Bench::start(&db, sim).await;
    let e = engine.name();

    let (fetch_floor, _) = floors::fetch(sim).await;
    let memory = PeakMemory::watch(app.server.pid());
    let (run, preview) = app.timed_preview(true).await;
    let preview_mb = memory.stop();
    samples.add(
        "preview, full read",
        e,
        "s",
        secs(preview),
        Some(secs(fetch_floor)),
        Target::RatioAtMost(1.5),
    );
    samples.add(
        "peak memory, preview",
        e,
        "MB",
        preview_mb,
        None,
        Target::AtMost(memory_target),
    );
    let added = app.planned(run, "added").await;
    assert!(added > 0, "the first preview adds users");

    samples.add(
        "preview page (50 rows)",
        e,
        "ms",
        app.page_time(run, "").await,
        None,
        Target::AtMost(50.0),
    );
    samples.add(
        "preview page with a search term",
        e,
        "ms",
        app.page_time(run, search).await,
        None,
        Target::AtMost(50.0),
    );
    if once {
        // With this preview open on the page, as an admin finds it.
        let cookie = &app.cookie;
        match browser::time_to_interactive(&app.server.base, cookie, config.runs.max(3)) {
            Ok(ms) => {
                for ms in ms {
                    samples.add(
                        "Import page, time to interactive",
                        "",
                        "ms",
                        ms,
                        None,
                        Target::None,
                    );
                }
            }
            Err(why) => samples.note(format!(
                "The Import page's time to interactive is not measured: {why}."
            )),
        }
    }

    let memory = PeakMemory::watch(app.server.pid());
    let apply = app.timed_apply(run).await;
    let apply_mb = memory.stop();
    let (bulk_floor, loaded) = floors::bulk_load(&db.store, &db.url, 0).await;
    assert_eq!(loaded as u64, added, "every added user was written");
    samples.add(
        "first apply",
        e,
        "s",
        secs(apply),
        Some(secs(bulk_floor)),
        Target::RatioAtMost(2.0),
    );
    samples.add(
        "peak memory, apply",
        e,
        "MB",
        apply_mb,
        None,
        Target::AtMost(memory_target),
    );

    sim.set_job_titles(changed_titles).await;
    let memory = PeakMemory::watch(app.server.pid());
    let (resync, resync_preview) = app.timed_preview(false).await;
    let resync_mb = memory.stop();
    let updated = app.planned(resync, "updated").await;
    assert!(updated > 0, "the re-sync updates users");
    samples.add(
        "re-sync preview, changes only",
        e,
        "s",
        secs(resync_preview),
        None,
        Target::None,
    );
    // The kept directory and the platform's users are both loaded here.
    samples.add(
        "peak memory, re-sync preview",
        e,
        "MB",
        resync_mb,
        None,
        Target::AtMost(memory_target),
    );
    if once {
        time_plan_alone(config, &db, samples).await;
    }
    let since = server::store::now_millis();
    let resync_apply = app.timed_apply(resync).await;
    let (resync_floor, loaded) = floors::bulk_load(&db.store, &db.url, since).await;
    assert_eq!(loaded as u64, updated, "every updated user was written");
    samples.add(
        "re-sync apply (10% changed)",
        e,
        "s",
        secs(resync_apply),
        Some(secs(resync_floor)),
        Target::RatioAtMost(2.0),
    );

    drop(app);
    db.teardown().await;
}

/// The planner alone, in this process: the kept directory against an empty
/// platform (a first import) and against the platform as synced (the
/// re-sync, 10% changed).
async fn time_plan_alone(config: &Config, db: &TestDb, samples: &mut Samples) {
    let stored = db
        .store
        .load_directory()
        .await
        .unwrap()
        .expect("a kept directory");
    let snapshot = stored.mirror.snapshot(stored.tenant_id.clone());
    let local = db.store.load_local_state().await.unwrap();
    let options = SyncOptions::default();
    let target = if config.users > 150_000 {
        Target::None
    } else {
        Target::AtMost(1.0)
    };
    for _ in 0..config.runs.max(3) {
        let started = Instant::now();
        let plan = plan_import(&snapshot, &LocalState::default(), &options);
        samples.add(
            "plan alone, first import",
            "",
            "s",
            secs(started.elapsed()),
            None,
            target,
        );
        assert!(!plan.added.is_empty());
        let started = Instant::now();
        let plan = plan_import(&snapshot, &local, &options);
        samples.add(
            "plan alone, re-sync",
            "",
            "s",
            secs(started.elapsed()),
            None,
            target,
        );
        assert!(!plan.updated.is_empty());
    }
}

/// A full preview with every Graph request slowed down, on the first engine.
async fn latency_run(config: &Config, sim: &GraphSimProcess, samples: &mut Samples) {
    let engine = config.engines[0];
    let db = engine.database().await;
    let app = Bench::start(&db, sim).await;
    sim.set_latency(config.latency_ms).await;
    let (_, preview) = app.timed_preview(true).await;
    sim.set_latency(0).await;
    samples.add(
        &format!(
            "preview, full read, {} ms per Graph request",
            config.latency_ms
        ),
        engine.name(),
        "s",
        secs(preview),
        None,
        Target::AtMost(60.0),
    );
    drop(app);
    db.teardown().await;
}

/// A server process on `db`, connected to the emulator, signed in.
struct Bench {
    server: Server,
    cookie: String,
}

impl Bench {
    async fn start(db: &TestDb, sim: &GraphSimProcess) -> Self {
        let env = sim.server_env();
        let site = browser::site_root();
        let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        env.push(("LEPTOS_SITE_ROOT", site.to_str().expect("a UTF-8 path")));
        let mut server = Server::start_with(&db.url, &env);
        server.patience = Duration::from_secs(3600);
        let cookie = server.sign_in().await;
        Self { server, cookie }
    }

    async fn timed_preview(&self, full_read: bool) -> (i64, Duration) {
        let started = Instant::now();
        let run = self.server.preview_reading(&self.cookie, full_read).await;
        (run, started.elapsed())
    }

    async fn timed_apply(&self, run: i64) -> Duration {
        let started = Instant::now();
        let (status, body) = self.server.apply(&self.cookie, run).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        self.server.wait_applied(&self.cookie, run).await;
        started.elapsed()
    }

    /// How many rows of `bucket` the run planned.
    async fn planned(&self, run: i64, bucket: &str) -> u64 {
        let (status, summary) = self
            .server
            .call_form(&self.cookie, "get_run", &format!("run_id={run}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{summary}");
        summary["planned"][bucket].as_u64().unwrap()
    }

    /// The median time of the Added list's first page, in ms.
    async fn page_time(&self, run: i64, search: &str) -> f64 {
        let mut times = Vec::with_capacity(PAGE_CALLS);
        for _ in 0..PAGE_CALLS {
            let started = Instant::now();
            let (status, page): (StatusCode, Value) = self
                .server
                .call(
                    &self.cookie,
                    "plan_page",
                    json!({"run_id": run, "bucket": "Added", "search": search, "page": 1}),
                )
                .await;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(status, StatusCode::OK, "{page}");
        }
        report::median(&times)
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn progress(what: &str, started: Instant) {
    eprintln!("bench [{:>6.1} s] {what}", started.elapsed().as_secs_f64());
}

/// The CPU and how many cores, for the report's reader.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{cores} cores, {model}")
}
