//! `graph-sim`: the Graph emulator as a standalone server.
//!
//! graph-sim [--users N] [--groups M] [--seed S] [--port P] [--tenant FILE]
//!
//! Prints the app registration it accepts (`TENANT_ID=...`, `CLIENT_ID=...`,
//! `CLIENT_SECRET=...`) and the two addresses to point a client at, then
//! serves until Ctrl-C.

use anyhow::{Context, bail};
use server::graph_sim::{GraphSim, Tenant, generate::generate};

struct Args {
    users: usize,
    groups: usize,
    seed: u64,
    port: u16,
    tenant_file: Option<String>,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        users: 500,
        groups: 12,
        seed: 1,
        port: 4100,
        tenant_file: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--users" => args.users = value()?.parse().context("--users takes a number")?,
            "--groups" => args.groups = value()?.parse().context("--groups takes a number")?,
            "--seed" => args.seed = value()?.parse().context("--seed takes a number")?,
            "--port" => args.port = value()?.parse().context("--port takes a port number")?,
            "--tenant" => args.tenant_file = Some(value()?),
            "-h" | "--help" => {
                println!(
                    "graph-sim [--users N] [--groups M] [--seed S] [--port P] [--tenant FILE]"
                );
                std::process::exit(0);
            }
            other => bail!("unknown option {other} (try --help)"),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let tenant: Tenant = match &args.tenant_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
            serde_json::from_str(&text).with_context(|| format!("{path} is not a tenant"))?
        }
        None => generate(args.users, args.groups, args.seed),
    };
    let sim = GraphSim::new(tenant, args.seed, "");
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .with_context(|| format!("listening on port {}", args.port))?;
    let addr = listener.local_addr()?;
    let reg = sim.registration();
    println!("TENANT_ID={}", reg.tenant_id);
    println!("CLIENT_ID={}", reg.client_id);
    println!("CLIENT_SECRET={}", reg.client_secret);
    println!("AZURE_AUTHORITY_HOST=http://{addr}");
    println!("GRAPH_BASE_URL=http://{addr}");
    eprintln!("graph-sim: serving a simulated tenant on http://{addr} (control API under /_sim)");
    axum::serve(listener, sim.router())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
