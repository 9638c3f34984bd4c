//! Fault injection for the crash-safety tests: `RALLY_FAULT=<point>:abort`
//! makes the process abort (as abruptly as SIGKILL, no destructors) when it
//! reaches the named point, and `RALLY_FAULT=<point>:pause` makes it sleep
//! so a test can kill it there (after creating the file named by
//! `RALLY_FAULT_MARKER`, if set, so the test knows it got there).
//!
//! Compiled in only with the `fault-injection` feature, which the scanner
//! enables through a dev-dependency: test builds have it, `cargo build
//! --release` does not, and there a point is an empty function.

/// Named points: `before-commit`, `after-commit`, `after-export`.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub fn point(_name: &str) {}

/// Named points: `before-commit`, `after-commit`, `after-export`.
#[cfg(feature = "fault-injection")]
pub fn point(name: &str) {
    let Ok(spec) = std::env::var("RALLY_FAULT") else {
        return;
    };
    let Some((at, action)) = spec.split_once(':') else {
        return;
    };
    if at != name {
        return;
    }
    match action {
        "abort" => std::process::abort(),
        "pause" => {
            // Tell the test we got here (`RALLY_FAULT_MARKER` names a file).
            if let Ok(marker) = std::env::var("RALLY_FAULT_MARKER") {
                let _ = std::fs::write(marker, name);
            }
            std::thread::sleep(std::time::Duration::from_secs(3600))
        }
        _ => {}
    }
}
