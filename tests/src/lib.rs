//! Home of the workspace's end-to-end tests (`tests/journey.rs`: the
//! binaries driven together the way users and timers run them, on every
//! data source) and of the checks that keep its shape (`tests/shape.rs`:
//! every declared dependency used, no oversized source file, thin
//! binaries, numeric crates free of async and HTTP). Each crate's own
//! tests stay about that crate. No library code.
