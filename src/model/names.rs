//! MongoDB's rules for database and collection names, in one place that the
//! config, the manifests, the migrations and target discovery all use.

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
}
