//! Hand-written SQL that PostgreSQL parses and plans once per connection.
//!
//! diesel never caches a `sql_query` statement: every run is a Parse/Describe
//! round trip followed by a Bind/Execute one, and the server plans the text each
//! time. The statements on the check path (the scheduler's claim, a check's
//! context and its recording) run thousands of times a second, so they go
//! through [`Prepared`], which lets diesel's per-connection statement cache keep
//! them by their SQL text: one round trip, no re-planning.
//!
//! Only wrap a query whose text is fixed (every value a bind parameter); the
//! text is the cache key.

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};

/// A raw SQL query (`diesel::sql_query(..).bind(..)…`) marked as safe to keep
/// prepared. Run it with diesel-async's `RunQueryDsl` like the query it wraps.
#[derive(Debug, Clone)]
pub struct Prepared<Q>(Q);

/// `.prepared()` on raw SQL queries.
pub trait PrepareExt: Sized {
    /// Keeps this statement prepared on the connection (see the module docs).
    fn prepared(self) -> Prepared<Self> {
        Prepared(self)
    }
}

impl<Q: QueryFragment<Pg>> PrepareExt for Q {}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Prepared<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    // The SQL text never changes between runs (values are bind parameters), so
    // the cache keyed by that text always finds the right statement. diesel
    // keeps this method out of its documented API; it is stable across 2.x.
    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

// No static query id: the statement cache keys the entry by its SQL text and
// bind types, so every wrapped query gets its own entry.
impl<Q> QueryId for Prepared<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}
