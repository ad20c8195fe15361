use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::Page;
use crate::models::{Notification, Preferences};
use crate::schema::notifications;

pub async fn list_for_user(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    page: Page,
) -> QueryResult<(Vec<Notification>, i64)> {
    let total = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .count()
        .get_result(conn)
        .await?;
    let items = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .order((notifications::created_at.desc(), notifications::id.desc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select(Notification::as_select())
        .load(conn)
        .await?;
    Ok((items, total))
}

pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Notification>> {
    notifications::table
        .find(id)
        .select(Notification::as_select())
        .first(conn)
        .await
        .optional()
}

// ---------------------------------------------------------------------------
// Sending (the notifier). A row moves pending → sending (claimed, committed
// before the SMTP conversation starts) → sent, or back to pending / to failed.
// While a row is 'sending', `sent_at` holds the time of the claim: a claim
// older than the caller's `stale_after` belongs to a notifier that died
// mid-send and may be taken over — unless `handed_over_at` says the sender
// had already written the whole email, final "." included, to the SMTP
// server: the server has it, so the row is recorded 'sent' instead of being
// sent again (RFC 1047's duplicate window, narrowed to the microseconds
// between that write and the UPDATE recording it). 'sent' is final, so a redelivered job never
// sends twice; 'failed' rows were never accepted by SMTP and may be claimed
// again (an operator re-driving the dead-letter queue).
// ---------------------------------------------------------------------------

/// Advisory-lock class for the per-user email cap ("mail" in ASCII); the
/// second key is a hash of the user id.
const MAIL_CAP_LOCK_CLASS: i32 = 0x6d61_696c;

/// `last_error` of a row recorded 'sent' because its sender died after
/// handing the email over.
pub const HANDED_OVER_NOTE: &str = "the notifier stopped after the SMTP server had received the whole email, before its answer was recorded; recorded as sent, not sent again";

/// Longest `last_error` stored.
const MAX_ERROR_CHARS: usize = 1000;

/// What `claim_for_sending` decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The row is now 'sending' on the caller's behalf; `attempts` counts this one.
    Claimed { attempts: i32 },
    /// No such notification (its watch or user was deleted).
    Missing,
    /// Already sent: nothing to do.
    AlreadySent,
    /// A sender that died had handed the email over to the SMTP server: the
    /// row is now 'sent' (at `at`), and nothing is sent again.
    HandedOver { at: DateTime<Utc> },
    /// Another sender claimed it at `since` and may still be at it.
    InFlight { since: DateTime<Utc> },
    /// The user already got `cap` emails in the past hour; a slot frees at `until`.
    CapReached { until: DateTime<Utc> },
}

/// Everything an alert email says, for a claimed notification.
#[derive(Debug, Clone)]
pub struct EmailDetails {
    pub notification: Notification,
    pub email: String,
    pub product_title: Option<String>,
    pub product_url: String,
    /// The watch's one-click unsubscribe token (`watches.unsubscribe_token`).
    pub unsubscribe_token: String,
    /// The recipient's saved language and time zone.
    pub preferences: Preferences,
}

/// Claims notification `id` for sending, atomically: a 'pending' or 'failed'
/// row, or a 'sending' row claimed before `now - stale_after`, becomes
/// 'sending' (attempts + 1, `sent_at` = claim time) unless its user already
/// has `cap_per_hour` rows sent or being sent within the past hour. Claims for
/// one user are serialised (a transaction-scoped advisory lock), so parallel
/// consumers never overshoot the cap.
pub async fn claim_for_sending(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    cap_per_hour: i64,
    stale_after: chrono::Duration,
) -> QueryResult<Claim> {
    conn.transaction(async move |conn| {
        let Some(user_id) = notifications::table
            .find(id)
            .select(notifications::user_id)
            .first::<Uuid>(conn)
            .await
            .optional()?
        else {
            return Ok(Claim::Missing);
        };
        diesel::sql_query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
            .bind::<diesel::sql_types::Integer, _>(MAIL_CAP_LOCK_CLASS)
            .bind::<diesel::sql_types::Text, _>(user_id.to_string())
            .execute(conn)
            .await?;
        // A new statement after the lock: it sees every claim committed before it.
        let Some((status, claimed_at, handed_over_at)) = notifications::table
            .find(id)
            .select((
                notifications::status,
                notifications::sent_at,
                notifications::handed_over_at,
            ))
            .for_update()
            .first::<(String, Option<DateTime<Utc>>, Option<DateTime<Utc>>)>(conn)
            .await
            .optional()?
        else {
            return Ok(Claim::Missing);
        };
        let now = Utc::now();
        match status.as_str() {
            "sent" => return Ok(Claim::AlreadySent),
            "sending" => {
                if let Some(since) = claimed_at
                    && since > now - stale_after
                {
                    return Ok(Claim::InFlight { since });
                }
                if let Some(at) = handed_over_at {
                    diesel::update(notifications::table.find(id))
                        .set((
                            notifications::status.eq("sent"),
                            notifications::sent_at.eq(at),
                            notifications::last_error.eq(Some(HANDED_OVER_NOTE)),
                        ))
                        .execute(conn)
                        .await?;
                    return Ok(Claim::HandedOver { at });
                }
            }
            _ => {}
        }
        let hour_ago = now - chrono::Duration::hours(1);
        let (recent, oldest): (i64, Option<DateTime<Utc>>) = notifications::table
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::id.ne(id))
            .filter(notifications::status.eq_any(["sent", "sending"]))
            .filter(notifications::sent_at.gt(hour_ago))
            .select((
                diesel::dsl::count_star(),
                diesel::dsl::min(notifications::sent_at),
            ))
            .first(conn)
            .await?;
        if recent >= cap_per_hour {
            let until = oldest.unwrap_or(now) + chrono::Duration::hours(1);
            return Ok(Claim::CapReached { until });
        }
        let attempts = diesel::update(notifications::table.find(id))
            .set((
                notifications::status.eq("sending"),
                notifications::attempts.eq(notifications::attempts + 1),
                notifications::sent_at.eq(diesel::dsl::now),
                notifications::handed_over_at.eq(None::<DateTime<Utc>>),
            ))
            .returning(notifications::attempts)
            .get_result::<i32>(conn)
            .await?;
        Ok(Claim::Claimed { attempts })
    })
    .await
}

