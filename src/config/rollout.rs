//! A rollout's bounds as values, read from the command line or mig.toml
//! (`[rollout]`, and per cluster): the daily window in a time zone, the
//! throttles and the disk margin. Pure: `run::rollout` applies them.

use std::time::Duration;

/// A daily window, `HH:MM-HH:MM` in a time zone (UTC unless named): a
/// window whose end is before its start runs past midnight.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    start: u16,
    end: u16,
    zone: jiff::tz::TimeZone,
    text: String,
}

/// Why a `--window` could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WindowError {
    #[error("expected HH:MM-HH:MM, optionally followed by a time zone (22:00-06:00 Europe/Paris), found {0:?}")]
    Shape(String),
    #[error("{0:?} is not a time of day (00:00 to 23:59)")]
    Time(String),
    #[error("unknown time zone {0:?} (an IANA name such as Europe/Paris, or UTC)")]
    Zone(String),
    #[error("the window starts and ends at {0}: it would be empty")]
    Empty(String),
}

impl Window {
    pub fn parse(text: &str) -> Result<Window, WindowError> {
        let mut parts = text.split_whitespace();
        let range = parts.next().unwrap_or_default();
        let zone_name = parts.next();
        if parts.next().is_some() {
            return Err(WindowError::Shape(text.into()));
        }
        let (start, end) = range
            .split_once('-')
            .ok_or_else(|| WindowError::Shape(text.into()))?;
        let minutes = |hhmm: &str| -> Result<u16, WindowError> {
            let bad = || WindowError::Time(hhmm.to_string());
            let (h, m) = hhmm.split_once(':').ok_or_else(bad)?;
            if h.len() != 2 || m.len() != 2 {
                return Err(bad());
            }
            let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
            if h > 23 || m > 59 {
                return Err(bad());
            }
            Ok(h * 60 + m)
        };
        let (start, end) = (minutes(start)?, minutes(end)?);
        if start == end {
            return Err(WindowError::Empty(range.to_string()));
        }
        let zone = match zone_name {
            None => jiff::tz::TimeZone::UTC,
            Some(name) => {
                jiff::tz::TimeZone::get(name).map_err(|_| WindowError::Zone(name.to_string()))?
            }
        };
        Ok(Window {
            start,
            end,
            zone,
            text: match zone_name {
                Some(_) => text.trim().to_string(),
                None => format!("{range} UTC"),
            },
        })
    }

    /// Whether `now` falls in the window, in its time zone.
    pub fn contains(&self, now: jiff::Timestamp) -> bool {
        let local = now.to_zoned(self.zone.clone());
        let minute = local.hour() as u16 * 60 + local.minute() as u16;
        if self.start < self.end {
            (self.start..self.end).contains(&minute)
        } else {
            minute >= self.start || minute < self.end
        }
    }
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// `--window` on the command line.
pub fn window_arg(text: &str) -> Result<Window, WindowError> {
    Window::parse(text)
}

/// Why a throttle flag was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ThrottleError {
    #[error("{0}")]
    Duration(#[from] humantime::DurationError),
    #[error("must be more than 0: 0 would hold every build forever")]
    Zero,
    #[error("must be a whole number of builds, 1 or more")]
    Count,
}

/// `--max-lag`: a duration above zero.
pub fn max_lag_arg(text: &str) -> Result<Duration, ThrottleError> {
    match humantime::parse_duration(text)? {
        d if d.is_zero() => Err(ThrottleError::Zero),
        d => Ok(d),
    }
}

/// `--max-builds`: a count above zero.
pub fn max_builds_arg(text: &str) -> Result<usize, ThrottleError> {
    match text.parse::<usize>() {
        Ok(0) => Err(ThrottleError::Zero),
        Ok(n) => Ok(n),
        Err(_) => Err(ThrottleError::Count),
    }
}

/// A size: a number with an optional unit (B, KB, MB, GB, TB: powers of
/// 1000; KiB, MiB, GiB, TiB: of 1024).
pub fn size_arg(text: &str) -> Result<u64, SizeError> {
    let bad = || SizeError(text.to_string());
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number.parse().map_err(|_| bad())?;
    let factor: f64 = match unit.trim() {
        "" | "B" => 1.0,
        "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "TiB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(bad()),
    };
    Ok((number * factor) as u64)
}

/// Why a size was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("expected a size such as 500MB, 5GiB or 0 (bytes), found {0:?}")]
pub struct SizeError(String);

/// `[rollout]` (and a cluster's own): the bounds mig.toml sets; the
/// command line's flags win over them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rollout {
    pub window: Option<Window>,
    pub max_lag: Option<Duration>,
    pub max_builds: Option<usize>,
    pub min_free_disk: Option<u64>,
}

#[cfg(test)]
#[path = "rollout_tests.rs"]
mod tests;
