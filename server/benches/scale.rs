//! `make bench`: the scale benchmark (see `tests/scale/mod.rs`), written to
//! `target/bench/report.md` and `report.json`.
//!
//! cargo bench -p server --bench scale -- [--users N] [--groups M] [--runs R]
//!     [--latency-ms L] [--large]
//!
//! At 100,000 users and 5,000 groups by default (`--large`: 300,000 and
//! 20,000), three runs, on SQLite and, when `DIRSYNC_TEST_POSTGRES_URL`
//! names a PostgreSQL server, on PostgreSQL too.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/scale/mod.rs"]
mod scale;

use scale::{Config, Engine, run};

fn main() {
    let mut users = 100_000;
    let mut groups = 5_000;
    let mut runs = 3;
    let mut latency_ms = 50;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> usize {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} takes a number"))
        };
        match arg.as_str() {
            "--users" => users = number("--users"),
            "--groups" => groups = number("--groups"),
            "--runs" => runs = number("--runs").max(1),
            "--latency-ms" => latency_ms = number("--latency-ms") as u64,
            "--large" => (users, groups) = (300_000, 20_000),
            // cargo bench passes --bench to every bench target.
            "--bench" => {}
            other => panic!("unknown option {other}"),
        }
    }
    let mut engines = vec![Engine::Sqlite];
    if std::env::var(common::POSTGRES_ENV).is_ok() {
        engines.push(Engine::Postgres);
    }
    let config = Config {
        title: "Scale benchmark".to_owned(),
        users,
        groups,
        runs,
        engines,
        latency_ms,
        judge: users >= 100_000,
        report_dir: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench"),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let report = runtime.block_on(run(&config));
    report.write(&config.report_dir).unwrap();
    println!("{}", report.markdown());
    println!(
        "written to {}",
        config.report_dir.join("report.md").display()
    );
}