/// The notification with its recipient, product and watch, for writing the email.
pub async fn email_details(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<EmailDetails>> {
    use crate::schema::{products, users, watches};
    notifications::table
        .inner_join(users::table)
        .inner_join(products::table)
        .inner_join(watches::table)
        .filter(notifications::id.eq(id))
        .select((
            Notification::as_select(),
            users::email,
            products::title,
            products::url,
            watches::unsubscribe_token,
            Preferences::as_select(),
        ))
        .first::<(
            Notification,
            String,
            Option<String>,
            String,
            String,
            Preferences,
        )>(conn)
        .await
        .optional()
        .map(|row| {
            row.map(
                |(
                    notification,
                    email,
                    product_title,
                    product_url,
                    unsubscribe_token,
                    preferences,
                )| {
                    EmailDetails {
                        notification,
                        email,
                        product_title,
                        product_url,
                        unsubscribe_token,
                        preferences,
                    }
                },
            )
        })
}

/// The whole email, final "." included, has just been written to the SMTP
/// server: records it on the 'sending' row (see the module notes).
///
/// One simple-protocol statement, no preparation: its bytes leave for
/// PostgreSQL in the first poll of this future, which the caller makes right
/// after writing the "." — a notifier killed after that has its mark
/// committed anyway (PostgreSQL finishes a statement whose client is gone).
pub async fn mark_handed_over(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<()> {
    // A UUID's text form is hex digits and dashes: nothing to escape.
    let sql = format!(
        "UPDATE notifications SET handed_over_at = now() WHERE id = '{id}' AND status = 'sending'"
    );
    diesel_async::SimpleAsyncConnection::batch_execute(conn, &sql).await
}

/// The SMTP server accepted the email: 'sending' → 'sent', `sent_at` = now.
/// `note` (kept in `last_error`) says when that is a presumption (the server
/// got the whole email but its answer was lost). Returns false if the row was
/// not 'sending' (another sender took it over).
pub async fn mark_sent(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    note: Option<&str>,
) -> QueryResult<bool> {
    let note = note.map(|n| n.chars().take(MAX_ERROR_CHARS).collect::<String>());
    let changed = diesel::update(
        notifications::table
            .find(id)
            .filter(notifications::status.eq("sending")),
    )
    .set((
        notifications::status.eq("sent"),
        notifications::sent_at.eq(diesel::dsl::now),
        notifications::last_error.eq(note),
    ))
    .execute(conn)
    .await?;
    Ok(changed > 0)
}

/// Sending failed: 'sending' → 'pending' (to be retried: its retry message is
/// published next, so `published_at` = now) or, when `give_up`, → 'failed',
/// with the reason in `last_error`. Returns false if the row was not 'sending'.
pub async fn release_after_failure(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    error: &str,
    give_up: bool,
) -> QueryResult<bool> {
    let reason: String = error.chars().take(MAX_ERROR_CHARS).collect();
    let changed = diesel::update(
        notifications::table
            .find(id)
            .filter(notifications::status.eq("sending")),
    )
    .set((
        notifications::status.eq(if give_up { "failed" } else { "pending" }),
        notifications::sent_at.eq(None::<DateTime<Utc>>),
        notifications::handed_over_at.eq(None::<DateTime<Utc>>),
        notifications::last_error.eq(Some(reason)),
        // A retry is published next: the outbox relay goes by the last publish.
        notifications::published_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await?;
    Ok(changed > 0)
}

/// Marks a row that cannot be sent at all (e.g. an invalid address) 'failed'
/// whatever its state, unless it was already sent.
pub async fn mark_failed(conn: &mut AsyncPgConnection, id: Uuid, error: &str) -> QueryResult<bool> {
    let reason: String = error.chars().take(MAX_ERROR_CHARS).collect();
    let changed = diesel::update(
        notifications::table
            .find(id)
            .filter(notifications::status.ne("sent")),
    )
    .set((
        notifications::status.eq("failed"),
        notifications::sent_at.eq(None::<DateTime<Utc>>),
        notifications::last_error.eq(Some(reason)),
    ))
    .execute(conn)
    .await?;
    Ok(changed > 0)
}

/// Unfinished notifications whose last message went out before `cutoff`:
/// 'pending', or 'sending' with a claim older than that. Their message is
/// likely gone (dead-lettered at the queue's delivery limit, purged), since
/// every retry or deferral publishes a new one and records it in
/// `published_at`. Oldest first, with their attempts so far.
pub async fn stranded(
    conn: &mut AsyncPgConnection,
    cutoff: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<(Uuid, i32)>> {
    notifications::table
        .filter(notifications::status.eq_any(["pending", "sending"]))
        .filter(notifications::published_at.lt(cutoff))
        .filter(
            notifications::sent_at
                .is_null()
                .or(notifications::sent_at.lt(cutoff)),
        )
        .order(notifications::published_at.asc())
        .limit(limit)
        .select((notifications::id, notifications::attempts))
        .load(conn)
        .await
}

/// A message for these notifications was just published (a retry, a
/// deferral, a relay): `published_at` = now, for the unfinished ones.
pub async fn mark_republished(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<usize> {
    diesel::update(
        notifications::table
            .filter(notifications::id.eq_any(ids))
            .filter(notifications::status.eq_any(["pending", "sending"])),
    )
    .set(notifications::published_at.eq(diesel::dsl::now))
    .execute(conn)
    .await
}

/// An alert as a feed shows it.
#[derive(Debug, Clone, QueryableByName)]
pub struct FeedAlert {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Numeric>)]
    pub old_price: Option<rust_decimal::Decimal>,
    #[diesel(sql_type = diesel::sql_types::Numeric)]
    pub new_price: rust_decimal::Decimal,
    #[diesel(sql_type = diesel::sql_types::Numeric)]
    pub target_price: rust_decimal::Decimal,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub currency: String,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub product_url: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub product_title: Option<String>,
}

/// The user's newest alerts (of watches carrying `tag`, when given), newest first.
pub async fn feed_for_user(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    tag: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<FeedAlert>> {
    diesel::sql_query(
        "SELECT n.id, n.old_price, n.new_price, n.target_price, n.currency::text AS currency,
                n.created_at, p.url AS product_url, p.title AS product_title
         FROM notifications n
         JOIN watches w ON w.id = n.watch_id
         JOIN products p ON p.id = n.product_id
         WHERE n.user_id = $1 AND ($2::text IS NULL OR w.tags @> ARRAY[$2::text])
         ORDER BY n.created_at DESC, n.id DESC
         LIMIT $3",
    )
    .bind::<diesel::sql_types::Uuid, _>(user_id)
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Text>, _>(tag)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load(conn)
    .await
}
