//! `mig history` in text: steps by their command and place, and entries
//! written by older versions (a label in `step`) shown as stored.

use super::*;
use bson::{doc, DateTime};

fn entry(step: &str, why: Option<&str>) -> Document {
    let mut d = doc! {
        "kind": "journal",
        "run": "r1",
        "command": "mig apply",
        "step": step,
        "collection": "messages",
        "index": "idx_x",
        "startedAt": DateTime::from_millis(0),
        "endedAt": DateTime::from_millis(7),
        "outcome": "ok",
    };
    if let Some(why) = why {
        d.insert("why", why);
    }
    d
}

#[test]
fn a_step_shows_its_command_and_its_place() {
    let text = text("t", &[entry("dropIndexes", Some("swap_drop"))]);
    assert!(
        text.contains(
            "ok      dropIndexes    messages.idx_x  7 ms  swap_drop  (mig apply, run r1)"
        ),
        "{text}"
    );
    assert_eq!(
        recorded(&entry("hide", Some("retire"))),
        Recorded::Step(CommandName::Hide, Why::Retire)
    );
}

#[test]
fn entries_written_by_older_versions_show_their_label() {
    for label in [
        "collMod",
        "collMod (hide)",
        "createIndexes",
        "drop (replaced)",
        "drop (temporary)",
        "drop",
        "create (view)",
        "create (collection)",
        "collMod (view)",
        "collMod (collection)",
    ] {
        let text = text("t", &[entry(label, None)]);
        assert!(
            text.contains(&format!(
                "ok      {label:<14} messages.idx_x  7 ms  (mig apply, run r1)"
            )),
            "{text}"
        );
    }
}

#[test]
fn a_name_this_version_does_not_know_is_shown_as_stored() {
    let future = entry("renameIndex", Some("rename"));
    assert_eq!(recorded(&future), Recorded::Label("renameIndex".into()));
    assert!(text("t", &[future]).contains("ok      renameIndex    messages.idx_x"));
}
