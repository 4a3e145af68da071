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
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_rule() {
        assert_eq!(
            check_database_name("a.b").unwrap_err().to_string(),
            "invalid database name \"a.b\": it contains '.'"
        );
        assert_eq!(
            check_collection_name("system.x").unwrap_err().to_string(),
            "invalid collection name \"system.x\": the system. prefix is reserved"
        );
        assert!(check_collection_name("users").is_ok());
    }

    #[test]
    fn closest_names_are_the_near_misses_best_first() {
        let known = ["customers", "conversations", "messages", "users"];
        assert_eq!(closest("custmers", known), ["customers"]);
        assert_eq!(closest("Message", known), ["messages"]);
        assert!(closest("invoices", known).is_empty());
        assert_eq!(
            closest("tenant_c", ["tenant_a", "tenant_b", "other"]),
            ["tenant_a", "tenant_b"]
        );
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
