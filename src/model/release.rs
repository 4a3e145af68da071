//! The MongoDB releases whose rules `mig` knows (6.0, 7.0, 8.0), and what
//! differs between them, as data: one row of [`DIFFERENCES`] per feature,
//! the release it came with, and the server source that shows it before and
//! after (`mongodb/mongo` at each release's tag). Every other rule is one
//! rule for all releases. Pure: which release applies is decided from a
//! version string ([`Release::of_server`]) or a setting ([`Release::parse`]).

use std::fmt;

/// A release line whose rules are known.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Release {
    /// The oldest supported, and the one the tests run against (6.0.5).
    #[default]
    V6_0,
    V7_0,
    V8_0,
}

/// Every known release, oldest first.
pub const RELEASES: [Release; 3] = [Release::V6_0, Release::V7_0, Release::V8_0];

/// A behaviour that one release introduced; older releases lack it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Feature {
    /// Compound wildcard indexes (`{a: 1, "b.$**": 1}`; `{"$**": 1, a: 1}`
    /// with a `wildcardProjection` that leaves the other key fields out).
    CompoundWildcard,
    /// A descending wildcard key (`{"$**": -1}`).
    DescendingWildcard,
    /// Time-series custom bucketing (`bucketMaxSpanSeconds` with
    /// `bucketRoundingSeconds`, 6.3+).
    CustomBucketing,
    /// `hidden` is compared among an index's options: `createIndexes` of a
    /// spec equal to an existing index but for `hidden` is refused
    /// (IndexOptionsConflict) instead of answering "already exists".
    HiddenComparedAmongOptions,
}

/// One difference between releases, with the sources that show it.
#[derive(Clone, Copy, Debug)]
pub struct Difference {
    pub feature: Feature,
    /// The first known release that has it.
    pub since: Release,
    /// In words, for the README table and messages.
    pub what: &'static str,
    /// The server source without it, `file@tag`.
    pub before: &'static str,
    /// The server source with it, `file@tag`.
    pub after: &'static str,
}

/// What differs by release. Adding a release is adding its tag to
/// [`Release::tag`] and a row here for each thing it changes.
pub const DIFFERENCES: &[Difference] = &[
    Difference {
        feature: Feature::CompoundWildcard,
        since: Release::V7_0,
        what: "compound wildcard indexes",
        before: "src/mongo/db/catalog/index_key_validate.cpp@r6.0.5 (validateKeyPattern: \"wildcard indexes do not allow compounding\")",
        after: "src/mongo/db/catalog/index_key_validate.cpp@r7.0.0 (validateWildcardSpec, codes 7246200-7246211); jstests/core/index/wildcard/compound_wildcard_index_validation.js (requires_fcv_70)",
    },
    Difference {
        feature: Feature::DescendingWildcard,
        since: Release::V7_0,
        what: "a descending wildcard key ({\"$**\": -1})",
        before: "src/mongo/db/catalog/index_key_validate.cpp@r6.0.5 (validateKeyPattern: wildcard values must be positive)",
        after: "jstests/core/index/wildcard/wildcard_index_validindex.js@r7.0.0 (createIndex({\"$**\": -1}) works)",
    },
    Difference {
        feature: Feature::CustomBucketing,
        since: Release::V7_0,
        what: "time-series bucketMaxSpanSeconds / bucketRoundingSeconds (6.3+)",
        before: "src/mongo/db/timeseries/timeseries.idl@r6.0.5 (no bucketRoundingSeconds; the span fixed by granularity)",
        after: "src/mongo/db/timeseries/timeseries_options.cpp@r7.0.0 (validateAndSetBucketingParameters)",
    },
    Difference {
        feature: Feature::HiddenComparedAmongOptions,
        since: Release::V8_0,
        what: "hidden compared among an index's options (same spec, other hidden: IndexOptionsConflict, not \"already exists\")",
        // No stored copy of index_descriptor.cpp is at r6.0.5, r7.0.0 or r8.0.0:
        // the ones read are older (hidden left out) and newer (hidden compared)
        // than those tags, so the release it came with is 8.0 unconfirmed.
        before: "src/mongo/db/index/index_descriptor.cpp@0045dc81dfadc33d60130dbb575a7a0a74305924 (before 5.0: kHiddenFieldName among the options populateOptionsMap leaves out of the equality check)",
        after: "src/mongo/db/local_catalog/index_descriptor.cpp@b24ea20ac9f0354e25ee2b95c773ce16ac013dfd (after 8.0: hidden no longer in kIndexOptionsNotConsideredForEqualityCheck, so another hidden makes an existing index equivalent, not identical)",
    },
];

impl Release {
    /// Without a server and without `server_version`: the oldest supported.
    pub const DEFAULT: Release = Release::V6_0;

