//! The file `mig new` writes.

use super::file::MigrationScope;

/// The file `mig new` writes: every step kind and an example in comments,
/// and no step yet, so nothing runs until the user writes one (a migration
/// without an `up` step is refused when loaded).
pub fn template(name: &str, scope: MigrationScope, toml: bool) -> String {
    if toml {
        format!(
            r#"# Migration {name}. Runs once per {scope} database, in id order (the file name).
# Values are MongoDB Extended JSON; a document may also be an Extended JSON string.
description = "{name}"
scope = "{scope}"            # public | tenant | both
transactional = false        # true: all steps in one transaction (replica set only)
allow_destructive = false    # true: allow delete_many and drop_collection

# Steps, in order. One of: update_many, update_one, insert_many, upsert_many,
# rename_collection, create_collection, modify_collection, delete_many,
# drop_collection, run_command, precondition. Indexes belong in the manifests.
# Replace `up = []` and `down = []` with steps; for example:
#
# [[up]]
# [up.update_many]
# collection = "messages"
# filter = '{{"status": {{"$exists": false}}}}'
# update = '{{"$set": {{"status": "sent", "statusBackfilled": true}}}}'
# batch_size = 1000
#
# [[down]]
# [down.update_many]
# collection = "messages"
# filter = '{{"statusBackfilled": true}}'
# update = '{{"$unset": {{"status": "", "statusBackfilled": ""}}}}'
up = []
down = []
"#,
            scope = scope.as_str()
        )
    } else {
        format!(
            r#"# yaml-language-server: $schema=../schema/migration.schema.json
# Migration {name}. Runs once per {scope} database, in id order (the file name).
# Values are MongoDB Extended JSON inside YAML.
description: {name}
scope: {scope}              # public | tenant | both
transactional: false        # true: all steps in one transaction (replica set only)
allow_destructive: false    # true: allow delete_many and drop_collection

# Steps, in order. One of:
#   update_many {{collection, filter, update | pipeline, batch_size?}}
#   update_one {{collection, filter, update | pipeline, upsert?}}
#   insert_many {{collection, documents}}
#   upsert_many {{collection, key: [fields], documents}}
#   rename_collection {{from, to}}
#   create_collection {{name, validator?, validationLevel?, validationAction?, collation?, capped?, timeseries?, clusteredIndex?}}
#   modify_collection {{name, validator?, validationLevel?, validationAction?}}
#   delete_many {{collection, filter}}      (needs allow_destructive)
#   drop_collection {{name}}                (needs allow_destructive)
#   run_command {{command}}
#   precondition {{collection_exists: name}} or {{document_count: {{collection, filter, equals | max}}}}
# Indexes are not created here: declare them in the manifests.
# Replace `up: []` and `down: []` with steps; for example:
#
# up:
#   - update_many:
#       collection: messages
#       filter: {{ status: {{ $exists: false }} }}
#       update: {{ $set: {{ status: sent, statusBackfilled: true }} }}
#       batch_size: 1000
#
# down:
#   - update_many:
#       collection: messages
#       filter: {{ statusBackfilled: true }}
#       update: {{ $unset: {{ status: "", statusBackfilled: "" }} }}
up: []
down: []
"#,
            scope = scope.as_str()
        )
    }
}
