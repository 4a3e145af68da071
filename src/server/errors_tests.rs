use super::*;

#[test]
fn duplicate_key_names_index_and_key() {
    let m = "Index build failed: 1b2c: Collection t.users ( 3f ) :: caused by :: E11000 duplicate key error collection: t.users index: idx_users_email dup key: { email: \"a@x.io\" }";
    assert_eq!(
        duplicate_key(m),
        Some(("idx_users_email".into(), "{ email: \"a@x.io\" }".into()))
    );
    let text = explain_code(11000, "DuplicateKey", m);
    assert!(
        text.contains("\"idx_users_email\"") && text.contains("a@x.io"),
        "{text}"
    );
}

fn unreachable(from: UriSource, reason: Reason) -> String {
    ConnectError {
        server: Server::Production,
        uri: "mongodb://app:****@db:27017".into(),
        from,
        reason,
    }
    .to_string()
}

#[test]
fn a_connect_error_is_one_sentence_naming_the_uri_its_source_and_what_to_check() {
    assert_eq!(
        unreachable(UriSource::Env("MONGODB_URI"), Reason::Refused),
        "cannot reach MongoDB at mongodb://app:****@db:27017 (from MONGODB_URI): \
             connection refused; is mongod running there, on that port?"
    );
    let default = unreachable(UriSource::Default, Reason::Refused);
    assert!(
        default.contains("(the default: ") && default.contains("set MONGODB_URI or --uri"),
        "{default}"
    );
    let file = unreachable(
        UriSource::File {
            key: "[connection] uri",
            path: "/p/mig.toml".into(),
        },
        Reason::HostNotFound("db:27017".into()),
    );
    assert!(
        file.contains("(from [connection] uri in /p/mig.toml): host db:27017 not found"),
        "{file}"
    );
    let waited = unreachable(
        UriSource::Flag("--uri"),
        Reason::NoPrimary(Duration::from_secs(10)),
    );
    assert!(
        waited.contains("no primary within 10 s (MONGODB_SERVER_SELECTION_TIMEOUT_MS)"),
        "{waited}"
    );
    let auth = ConnectError {
        server: Server::Dev,
        uri: "mongodb://u:****@dev".into(),
        from: UriSource::Flag("--dev-uri"),
        reason: Reason::Auth("bad".into()),
    };
    assert!(
        auth.to_string().starts_with(
            "cannot log in to the dev server at mongodb://u:****@dev (from --dev-uri)"
        ),
        "{auth}"
    );
    assert_eq!(auth.kind(), "auth");
    for text in [default, file, waited] {
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(!text.contains("Topology"), "{text}");
    }
}

#[test]
fn only_what_waiting_wont_mend_is_final() {
    assert!(Reason::Refused.is_final());
    assert!(Reason::HostNotFound("h".into()).is_final());
    assert!(Reason::Tls("x".into()).is_final());
    assert!(!Reason::TimedOut(Duration::from_secs(1)).is_final());
    assert!(!Reason::Closed("x".into()).is_final());
}

#[test]
fn conflict_codes_are_explained_in_words() {
    assert!(explain_code(85, "IndexOptionsConflict", "x").contains("another name"));
    assert!(explain_code(86, "IndexKeySpecsConflict", "x").contains("different key"));
}
