//! MongoDB's rules for database and collection names, in one place that the
//! config, the manifests, the migrations and target discovery all use.

/// The one collection `mig` keeps in each database it manages: the lock
/// (`_id: "lock"`), the journal (`kind: "journal"`) and retiring indexes
/// (`kind: "retiring"`). One collection, so a tenant database gains one, not three.
pub const MIG_COLLECTION: &str = "mig";

/// A name MongoDB would refuse, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("a database name cannot be empty")]
    EmptyDatabase,
    #[error("invalid database name {0:?}: 64 bytes or longer")]
    LongDatabase(String),
    #[error("invalid database name {0:?}: it contains {1:?}")]
    DatabaseChar(String, char),
    #[error("a collection name cannot be empty")]
    EmptyCollection,
    #[error("invalid collection name {0:?}: it cannot contain '$' or a null character")]
    CollectionChar(String),
    #[error("invalid collection name {0:?}: the system. prefix is reserved")]
    SystemCollection(String),
    #[error("invalid collection name {0:?}: longer than 235 bytes")]
    LongCollection(String),
}

/// MongoDB's rules for database names (the stricter, cross-platform set).
pub fn check_database_name(name: &str) -> Result<(), NameError> {
    const FORBIDDEN: &[char] = &[
        '/', '\\', '.', ' ', '"', '$', '*', '<', '>', ':', '|', '?', '\0',
    ];
    if name.is_empty() {
        Err(NameError::EmptyDatabase)
    } else if name.len() >= 64 {
        Err(NameError::LongDatabase(name.to_string()))
    } else if let Some(c) = name.chars().find(|c| FORBIDDEN.contains(c)) {
        Err(NameError::DatabaseChar(name.to_string(), c))
    } else {
        Ok(())
    }
}

/// MongoDB's rules for collection names.
pub fn check_collection_name(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        Err(NameError::EmptyCollection)
    } else if name.contains('$') || name.contains('\0') {
        Err(NameError::CollectionChar(name.to_string()))
    } else if name.starts_with("system.") {
        Err(NameError::SystemCollection(name.to_string()))
    } else if name.len() > 235 {
        Err(NameError::LongCollection(name.to_string()))
    } else {
        Ok(())
    }
}

/// The names among `known` that a misspelt `name` most likely meant, for
/// "did you mean" hints: the nearest ones, a few edits away (at most 3, and
/// at most half the word), case ignored.
pub fn closest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let lower = name.to_lowercase();
    let mut near: Vec<(usize, &str)> = known
        .into_iter()
        .map(|k| (edit_distance(&lower, &k.to_lowercase()), k))
        .filter(|(d, k)| {
            let longer = lower.chars().count().max(k.chars().count());
            *d <= 3 && d * 2 <= longer
        })
        .collect();
    near.sort();
    near.dedup_by(|a, b| a.1 == b.1);
    // Only the nearest: a farther one beside it is noise.
    let best = near.first().map_or(0, |(d, _)| *d);
    near.into_iter()
        .take_while(|(d, _)| *d == best)
        .take(3)
        .map(|(_, k)| k)
        .collect()
}

/// Levenshtein distance.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
#[path = "names_tests.rs"]
mod tests;