    /// `6.0`, `7.0`, `8.0`.
    pub fn name(self) -> &'static str {
        match self {
            Release::V6_0 => "6.0",
            Release::V7_0 => "7.0",
            Release::V8_0 => "8.0",
        }
    }

    /// The `mongodb/mongo` tag its rules and test cases cite.
    pub fn tag(self) -> &'static str {
        match self {
            Release::V6_0 => "r6.0.5",
            Release::V7_0 => "r7.0.0",
            Release::V8_0 => "r8.0.0",
        }
    }

    fn major(self) -> u32 {
        match self {
            Release::V6_0 => 6,
            Release::V7_0 => 7,
            Release::V8_0 => 8,
        }
    }

    /// Whether this release has `feature`.
    pub fn has(self, feature: Feature) -> bool {
        DIFFERENCES
            .iter()
            .find(|d| d.feature == feature)
            .is_none_or(|d| self >= d.since)
    }

    /// The known releases, as a list for messages: `6.0, 7.0, 8.0`.
    pub fn known() -> String {
        RELEASES.map(Release::name).join(", ")
    }

    /// A setting (`server_version = "7.0"`, `--server-version 7.0`): a known
    /// release, written `7.0` or with its patch (`7.0.12`). Anything else is
    /// refused, with the releases known.
    pub fn parse(text: &str) -> Result<Release, UnknownRelease> {
        let t = text.trim();
        let mut parts = t.split('.');
        let (major, minor) = (parts.next(), parts.next());
        let patch_ok =
            parts.next().is_none_or(|p| p.parse::<u32>().is_ok()) && parts.next().is_none();
        let found = RELEASES
            .into_iter()
            .find(|r| Some(r.major().to_string().as_str()) == major && minor == Some("0"));
        match found {
            Some(r) if patch_ok => Ok(r),
            _ => Err(UnknownRelease(format!(
                "{text:?} is not a MongoDB release mig knows the rules of: write one of {} (major.minor, as \"7.0\")",
                Release::known()
            ))),
        }
    }

    /// The rules for a live server's version (`buildInfo.version`).
    pub fn of_server(version: &str) -> ServerRelease {
        let mut parts = version.split('.').map(|p| {
            p.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse::<u32>()
                .unwrap_or(0)
        });
        let at = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        let newest = RELEASES[RELEASES.len() - 1];
        let oldest = RELEASES[0];
        let (release, fit) = if at < (oldest.major(), 0) {
            (oldest, Fit::Older)
        } else if at.0 > newest.major() {
            (newest, Fit::Newer)
        } else {
            // The newest known release at or before it: 7.3 has 7.0's rules
            // and everything after (said, see `note`).
            let r = RELEASES
                .into_iter()
                .rev()
                .find(|r| (r.major(), 0) <= at)
                .unwrap_or(oldest);
            (
                r,
                if at == (r.major(), 0) {
                    Fit::Exact
                } else {
                    Fit::Between
                },
            )
        };
        ServerRelease {
            version: version.to_string(),
            release,
            fit,
        }
    }
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MongoDB {}", self.name())
    }
}

/// A setting that names no known release; says which are known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownRelease(pub String);

impl fmt::Display for UnknownRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a server's version sits among the known releases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    /// A patch of a known release (`7.0.12`).
    Exact,
    /// A release after a known one and before the next (`6.3`, `8.2`).
    Between,
    /// Older than the oldest supported.
    Older,
    /// Newer than the newest known.
    Newer,
}

/// A live server's version and the rules used for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerRelease {
    pub version: String,
    pub release: Release,
    pub fit: Fit,
}

impl ServerRelease {
    /// Said plainly when the rules are not that version's own.
    pub fn note(&self) -> Option<String> {
        let (v, r) = (&self.version, self.release.name());
        match self.fit {
            Fit::Exact => None,
            Fit::Between => Some(format!(
                "the server is MongoDB {v}, between the releases mig knows ({}): using {r}'s rules, \
                 which may miss what {v} changed; a dev server of {v} (--dev-uri) is exact",
                Release::known()
            )),
            Fit::Older => Some(format!(
                "the server is MongoDB {v}, older than the oldest release mig supports ({r}): \
                 using {r}'s rules, which may accept what {v} refuses; use a dev server of {v} (--dev-uri)"
            )),
            Fit::Newer => Some(format!(
                "the server is MongoDB {v}, newer than the newest release mig knows ({r}): \
                 using {r}'s rules, which may refuse what {v} accepts; use a dev server of {v} (--dev-uri)"
            )),
        }
    }

    /// A warning when a configured release differs from the live one.
    pub fn mismatch(&self, configured: Option<Release>) -> Option<String> {
        let configured = configured?;
        (configured != self.release).then(|| {
            format!(
                "server_version is {} but the server is MongoDB {}: planning with {}'s rules \
                 (the server's); update server_version so offline checks match",
                configured.name(),
                self.version,
                self.release.name()
            )
        })
    }
}

#[cfg(test)]
#[path = "release_tests.rs"]
mod tests;
