//! Shell habits: completion scripts and man pages, generated from the same
//! definitions as `--help`. No server needed.

use std::process::{Command, Output};

fn mig(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mig"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run mig")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const COMMANDS: [&str; 19] = [
    "plan",
    "drift",
    "sync-indexes",
    "apply",
    "init",
    "pull",
    "new",
    "schema",
    "status",
    "down",
    "list",
    "validate",
    "lint",
    "history",
    "unlock",
    "pause",
    "resume",
    "completions",
    "man",
];

#[test]
fn completion_scripts_know_every_command_and_option_in_every_shell() {
    let dir = tempfile::tempdir().unwrap();
    let out = mig(dir.path(), &["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let script = text(&out.stdout);
    assert!(script.contains("complete -F _mig"), "{script}");
    for command in COMMANDS {
        assert!(script.contains(command), "bash: no {command}");
    }
    assert!(script.contains("--detailed-exitcode"));
    assert!(script.contains("text json jsonl markdown"), "format values");
    for (shell, mark) in [
        ("zsh", "#compdef mig"),
        ("fish", "complete -c mig"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = mig(dir.path(), &["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        assert!(script.contains(mark), "{shell}: {script}");
        assert!(script.contains("drift"), "{shell}");
    }
    // Needs no project: nothing was read or written where it ran.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn an_unknown_shell_is_a_usage_error_naming_the_shells() {
    let dir = tempfile::tempdir().unwrap();
    let out = mig(dir.path(), &["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("bash") && err.contains("powershell"), "{err}");
}

#[test]
fn the_man_pages_are_written_one_per_command_with_options_and_examples() {
    let dir = tempfile::tempdir().unwrap();
    let out = mig(dir.path(), &["man", "man1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let listed: Vec<String> = text(&out.stdout).lines().map(String::from).collect();
    let mut expected = vec!["man1/mig.1".to_string()];
    expected.extend(COMMANDS.iter().map(|c| format!("man1/mig-{c}.1")));
    assert_eq!(listed, expected);
    for page in &expected {
        assert!(dir.path().join(page).is_file(), "{page} not written");
    }
    let main = std::fs::read_to_string(dir.path().join("man1/mig.1")).unwrap();
    assert!(main.contains(".TH mig 1"), "{main}");
    let drift = std::fs::read_to_string(dir.path().join("man1/mig-drift.1")).unwrap();
    assert!(drift.contains(".TH mig-drift 1"), "{drift}");
    assert!(drift.contains("grouped by identical deviation"), "{drift}");
    assert!(drift.contains("concurrency"), "its options");
    assert!(
        drift.contains("mig drift \\-\\-format json"),
        "its examples: {drift}"
    );
}

#[test]
fn without_a_directory_the_main_page_goes_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let out = mig(dir.path(), &["man"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let page = text(&out.stdout);
    assert!(page.contains(".TH mig 1"), "{page}");
    assert!(page.contains(".SH SUBCOMMANDS"), "{page}");
    assert!(
        page.contains("mig\\-drift(1)"),
        "names the command pages: {page}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
