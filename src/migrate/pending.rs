//! Which migrations a database needs, and which it would revert, from its
//! changelog. Pure: the runner reads the changelog, this decides.

use bson::{DateTime, Document};

use super::{Migration, MigrationError};
use crate::model::Scope;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Started and not finished: a run was interrupted; the next one resumes it.
    Running,
    Applied,
    Failed,
    Reverted,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Running => "running",
            State::Applied => "applied",
            State::Failed => "failed",
            State::Reverted => "reverted",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        [
            State::Running,
            State::Applied,
            State::Failed,
            State::Reverted,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

/// One document of a database's changelog.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub id: String,
    pub checksum: String,
    pub state: State,
    pub batch: i64,
    pub applied_at: Option<DateTime>,
    pub duration_ms: Option<i64>,
    pub error: Option<String>,
    /// Where an interrupted batched step stopped: `{step, last_id}`.
    pub checkpoint: Option<Document>,
}

#[derive(Clone, Debug, Default)]
pub struct Options<'a> {
    /// Stop after this migration.
    pub to: Option<&'a str>,
    /// Run even though an applied migration's file changed.
    pub allow_changed: bool,
    /// Run a failed migration again.
    pub retry_failed: bool,
}

/// What a database needs.
#[derive(Clone, Debug, Default)]
pub struct Pending<'a> {
    pub run: Vec<&'a Migration>,
    /// Why nothing may run here now (a changed or failed migration).
    pub blocked: Option<MigrationError>,
    /// Changelog entries with no file on disk.
    pub missing: Vec<String>,
}

/// The migrations of `scope` to run on a database with changelog `log`, in id order.
pub fn pending<'a>(
    migrations: &'a [Migration],
    scope: Scope,
    log: &[Entry],
    options: &Options,
) -> Pending<'a> {
    let mut out = Pending {
        missing: log
            .iter()
            .filter(|e| e.state != State::Reverted && !migrations.iter().any(|m| m.id == e.id))
            .map(|e| e.id.clone())
            .collect(),
        ..Default::default()
    };
    for m in migrations.iter().filter(|m| m.scope.includes(scope)) {
        let entry = log.iter().find(|e| e.id == m.id);
        let run = match entry.map(|e| e.state) {
            Some(State::Applied) => {
                let e = entry.expect("matched");
                if e.checksum != m.checksum && !options.allow_changed {
                    out.blocked = Some(MigrationError::Changed {
                        id: m.id.clone(),
                        then: short(&e.checksum).to_string(),
                        now: short(&m.checksum).to_string(),
                    });
                    return out;
                }
                false
            }
            Some(State::Failed) if !options.retry_failed => {
                out.blocked = Some(MigrationError::FailedBefore {
                    id: m.id.clone(),
                    error: entry
                        .and_then(|e| e.error.as_deref())
                        .unwrap_or("no error recorded")
                        .to_string(),
                });
                return out;
            }
            _ => true,
        };
        if run {
            out.run.push(m);
        }
        if options.to == Some(m.id.as_str()) {
            break;
        }
    }
    out
}

/// The migrations `mig down` reverts, newest first: the last batch, or every
/// applied one after `to`. Refuses, before anything runs, one that has no
/// `down` steps or no file.
pub fn to_revert<'a>(
    migrations: &'a [Migration],
    log: &[Entry],
    to: Option<&str>,
) -> Result<Vec<&'a Migration>, MigrationError> {
    let mut applied: Vec<&Entry> = log.iter().filter(|e| e.state == State::Applied).collect();
    applied.sort_by(|a, b| b.id.cmp(&a.id));
    let chosen: Vec<&Entry> = match to {
        Some(to) => applied.into_iter().filter(|e| e.id.as_str() > to).collect(),
        None => {
            let last = applied.iter().map(|e| e.batch).max();
            applied
                .into_iter()
                .filter(|e| Some(e.batch) == last)
                .collect()
        }
    };
    chosen
        .iter()
        .map(|e| {
            let m = migrations
                .iter()
                .find(|m| m.id == e.id)
                .ok_or_else(|| MigrationError::FileMissing(e.id.clone()))?;
            if m.down.is_empty() {
                return Err(MigrationError::NoDown(m.id.clone()));
            }
            Ok(m)
        })
        .collect()
}

