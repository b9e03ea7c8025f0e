//! How one batch's rows are written, inside the batch's transaction.
//!
//! Together first: the facts every row depends on are read in three
//! queries for the whole batch ([`BatchKeys`]), each row is decided by
//! `domain::sync::apply::decide` against those facts as the rows before it
//! left them ([`BatchFacts`]), then the additions are inserted in multi-row
//! statements and each update written. When the database refuses any
//! write, the batch goes back to its savepoint and each row is tried alone
//! in a savepoint of its own, so that only the refused rows fail.

use super::{Store, db_error};
use app::domain::sync::apply::{RowDecision, RowFacts, UserChange, decide};
use app::domain::sync::batch_facts::{BatchFacts, BatchKeys};
use app::domain::sync::run::RowOutcome;
use app::domain::user::LocalUser;
use app::services::StoreError;

use super::sync_apply::StoredEntry;

/// A row's outcome and, when it did not apply, why.
pub(super) type Decided = (RowOutcome, Option<String>);

const NO_CHANGE: &str = "This row changes no user.";
const REFUSED: &str =
    "The database refused this change; nothing of it was written (the server log has the details).";

impl Store {
    /// Writes `rows` (in order) and returns each one's outcome.
    pub(super) async fn write_rows(
        &self,
        conn: &mut sqlx::AnyConnection,
        run_id: i64,
        rows: &[StoredEntry],
        now: i64,
    ) -> Result<Vec<Decided>, StoreError> {
        execute(conn, "SAVEPOINT sync_batch").await?;
        match self.write_together(conn, rows, now).await {
            Ok(decided) => {
                execute(conn, "RELEASE SAVEPOINT sync_batch").await?;
                Ok(decided)
            }
            Err(e @ StoreError::Unavailable(_)) => Err(e),
            Err(e) => {
                tracing::warn!(run_id, error = %e, "the database refused a write of the batch; its rows are tried one by one");
                execute(conn, "ROLLBACK TO SAVEPOINT sync_batch").await?;
                execute(conn, "RELEASE SAVEPOINT sync_batch").await?;
                let mut decided = Vec::with_capacity(rows.len());
                for row in rows {
                    decided.push(match change_of(row) {
                        Err(done) => done,
                        Ok(change) => self.write_alone(conn, run_id, row.seq, change, now).await?,
                    });
                }
                Ok(decided)
            }
        }
    }

    async fn write_together(
        &self,
        conn: &mut sqlx::AnyConnection,
        rows: &[StoredEntry],
        now: i64,
    ) -> Result<Vec<Decided>, StoreError> {
        let keys = BatchKeys::of(rows.iter().filter_map(|r| change_of(r).ok()));
        let mut facts = BatchFacts::new(
            self.users_by_ids_in(conn, &keys.user_ids).await?,
            self.email_holders_in(conn, &keys.emails).await?,
            self.linked_objects_in(conn, &keys.object_ids).await?,
        );
        let mut inserts: Vec<LocalUser> = Vec::new();
        let mut updates: Vec<LocalUser> = Vec::new();
        let mut decided = Vec::with_capacity(rows.len());
        for row in rows {
            let change = match change_of(row) {
                Ok(change) => change,
                Err(done) => {
                    decided.push(done);
                    continue;
                }
            };
            decided.push(match decide(change, &facts.facts(change), now) {
                RowDecision::Write(user) => {
                    facts.wrote(&user);
                    if user.id == 0 {
                        inserts.push(user);
                    } else {
                        updates.push(user);
                    }
                    (RowOutcome::Done, None)
                }
                RowDecision::Conflict(why) => (RowOutcome::Conflict, Some(why)),
                RowDecision::Fail(why) => (RowOutcome::Failed, Some(why)),
            });
        }
        // Updates first: an address or object one of them gives up may be
        // the one an addition of the same batch takes.
        for user in &updates {
            self.write_user_in(conn, user).await?;
        }
        self.insert_users_in(conn, &inserts).await?;
        Ok(decided)
    }

    /// One row inside its own savepoint: what the database refuses is rolled
    /// back alone and recorded as failed.
    async fn write_alone(
        &self,
        conn: &mut sqlx::AnyConnection,
        run_id: i64,
        seq: i64,
        change: UserChange<'_>,
        now: i64,
    ) -> Result<Decided, StoreError> {
        execute(conn, "SAVEPOINT sync_row").await?;
        match self.decide_and_write(conn, change, now).await {
            Ok(decided) => {
                execute(conn, "RELEASE SAVEPOINT sync_row").await?;
                Ok(decided)
            }
            Err(e @ StoreError::Unavailable(_)) => {
                // Busy or unreachable says nothing of the row: the batch
                // stops, nothing of it is kept, and a resume tries it again.
                tracing::warn!(run_id, seq, error = %e, "the database is unavailable; the batch stops");
                Err(e)
            }
            Err(e) => {
                tracing::warn!(run_id, seq, error = %e, "the database refused a row; it is recorded as failed");
                execute(conn, "ROLLBACK TO SAVEPOINT sync_row").await?;
                execute(conn, "RELEASE SAVEPOINT sync_row").await?;
                Ok((RowOutcome::Failed, Some(REFUSED.to_owned())))
            }
        }
    }

    /// Reads what the row depends on, decides, writes.
    async fn decide_and_write(
        &self,
        conn: &mut sqlx::AnyConnection,
        change: UserChange<'_>,
        now: i64,
    ) -> Result<Decided, StoreError> {
        let keys = BatchKeys::of([change]);
        let facts: RowFacts = BatchFacts::new(
            self.users_by_ids_in(conn, &keys.user_ids).await?,
            self.email_holders_in(conn, &keys.emails).await?,
            self.linked_objects_in(conn, &keys.object_ids).await?,
        )
        .facts(change);
        match decide(change, &facts, now) {
            RowDecision::Write(user) if user.id == 0 => {
                self.insert_users_in(conn, std::slice::from_ref(&user))
                    .await?;
                Ok((RowOutcome::Done, None))
            }
            RowDecision::Write(user) => {
                self.write_user_in(conn, &user).await?;
                Ok((RowOutcome::Done, None))
            }
            RowDecision::Conflict(why) => Ok((RowOutcome::Conflict, Some(why))),
            RowDecision::Fail(why) => Ok((RowOutcome::Failed, Some(why))),
        }
    }
}

/// The row's user change, or its outcome when it has none to make.
fn change_of(row: &StoredEntry) -> Result<UserChange<'_>, Decided> {
    match (row.excluded, UserChange::of(&row.entry)) {
        (true, _) => Err((RowOutcome::Excluded, None)),
        (false, None) => Err((RowOutcome::Failed, Some(NO_CHANGE.to_owned()))),
        (false, Some(change)) => Ok(change),
    }
}

async fn execute(conn: &mut sqlx::AnyConnection, sql: &'static str) -> Result<(), StoreError> {
    sqlx::query(sql)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    Ok(())
}
