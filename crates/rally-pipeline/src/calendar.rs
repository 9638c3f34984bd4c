//! The weekly calendar of the timers and the bot's scheduler: the daily
//! scan Monday to Friday at 21:30 UTC (after the US close), the weekly
//! retrain on Sunday at 23:00 UTC, nothing on Saturday. Pure functions of
//! the date; `scanner auto` and the scheduler both ask here.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};

/// A scheduled job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Job {
    /// The daily scan (Mon–Fri 21:30 UTC).
    Scan,
    /// The weekly retrain (Sun 23:00 UTC).
    Retrain,
}

impl fmt::Display for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Job::Scan => "daily scan",
            Job::Retrain => "weekly retrain",
        })
    }
}

/// Time of day of the daily scan (UTC).
pub const SCAN_AT: (u32, u32) = (21, 30);
/// Time of day of the weekly retrain on Sunday (UTC).
pub const RETRAIN_AT: (u32, u32) = (23, 0);

/// The job of a day: Sunday retrains, Monday to Friday scan, Saturday rests.
/// The one home of the weekly calendar (the scheduler and `scanner auto`).
pub fn job_on(day: chrono::NaiveDate) -> Option<Job> {
    match day.weekday() {
        Weekday::Sat => None,
        Weekday::Sun => Some(Job::Retrain),
        _ => Some(Job::Scan),
    }
}

/// The job due at `day` (if any) and its UTC time.
fn slot_on(day: chrono::NaiveDate) -> Option<(DateTime<Utc>, Job)> {
    let job = job_on(day)?;
    let (h, m) = match job {
        Job::Retrain => RETRAIN_AT,
        Job::Scan => SCAN_AT,
    };
    let t = NaiveTime::from_hms_opt(h, m, 0)?;
    Some((Utc.from_utc_datetime(&day.and_time(t)), job))
}

/// The first scheduled run strictly after `now`: Mon–Fri 21:30 scan, Sun
/// 23:00 retrain, nothing on Saturday.
pub fn next_run(now: DateTime<Utc>) -> (DateTime<Utc>, Job) {
    let today = now.date_naive();
    // Every week has six slots, so one lies within the next 8 days.
    for d in 0..8 {
        if let Some(slot) = slot_on(today + Duration::days(d)).filter(|(at, _)| *at > now) {
            return slot;
        }
    }
    // Unreachable by construction; a far-future retrain is a harmless answer.
    (now + Duration::days(7), Job::Retrain)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn weekday_scans_and_sunday_retrain() {
        // 2024-05-03 is a Friday.
        assert_eq!(
            next_run(t("2024-05-03T21:29:00Z")),
            (t("2024-05-03T21:30:00Z"), Job::Scan)
        );
        // Exactly at the slot: that run is happening, the next one is Sunday.
        assert_eq!(
            next_run(t("2024-05-03T21:30:00Z")),
            (t("2024-05-05T23:00:00Z"), Job::Retrain)
        );
        assert_eq!(
            next_run(t("2024-05-03T21:31:00Z")),
            (t("2024-05-05T23:00:00Z"), Job::Retrain)
        );
        // Saturday: nothing that day.
        assert_eq!(
            next_run(t("2024-05-04T12:00:00Z")),
            (t("2024-05-05T23:00:00Z"), Job::Retrain)
        );
        // Sunday before and after the retrain.
        assert_eq!(
            next_run(t("2024-05-05T22:59:59Z")),
            (t("2024-05-05T23:00:00Z"), Job::Retrain)
        );
        assert_eq!(
            next_run(t("2024-05-05T23:01:00Z")),
            (t("2024-05-06T21:30:00Z"), Job::Scan)
        );
        // Monday morning -> Monday evening; Sunday morning -> Sunday night.
        assert_eq!(
            next_run(t("2024-05-06T08:00:00Z")),
            (t("2024-05-06T21:30:00Z"), Job::Scan)
        );
        assert_eq!(
            next_run(t("2024-05-05T00:00:00Z")),
            (t("2024-05-05T23:00:00Z"), Job::Retrain)
        );
        // Midweek after the scan -> next day's scan.
        assert_eq!(
            next_run(t("2024-05-08T22:00:00Z")),
            (t("2024-05-09T21:30:00Z"), Job::Scan)
        );
    }

    #[test]
    fn a_week_has_five_scans_and_one_retrain() {
        let mut now = t("2024-05-04T00:00:00Z");
        let mut runs = Vec::new();
        while now < t("2024-05-11T00:00:00Z") {
            let (at, job) = next_run(now);
            runs.push((at.weekday(), job));
            now = at;
        }
        runs.pop(); // the first slot after the window
        assert_eq!(
            runs,
            vec![
                (Weekday::Sun, Job::Retrain),
                (Weekday::Mon, Job::Scan),
                (Weekday::Tue, Job::Scan),
                (Weekday::Wed, Job::Scan),
                (Weekday::Thu, Job::Scan),
                (Weekday::Fri, Job::Scan),
            ]
        );
    }
}