fn short(checksum: &str) -> &str {
    &checksum[..12.min(checksum.len())]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::file::MigrationScope;
    use crate::migrate::Op;

    fn m(id: &str, scope: MigrationScope, down: bool) -> Migration {
        Migration {
            id: id.into(),
            file: format!("{id}.yaml").into(),
            description: id.into(),
            scope,
            transactional: false,
            checksum: format!("sum-{id}"),
            up: vec![Op::CollectionExists("x".into())],
            down: if down {
                vec![Op::CollectionExists("x".into())]
            } else {
                vec![]
            },
        }
    }

    fn e(id: &str, state: State, batch: i64) -> Entry {
        Entry {
            id: id.into(),
            checksum: format!("sum-{id}"),
            state,
            batch,
            applied_at: None,
            duration_ms: None,
            error: Some("boom".into()),
            checkpoint: None,
        }
    }

    fn ids(p: &[&Migration]) -> Vec<String> {
        p.iter().map(|m| m.id.clone()).collect()
    }

    #[test]
    fn runs_what_is_not_applied_in_order_for_its_scope() {
        let ms = vec![
            m("1_a", MigrationScope::Tenant, true),
            m("2_b", MigrationScope::Public, true),
            m("3_c", MigrationScope::Both, true),
            m("4_d", MigrationScope::Tenant, true),
        ];
        let log = vec![e("1_a", State::Applied, 1), e("4_d", State::Reverted, 1)];
        let p = pending(&ms, Scope::Tenant, &log, &Options::default());
        assert_eq!(ids(&p.run), vec!["3_c", "4_d"]);
        let p = pending(&ms, Scope::Public, &[], &Options::default());
        assert_eq!(ids(&p.run), vec!["2_b", "3_c"]);
    }

    #[test]
    fn to_stops_after_that_migration() {
        let ms = vec![
            m("1_a", MigrationScope::Tenant, true),
            m("2_b", MigrationScope::Tenant, true),
        ];
        let p = pending(
            &ms,
            Scope::Tenant,
            &[],
            &Options {
                to: Some("1_a"),
                ..Default::default()
            },
        );
        assert_eq!(ids(&p.run), vec!["1_a"]);
    }

    #[test]
    fn a_changed_applied_migration_blocks_unless_allowed() {
        let ms = vec![
            m("1_a", MigrationScope::Tenant, true),
            m("2_b", MigrationScope::Tenant, true),
        ];
        let mut log = vec![e("1_a", State::Applied, 1)];
        log[0].checksum = "different".into();
        let p = pending(&ms, Scope::Tenant, &log, &Options::default());
        assert!(p.run.is_empty());
        assert!(p
            .blocked
            .unwrap()
            .to_string()
            .contains("changed since it was applied"));
        let p = pending(
            &ms,
            Scope::Tenant,
            &log,
            &Options {
                allow_changed: true,
                ..Default::default()
            },
        );
        assert_eq!(ids(&p.run), vec!["2_b"]);
    }

    #[test]
    fn a_failed_migration_blocks_until_retried() {
        let ms = vec![m("1_a", MigrationScope::Tenant, true)];
        let log = vec![e("1_a", State::Failed, 1)];
        let p = pending(&ms, Scope::Tenant, &log, &Options::default());
        assert!(p.blocked.unwrap().to_string().contains("boom"));
        let p = pending(
            &ms,
            Scope::Tenant,
            &log,
            &Options {
                retry_failed: true,
                ..Default::default()
            },
        );
        assert_eq!(ids(&p.run), vec!["1_a"]);
    }

    #[test]
    fn an_interrupted_migration_runs_again() {
        let ms = vec![m("1_a", MigrationScope::Tenant, true)];
        let p = pending(
            &ms,
            Scope::Tenant,
            &[e("1_a", State::Running, 1)],
            &Options::default(),
        );
        assert_eq!(ids(&p.run), vec!["1_a"]);
    }

    #[test]
    fn files_missing_on_disk_are_reported() {
        let p = pending(
            &[],
            Scope::Tenant,
            &[e("9_gone", State::Applied, 1)],
            &Options::default(),
        );
        assert_eq!(p.missing, vec!["9_gone"]);
    }

    #[test]
    fn down_reverts_the_last_batch_newest_first_or_back_to_an_id() {
        let ms = vec![
            m("1_a", MigrationScope::Tenant, true),
            m("2_b", MigrationScope::Tenant, true),
            m("3_c", MigrationScope::Tenant, true),
        ];
        let log = vec![
            e("1_a", State::Applied, 1),
            e("2_b", State::Applied, 2),
            e("3_c", State::Applied, 2),
        ];
        assert_eq!(
            ids(&to_revert(&ms, &log, None).unwrap()),
            vec!["3_c", "2_b"]
        );
        assert_eq!(
            ids(&to_revert(&ms, &log, Some("1_a")).unwrap()),
            vec!["3_c", "2_b"]
        );
        assert_eq!(
            ids(&to_revert(&ms, &log, Some("0")).unwrap()),
            vec!["3_c", "2_b", "1_a"]
        );
    }

    #[test]
    fn down_refuses_a_migration_without_down_steps_before_anything() {
        let ms = vec![
            m("1_a", MigrationScope::Tenant, true),
            m("2_b", MigrationScope::Tenant, false),
        ];
        let log = vec![e("1_a", State::Applied, 1), e("2_b", State::Applied, 1)];
        let err = to_revert(&ms, &log, None).unwrap_err();
        assert!(err.to_string().contains("2_b has no `down` steps"), "{err}");
    }
}
