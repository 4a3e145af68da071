use super::untwin;

#[test]
fn server_messages_name_the_declared_index_not_its_twin() {
    assert_eq!(
        untwin(
            "E11000 duplicate key error collection: db.users index: name_ci__mig_tmp \
                 dup key: { name: \"a\", __mig_tmp: null }"
        ),
        "E11000 duplicate key error collection: db.users index: name_ci dup key: { name: \"a\" }"
    );
    assert_eq!(
        untwin("index \"idx_a__mig_tmp\" has {\"a\": 1, \"__mig_tmp\": 1}"),
        "index \"idx_a\" has {\"a\": 1}"
    );
    assert_eq!(untwin("nothing to see"), "nothing to see");
}
