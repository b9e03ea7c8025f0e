//! `sqlx::migrate!` embeds the migration folders at compile time, but cargo
//! does not know to look at them: without this, a new migration file was
//! left out of the build until some Rust source changed.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
