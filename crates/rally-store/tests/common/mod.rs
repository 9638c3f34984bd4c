//! Shared by the store's test files: running one test body on both
//! backends.

/// For each named body `async fn NAME(url: &str, dir: &Path)`, a module
/// `NAME` with two tests: `sqlite` (a file under `dir`) and `postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => { $(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let dir = tempfile::tempdir().unwrap();
                let url = dir.path().join("models/rally.db").display().to_string();
                super::$name(&url, dir.path()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let test = concat!(module_path!(), "::postgres");
                let Some(db) = rally_testkit::TestDatabase::create(test).await else {
                    return;
                };
                let dir = tempfile::tempdir().unwrap();
                super::$name(&db.url, dir.path()).await;
            }
        }
    )* };
}
