//! Tests that run several PriceWatch services together, in `tests/`. This
//! crate holds no code of its own: it keeps the services' crates free of
//! dependencies on one another.
