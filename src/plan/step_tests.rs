//! The names of steps: one serde encoding, each name read back as itself,
//! an unknown one refused.

use super::*;

/// Every variant, by a `match` without a wildcard: a new variant fails to
/// compile here until it is listed in `ALL` (and so tested below).
fn listed_command(c: CommandName) -> bool {
    match c {
        CommandName::CollMod
        | CommandName::Hide
        | CommandName::CreateIndexes
        | CommandName::DropIndexes
        | CommandName::Migration
        | CommandName::Reread
        | CommandName::Create => CommandName::ALL.contains(&c),
    }
}

fn listed_why(w: Why) -> bool {
    match w {
        Why::InPlace
        | Why::GapDrop
        | Why::Build
        | Why::SwapDrop
        | Why::SwapBuild
        | Why::TwinDrop
        | Why::Retire
        | Why::Migration
        | Why::Reread
        | Why::Collection
        | Why::View => Why::ALL.contains(&w),
    }
}

fn listed_policy(p: IfRefused) -> bool {
    match p {
        IfRefused::Fail | IfRefused::EachOnItsOwn | IfRefused::GoneIsDone => {
            IfRefused::ALL.contains(&p)
        }
    }
}

/// `value` written by serde, and read back.
fn round_trip<T>(value: T) -> (String, T)
where
    T: Serialize + for<'de> Deserialize<'de>,
{
    let json = serde_json::to_value(&value).unwrap();
    let name = json.as_str().expect("a name is a JSON string").to_string();
    (name, serde_json::from_value(json).unwrap())
}

#[test]
fn every_command_name_is_its_json_name_and_reads_back_as_itself() {
    let names: Vec<String> = CommandName::ALL
        .into_iter()
        .map(|c| {
            assert!(listed_command(c));
            let (name, back) = round_trip(c);
            assert_eq!(back, c, "{name}");
            assert_eq!(c.to_string(), name, "messages print the same name");
            name
        })
        .collect();
    assert_eq!(
        names,
        [
            "collMod",
            "hide",
            "createIndexes",
            "dropIndexes",
            "migration",
            "reread",
            "create"
        ]
    );
}

#[test]
fn a_hide_is_named_hide_and_sends_a_coll_mod() {
    assert_eq!(CommandName::Hide.sent(), CommandName::CollMod);
    for other in CommandName::ALL
        .into_iter()
        .filter(|c| *c != CommandName::Hide)
    {
        assert_eq!(other.sent(), other);
    }
    let hide = Command::Hide { index: "a".into() };
    assert_eq!(hide.name(), CommandName::Hide);
}

#[test]
fn every_command_has_its_name() {
    let spec = IndexSpec::from_server(&bson::doc! {"key": {"a": 1}, "name": "a_1"}).unwrap();
    let commands = [
        Command::CollMod {
            index: "a_1".into(),
            set: IndexMod::Hidden(false),
        },
        Command::Hide {
            index: "a_1".into(),
        },
        Command::CreateIndexes {
            indexes: vec![(0, spec)],
            new_collection: false,
        },
        Command::DropIndex {
            index: "a_1".into(),
            forget_retiring: false,
        },
        Command::Migration { id: "m".into() },
        Command::Reread,
        Command::CreateCollection {
            options: bson::doc! {},
        },
        Command::ModifyCollection {
            set: bson::doc! {"validationLevel": "strict"},
        },
    ];
    let names: Vec<CommandName> = commands.iter().map(Command::name).collect();
    assert_eq!(
        names,
        [
            CommandName::CollMod,
            CommandName::Hide,
            CommandName::CreateIndexes,
            CommandName::DropIndexes,
            CommandName::Migration,
            CommandName::Reread,
            CommandName::Create,
            CommandName::CollMod,
        ]
    );
}

#[test]
fn every_reason_is_its_json_name_and_reads_back_as_itself() {
    let names: Vec<String> = Why::ALL
        .into_iter()
        .map(|w| {
            assert!(listed_why(w));
            let (name, back) = round_trip(w);
            assert_eq!(back, w, "{name}");
            assert_eq!(w.to_string(), name);
            name
        })
        .collect();
    assert_eq!(
        names,
        [
            "in_place",
            "gap_drop",
            "build",
            "swap_drop",
            "swap_build",
            "twin_drop",
            "retire",
            "migration",
            "reread",
            "collection",
            "view"
        ]
    );
}

#[test]
fn every_policy_is_its_json_name_and_reads_back_as_itself() {
    let names: Vec<String> = IfRefused::ALL
        .into_iter()
        .map(|p| {
            assert!(listed_policy(p));
            let (name, back) = round_trip(p);
            assert_eq!(back, p, "{name}");
            name
        })
        .collect();
    assert_eq!(names, ["fail", "each_on_its_own", "gone_is_done"]);
}

#[test]
fn unknown_names_are_refused_saying_which_and_what_is_known() {
    let e = serde_json::from_str::<CommandName>(r#""collMod (hide)""#)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("unknown variant `collMod (hide)`") && e.contains("`hide`"),
        "{e}"
    );
    let e = serde_json::from_str::<Why>(r#""sideways""#)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("unknown variant `sideways`") && e.contains("`swap_drop`"),
        "{e}"
    );
    let e = serde_json::from_str::<IfRefused>(r#""retry""#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown variant `retry`"), "{e}");
}
